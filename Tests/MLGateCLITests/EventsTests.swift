import Foundation
import MLGateTestSupport
import Testing

/// The Standard Webhooks test vector's secret, and an environment that signs with it and retries in milliseconds.
private let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
private let signing = ["HOOK_SECRET": secret, "MLGATE_EVENTS_RETRY_SCALE": "0.0001", "MLGATE_EVENTS_BACKGROUND": "off"]

/// A registry repository whose mlgate.yaml delivers to `url` (`extra` lines go under the subscription).
private func notifyRepository(_ url: String, extra: String = "    allow_addresses: [127.0.0.1/32]") throws -> GitFixture {
    let fixture = try registryRepository()
    try fixture.write("mlgate.yaml", """
        version: 1
        stages:
          train: {cmd: 'printf "weights %s" "$(cat params.yaml)" > model.bin', deps: [params.yaml], outs: [model.bin]}
        models:
          churn:
            artifact: model.bin
        notify:
          ops:
            url: \(url)
            secret_env: HOOK_SECRET
        \(extra)
        """)
    return fixture
}

/// The deliveries `mlgate events list --failed --json` shows.
private func failedDeliveries(_ fixture: GitFixture) throws -> [[String: Any]] {
    let result = try fixture.mlgate(["events", "list", "--failed", "--json"])
    guard result.status == 0 else { throw TestSupportError("events list --failed: \(result)") }
    return try jsonObject(result.stdout)["deliveries"] as? [[String: Any]] ?? []
}

