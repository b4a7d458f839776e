import Foundation
import MLGateTestSupport
import Testing

private func rolloutRepository() throws -> GitFixture {
    let fixture = try pipelineRepository("""
        version: 1
        models:
          m: {artifact: model.txt}
        endpoints:
          shop:
            port: 8700
            deployments:
              blue: {model: m/1}
              green: {model: m/2}
              shadow: {model: m/2}
            traffic: {blue: 100}
        """, files: ["model.txt": "weights\n"])
    return fixture
}

/// Each deployment's share and the mirror's, as `endpoint status --json` says, and where the setting comes from.
private func state(_ fixture: GitFixture) throws -> (traffic: [String: Int], mirror: [String: Int], source: String) {
    let result = try fixture.mlgate(["endpoint", "status", "--json"])
    let endpoint = (try jsonObject(result.stdout)["endpoints"] as? [[String: Any]])?.first ?? [:]
    var traffic: [String: Int] = [:], mirror: [String: Int] = [:]
    for deployment in endpoint["deployments"] as? [[String: Any]] ?? [] {
        guard let name = deployment["name"] as? String else { continue }
        traffic[name] = deployment["traffic"] as? Int
        if let share = deployment["mirror"] as? Int { mirror[name] = share }
    }
    return (traffic, mirror, endpoint["source"] as? String ?? "")
}

@Suite("endpoint rollout: traffic, mirror, promote and rollback, audited")
struct EndpointRolloutTests {
    @Test("a canary at 10 %, a mirror, promotion and a one-step rollback; each change is audited with its reason")
    func rollout() throws {
        let fixture = try rolloutRepository()
        defer { fixture.remove() }
        #expect(try state(fixture).source == "mlgate.yaml")
        #expect(try fixture.mlgate(["endpoint", "traffic", "shop", "blue=90", "green=10", "--reason", "canary"]).status == 0)
        #expect(try state(fixture).traffic == ["blue": 90, "green": 10, "shadow": 0])
        #expect(try state(fixture).source == "recorded")
        #expect(try fixture.mlgate(["endpoint", "mirror", "shop", "shadow=20", "--reason", "shadow test"]).status == 0)
        #expect(try state(fixture).mirror == ["shadow": 20])
        #expect(try fixture.mlgate(["endpoint", "promote", "shop", "green", "--reason", "canary is good"]).status == 0)
        #expect(try state(fixture).traffic == ["blue": 0, "green": 100, "shadow": 0] && state(fixture).mirror == ["shadow": 20])
        #expect(try fixture.mlgate(["endpoint", "rollback", "shop", "--reason", "errors"]).status == 0)
        #expect(try state(fixture).traffic == ["blue": 90, "green": 10, "shadow": 0])
        let audit = try jsonObject(try fixture.mlgate(["audit", "log", "--json"]).stdout)["audit"] as? [[String: Any]] ?? []
        let endpointRows = audit.filter { $0["subject"] as? String == "endpoints:/shop" }
        #expect(endpointRows.count == 4)
        #expect(Set(endpointRows.compactMap { $0["reason"] as? String }) == ["canary", "shadow test", "canary is good", "errors"])
        #expect(try fixture.mlgate(["audit", "verify"]).status == 0)
    }

    @Test("refused changes leave the traffic, the audit log and the events as they were", arguments: [
        (["endpoint", "traffic", "shop", "blue=90", "green=20"], "the shares sum to 110"),
        (["endpoint", "traffic", "shop", "blue=90", "purple=10"], "'purple' is not a deployment"),
        (["endpoint", "traffic", "shop", "blue=ninety"], "'blue=ninety' is not NAME=PERCENT"),
        (["endpoint", "mirror", "shop", "blue=10"], "'blue' takes 100% of live traffic, so it cannot also be the mirror"),
        (["endpoint", "mirror", "shop", "shadow=60"], "it is 1 to 50 percent"),
        (["endpoint", "promote", "shop", "purple"], "'purple' is not a deployment of endpoint 'shop'"),
        (["endpoint", "traffic", "store", "blue=100"], "there is no endpoint 'store'"),
    ])
    func refusals(arguments: [String], message: String) throws {
        let fixture = try rolloutRepository()
        defer { fixture.remove() }
        let auditBefore = try fixture.mlgate(["audit", "log", "--json"]).stdout
        let eventsBefore = try fixture.mlgate(["events", "--json"]).stdout
        let result = try fixture.mlgate(arguments + ["--reason", "x"])
        #expect(result.status == 2 && result.stderr.contains(message), "\(result)")
        #expect(try state(fixture).traffic == ["blue": 100, "green": 0, "shadow": 0] && state(fixture).source == "mlgate.yaml")
        #expect(try fixture.mlgate(["audit", "log", "--json"]).stdout == auditBefore)
        #expect(try fixture.mlgate(["events", "--json"]).stdout == eventsBefore)
    }

    @Test("a rollback with nothing recorded is refused with exit 1")
    func nothingToRollBack() throws {
        let fixture = try rolloutRepository()
        defer { fixture.remove() }
        let result = try fixture.mlgate(["endpoint", "rollback", "shop"])
        #expect(result.status == 1 && result.stderr.contains("nothing to roll back to"), "\(result)")
    }
}
