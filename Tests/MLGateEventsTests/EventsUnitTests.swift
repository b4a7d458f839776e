import Foundation
import MLGateCore
@testable import MLGateEvents
import MLGateNotify
import MLGateStore
import Testing

@Suite("webhook signatures, messages and the retry schedule")
struct EventsUnitTests {
    @Test("the Standard Webhooks test vector signs and verifies; a changed body, an old timestamp or another key fails")
    func standardWebhooksVector() throws {
        let signer = try WebhookSignature(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = signer.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        try signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signatureHeader: signature, body: body, now: 1_614_265_330)
        // Key rotation: any one of several space-separated signatures may match.
        try signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signatureHeader: "v1,AAAA \(signature)", body: body, now: 1_614_265_400)
        #expect(throws: WebhookSignature.Problem.mismatch) {
            try signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signatureHeader: signature, body: body + [32], now: 1_614_265_330)
        }
        #expect(throws: WebhookSignature.Problem.self) {
            try signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signatureHeader: signature, body: body, now: 1_614_265_330 + 301)
        }
        let other = try WebhookSignature(secret: "another secret of some length")
        #expect(throws: WebhookSignature.Problem.mismatch) {
            try other.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signatureHeader: signature, body: body, now: 1_614_265_330)
        }
        #expect(throws: WebhookSignature.Problem.self) { _ = try WebhookSignature(secret: "whsec_not base64!") }
        #expect(throws: WebhookSignature.Problem.self) { _ = try WebhookSignature(secret: "") }
    }

    @Test("the schedule waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (±20 %), then gives up; the scale shortens it")
    func retrySchedule() {
        let schedule = RetrySchedule()
        #expect(schedule.attempts == 8)
        #expect(schedule.wait(afterAttempt: 1, random: 0.5) == 5_000)
        #expect(schedule.wait(afterAttempt: 1, random: 0) == 4_000 && schedule.wait(afterAttempt: 1, random: 1) == 6_000)
        #expect(schedule.wait(afterAttempt: 7, random: 0.5) == 36_000_000)
        #expect(schedule.wait(afterAttempt: 8, random: 0.5) == nil)
        #expect(RetrySchedule(environment: ["MLGATE_EVENTS_RETRY_SCALE": "0.001"]).wait(afterAttempt: 2, random: 0.5) == 300)
        #expect(RetrySchedule(scale: 5).scale == 1 && RetrySchedule(scale: -1).scale == 1)
    }

    @Test("a CloudEvents message carries the id, type, subject and the event; Slack and Teams get a readable line")
    func messages() throws {
        let event = OutboxEvent(id: 7, kind: "model.register", model: "churn", version: 3,
                                payload: #"{"action":"register","actor":"ada","reason":"weekly"}"#, createdAt: 1_796_000_000_123)
        let cloud = EventMessage(event, format: .cloudevents, source: "/mlgate/shop")
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(cloud.body)) as? [String: Any])
        #expect(cloud.id == "evt_1796000000123_7" && envelope["id"] as? String == cloud.id)
        #expect(envelope["specversion"] as? String == "1.0" && envelope["type"] as? String == "dev.mlgate.model.registered")
        #expect(envelope["subject"] as? String == "models/churn:3" && envelope["source"] as? String == "/mlgate/shop")
        #expect((envelope["time"] as? String)?.hasSuffix(".123Z") == true)
        #expect(((envelope["data"] as? [String: Any])?["event"] as? [String: Any])?["actor"] as? String == "ada")
        #expect(cloud.contentType == "application/cloudevents+json")
        let slack = try #require(try JSONSerialization.jsonObject(with: Data(EventMessage(event, format: .slack, source: "s").body)) as? [String: Any])
        #expect(slack["text"] as? String == "mlgate: model.registered churn v3 by ada — \"weekly\"")
        let teams = String(decoding: EventMessage(event, format: .teams, source: "s").body, as: UTF8.self)
        #expect(teams.contains("AdaptiveCard") && teams.contains("model.registered churn v3"))
    }

    @Test("internal kinds map onto the public types; subscriptions filter by type, family and model")
    func typesAndFilters() {
        #expect(EventType.of(kind: "model.register") == "model.registered")
        #expect(EventType.of(kind: "model.promote") == "model.stage_changed" && EventType.of(kind: "model.demote") == "model.stage_changed")
        #expect(EventType.of(kind: "model.deploy-failed") == "deployment.failed" && EventType.of(kind: "model.rollback") == "deployment.succeeded")
        #expect(EventType.of(kind: "endpoint.traffic") == "endpoint.traffic_changed" && EventType.of(kind: "drift.detected") == "drift.detected")
        #expect(EventType.of(kind: "model.approve") == "model.changed")
        let subscription = NotifySubscription(name: "ops", url: "https://x", events: ["model.*", "drift.detected"], models: ["churn"])
        #expect(subscription.wants(type: "model.registered", model: "churn"))
        #expect(!subscription.wants(type: "model.registered", model: "fraud"))
        #expect(!subscription.wants(type: "run.completed", model: "churn"))
        #expect(EventType.isPattern("model.*") && !EventType.isPattern("modle.*") && !EventType.isPattern("model.registred"))
    }

    @Test("the address guard calls loopback, private, link-local, metadata and mapped forms internal, public addresses not")
    func internalAddresses() {
        for address in ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::",
                        "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "224.0.0.1"] {
            #expect(AddressPolicy.isInternalAddress(address) == true, "\(address)")
        }
        for address in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            #expect(AddressPolicy.isInternalAddress(address) == false, "\(address)")
        }
        #expect(AddressPolicy.isInternalAddress("localhost") == nil)
        #expect(AddressPolicy.isNetwork("10.0.0.0/8") && AddressPolicy.isNetwork("::1/128") && !AddressPolicy.isNetwork("10.0.0.0/33") && !AddressPolicy.isNetwork("host"))
    }
}