@Suite("event delivery to webhooks")
struct EventsTests {
    @Test("events reach a real receiver signed (checked by the receiver and by mlgate events verify), in CloudEvents form; a 500 is retried with the same webhook-id")
    func deliveredSignedAndRetried() throws {
        let receiver = try WebhookReceiver(["--secret", secret, "--answers", "500"])
        let fixture = try notifyRepository(receiver.base + "/hooks")
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], extraEnvironment: signing).status == 0)
        let deliver = try fixture.mlgate(["events", "deliver", "--wait", "10", "--json"], extraEnvironment: signing)
        #expect(deliver.status == 0, "\(deliver)")
        let report = try jsonObject(deliver.stdout)
        #expect(report["delivered"] as? Int == 1 && report["retrying"] as? Int == 1 && report["dead"] as? Int == 0, "\(deliver.stdout)")

        let received = try receiver.received()
        try #require(received.count == 2)
        #expect(received.map(\.status) == [500, 200])
        #expect(received.allSatisfy { $0.verified == true }, "the receiver's own check of webhook-signature")
        #expect(received[0].headers["webhook-id"] == received[1].headers["webhook-id"], "retries carry the same id")
        let event = received[1].json
        #expect(event["specversion"] as? String == "1.0")
        #expect(event["type"] as? String == "dev.mlgate.model.registered")
        #expect(event["subject"] as? String == "models/churn:1")
        #expect(event["id"] as? String == received[1].headers["webhook-id"])
        #expect(received[1].headers["content-type"] == "application/cloudevents+json")

        // The receiver-side check mlgate ships: valid as received, invalid once one byte changes.
        try fixture.write("body.json", received[1].body)
        let arguments = ["events", "verify", "body.json", "--secret-env", "HOOK_SECRET", "--id", received[1].headers["webhook-id"] ?? "",
                         "--timestamp", received[1].headers["webhook-timestamp"] ?? "", "--signature", received[1].headers["webhook-signature"] ?? ""]
        #expect(try fixture.mlgate(arguments, extraEnvironment: signing).status == 0)
        try fixture.write("body.json", received[1].body + " ")
        let tampered = try fixture.mlgate(arguments, extraEnvironment: signing)
        #expect(tampered.status == 1 && tampered.stdout.contains("invalid"), "\(tampered)")

        // Nothing left to deliver: a second pass sends nothing.
        #expect(try jsonObject(try fixture.mlgate(["events", "deliver", "--json"], extraEnvironment: signing).stdout)["delivered"] as? Int == 0)
        #expect(try receiver.received().count == 2)
        #expect(try failedDeliveries(fixture).isEmpty)
    }

    @Test("an internal address is refused at connect time unless allowed; the refusal is dead-lettered with its reason, and retry delivers once allowed")
    func internalAddressRefused() throws {
        let receiver = try WebhookReceiver(["--secret", secret])
        // localhost resolves to 127.0.0.1: the name passes, the connected address does not.
        let fixture = try notifyRepository("http://localhost:\(receiver.port)/hooks", extra: "")
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], extraEnvironment: signing).status == 0)
        let deliver = try fixture.mlgate(["events", "deliver"], extraEnvironment: signing)
        #expect(deliver.status == 0 && deliver.stdout.contains("1 dead-lettered"), "\(deliver)")
        #expect(try receiver.received().isEmpty, "nothing reached the internal address")
        let failed = try failedDeliveries(fixture)
        try #require(failed.count == 1)
        #expect(failed[0]["state"] as? String == "dead")
        #expect((failed[0]["last_error"] as? String ?? "").contains("internal") && (failed[0]["last_error"] as? String ?? "").contains("allow_addresses"))

        let yaml = try #require(fixture.read("mlgate.yaml"))
        try fixture.write("mlgate.yaml", yaml + "    allow_addresses: [127.0.0.0/8, '::1/128']\n")
        let retry = try fixture.mlgate(["events", "retry"], extraEnvironment: signing)
        #expect(retry.status == 0 && retry.stdout.contains("1 delivery"), "\(retry)")
        #expect(try fixture.mlgate(["events", "deliver"], extraEnvironment: signing).stdout.contains("1 delivered"))
        let delivered = try receiver.received()
        #expect(delivered.count == 1 && delivered.first?.verified == true)
    }

    @Test("410 Gone disables the subscription (audited) and keeps its later events; retry --subscription enables it again")
    func goneDisables() throws {
        let receiver = try WebhookReceiver(["--secret", secret, "--answers", "410"])
        let fixture = try notifyRepository(receiver.base + "/hooks")
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], extraEnvironment: signing).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], extraEnvironment: signing).status == 0)
        let first = try fixture.mlgate(["events", "deliver"], extraEnvironment: signing)
        let firstReceived = try receiver.received()
        #expect(first.stdout.contains("disabled") && firstReceived.count == 1, "\(first)")
        let audit = try fixture.mlgate(["audit", "log", "--json"])
        #expect(audit.stdout.contains("notify-disabled") && audit.stdout.contains("notify:/ops"), "\(audit.stdout)")
        let again = try fixture.mlgate(["events", "deliver"], extraEnvironment: signing)
        #expect(again.status == 2 && again.stderr.contains("'ops' is disabled") && again.stderr.contains("events retry --subscription ops"), "\(again)")
        #expect(try receiver.received().count == 1, "nothing is sent to a disabled subscription")

        #expect(try fixture.mlgate(["events", "retry", "--subscription", "ops", "--reason", "receiver back"], extraEnvironment: signing).status == 0)
        #expect(try fixture.mlgate(["audit", "log", "--json"]).stdout.contains("notify-enabled"))
        let resumed = try fixture.mlgate(["events", "deliver"], extraEnvironment: signing)
        #expect(resumed.status == 0 && resumed.stdout.contains("2 delivered"), "\(resumed)")
        #expect(try receiver.received().map(\.status) == [410, 200, 200])
    }

    @Test("an unset secret variable or a bad subscription is refused with its name; nothing is sent or marked, and the events wait")
    func badInput() throws {
        let receiver = try WebhookReceiver(["--secret", secret])
        let fixture = try notifyRepository(receiver.base + "/hooks")
        defer { fixture.remove() }
        var environment = signing
        environment["HOOK_SECRET"] = nil
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], extraEnvironment: environment).status == 0)
        let unset = try fixture.mlgate(["events", "deliver"], extraEnvironment: environment)
        #expect(unset.status == 2 && unset.stderr.contains("HOOK_SECRET is not set"), "\(unset)")
        let nothing = try receiver.received()
        let failed = try failedDeliveries(fixture)
        #expect(nothing.isEmpty && failed.isEmpty)
        #expect(try fixture.mlgate(["events", "deliver"], extraEnvironment: signing).stdout.contains("1 delivered"), "the event waited")

        let yaml = try #require(fixture.read("mlgate.yaml")).replacingOccurrences(of: "    allow_addresses: [127.0.0.1/32]", with: "")
        for (bad, expected) in [("ftp://example.com/x", "must be an absolute http:// or https:// URL"),
                                ("http://127.0.0.1:1/x\n    events: [model.registred]", "unknown event type 'model.registred' (did you mean 'model.registered'?)"),
                                ("http://127.0.0.1:1/x\n    allow_addresses: [localhost]", "is not an address or a CIDR network"),
                                ("http://127.0.0.1:1/x\n    secret_env: whsec_abc=", "never write the secret itself")] {
            let edited = yaml.replacingOccurrences(of: receiver.base + "/hooks", with: bad)
                .replacingOccurrences(of: "    secret_env: HOOK_SECRET\n", with: bad.contains("secret_env") ? "" : "    secret_env: HOOK_SECRET\n")
            try fixture.write("mlgate.yaml", edited)
            let refused = try fixture.mlgate(["events", "deliver"], extraEnvironment: signing)
            #expect(refused.status == 2 && refused.stderr.contains("mlgate.yaml:") && refused.stderr.contains(expected), "\(bad): \(refused)")
        }
    }

    @Test("kill -9 of a deliverer mid-request loses nothing: every event arrives, the interrupted one again with the same id")
    func killedDelivererRedelivers() throws {
        let receiver = try WebhookReceiver(["--secret", secret, "--delay", "0.6"])
        let fixture = try notifyRepository(receiver.base + "/hooks")
        defer { fixture.remove() }
        for _ in 0..<3 { #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], extraEnvironment: signing).status == 0) }
        let deliverer = try fixture.startMlgate(["events", "deliver"], extraEnvironment: signing)
        usleep(300_000)  // the first request is in the receiver's delay: sent, not yet acknowledged
        deliverer.send(SIGKILL)
        _ = deliverer.wait()
        let rerun = try fixture.mlgate(["events", "deliver"], extraEnvironment: signing)
        #expect(rerun.status == 0 && rerun.stdout.contains("3 delivered"), "\(rerun)")
        let received = try receiver.waitFor(4)
        let ids = received.compactMap { $0.headers["webhook-id"] }
        #expect(Set(ids).count == 3, "each of the three events arrived: \(ids)")
        #expect(ids.count == 4 && ids[0] == ids[1], "the interrupted one was sent again under its id: \(ids)")
        #expect(received.allSatisfy { $0.verified == true })
    }

    @Test("after a command writes events, a detached deliverer sends them; the command itself does not wait")
    func backgroundDelivery() throws {
        let receiver = try WebhookReceiver(["--secret", secret])
        let fixture = try notifyRepository(receiver.base + "/hooks")
        defer { fixture.remove() }
        var environment = signing
        environment["MLGATE_EVENTS_BACKGROUND"] = nil
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], extraEnvironment: environment).status == 0)
        let received = try receiver.waitFor(1)
        #expect(received.count == 1 && received.first?.json["type"] as? String == "dev.mlgate.model.registered", "\(fixture.read(".mlgate/logs/events.log") ?? "no log")")
    }
}
