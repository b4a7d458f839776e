import Foundation
import MLGateTestSupport
import Testing

/// `mlgate models list --json`'s versions.
func registeredVersions(_ fixture: GitFixture) throws -> [[String: Any]] {
    let result = try fixture.mlgate(["models", "list", "--json"])
    guard result.status == 0 else { throw TestSupportError("models list failed: \(result)") }
    return try jsonObject(result.stdout)["versions"] as? [[String: Any]] ?? []
}

/// A repository with a model file committed and `mlgate init` run.
func registryRepository(lifecycle: String = "") throws -> GitFixture {
    try pipelineRepository("""
        version: 1
        stages:
          train: {cmd: 'printf "weights %s" "$(cat params.yaml)" > model.bin', deps: [params.yaml], outs: [model.bin]}
        models:
          churn:
            artifact: model.bin
        \(lifecycle)
        """, files: ["params.yaml": "lr: 0.1\n"])
}

@Suite("the model registry")
struct RegistryTests {
    @Test("register from a run and from a path: versions 1, 2, linked to commit, run and data; show, download, tags")
    func register() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        let fromRun = try fixture.mlgate(["models", "register", "churn", "--run", "1", "--tag", "owner=ada", "--json"])
        #expect(fromRun.status == 0, "\(fromRun)")
        let first = try jsonObject(fromRun.stdout)
        let head = try fixture.head()
        #expect(first["version"] as? Int == 1 && first["run"] as? Int == 1 && first["commit"] as? String == head)
        #expect((first["data_hashes"] as? [String: String])?["params.yaml"] != nil)
        #expect((first["tags"] as? [String: String]) == ["owner": "ada"] && first["branch"] as? String == "main")

        try fixture.write("other.bin", "other weights")
        let fromPath = try fixture.mlgate(["models", "register", "churn", "--path", "other.bin"])
        #expect(fromPath.status == 0 && fromPath.stdout.contains("models:/churn/2"), "\(fromPath)")
        let shown = try jsonObject(try fixture.mlgate(["models", "show", "churn", "--json"]).stdout)
        #expect((shown["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? Int } == [2, 1])

        let out = fixture.base + "/download"
        #expect(try fixture.mlgate(["models", "download", "models:/churn/1", out]).status == 0)
        #expect(fixture.read(out + "/model.bin") == "weights lr: 0.1")
        #expect(try fixture.mlgate(["models", "tag", "churn/2", "stage=candidate", "--remove", "nothing"]).stdout.contains("stage=candidate"))
        #expect(try registeredVersions(fixture).count == 2)
        // gc keeps what the registry refers to, and fsck checks it.
        #expect(try fixture.mlgate(["gc"]).status == 0)
        #expect(try fixture.mlgate(["models", "download", "churn/2", out]).status == 0)
        #expect(fixture.read(out + "/other.bin") == "other weights")
        #expect(try fixture.mlgate(["fsck"]).status == 0)
    }

    @Test("bad requests exit 2 and change nothing: unknown version, alias like a version, bad name, unknown stage",
          arguments: [
            (["models", "show", "churn/7"], "there is no version 7 of model 'churn'; its versions are 1 to 1."),
            (["models", "alias", "set", "churn", "v1.0.0", "1", "--reason", "x"], "looks like a version"),
            (["models", "alias", "set", "churn", "3", "1", "--reason", "x"], "looks like a version"),
            (["models", "register", "bad/name", "--path", "params.yaml"], "not a valid model name"),
            (["models", "show", "nobody@champion"], "there is no model 'nobody'"),
            (["promote", "churn", "1", "--to", "prod", "--reason", "x"], "'prod' is not a lifecycle stage"),
            (["approve", "churn", "9", "--stage", "staging"], "there is no version 9"),
          ])
    func refusals(_ arguments: [String], message: String) throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0)
        let before = try fixture.mlgate(["audit", "log", "--json"]).stdout
        let result = try fixture.mlgate(arguments)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(try fixture.mlgate(["audit", "log", "--json"]).stdout == before)
    }

    @Test("an alias or a deployment guards a version from archive and delete (exit 1, naming it)")
    func deletionGuard() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0)
        #expect(try fixture.mlgate(["models", "alias", "set", "churn", "champion", "1", "--reason", "first"]).status == 0)
        let refused = try fixture.mlgate(["models", "delete", "churn/1"])
        #expect(refused.status == 1 && refused.stderr.contains("alias 'champion' refers to it"), "\(refused)")
        #expect(try fixture.mlgate(["models", "archive", "churn/1"]).status == 1)
        #expect(try fixture.mlgate(["models", "alias", "unset", "churn", "champion", "--reason", "retire"]).status == 0)
        #expect(try fixture.mlgate(["models", "delete", "churn/1", "--reason", "bad"]).status == 0)
        #expect(try registeredVersions(fixture).isEmpty)
        let history = try jsonObject(try fixture.mlgate(["models", "history", "churn", "--json"]).stdout)["history"] as? [[String: Any]]
        #expect(history?.compactMap { $0["action"] as? String } == ["register", "alias-set", "alias-unset", "delete"])
        #expect(history?.last?["reason"] as? String == "bad")
    }

    @Test("the lifecycle decides promotions: one stage at a time, approvals, the branch; --force is recorded")
    func lifecycle() throws {
        let fixture = try registryRepository(lifecycle: """
              lifecycle:
                stages: [staging, production]
                production: {requires: {approvals: 2, branch: main}}
            """.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--run", "1"]).status == 0)
        let skipping = try fixture.mlgate(["promote", "churn", "1", "--to", "production", "--reason", "ship"])
        #expect(skipping.status == 1 && skipping.stderr.contains("must enter staging first") && skipping.stderr.contains("2 approvals"), "\(skipping)")
        #expect(try fixture.mlgate(["promote", "churn", "1", "--to", "staging", "--reason", "try"]).status == 0)
        #expect(try fixture.mlgate(["approve", "churn", "1", "--stage", "production"]).status == 0)
        let oneApproval = try fixture.mlgate(["promote", "churn", "1", "--to", "production", "--reason", "ship"])
        #expect(oneApproval.status == 1 && oneApproval.stderr.contains("has 1"), "\(oneApproval)")
        #expect(try fixture.mlgate(["approve", "churn", "1", "--stage", "production"], extraEnvironment: ["CI": "true", "GITHUB_ACTOR": "grace"]).status == 0)
        let shipped = try fixture.mlgate(["promote", "churn", "1", "--to", "production", "--reason", "ship"])
        #expect(shipped.status == 0, "\(shipped)")
        let version = try jsonObject(try fixture.mlgate(["models", "show", "churn/1", "--json"]).stdout)
        #expect(version["stage"] as? String == "production")

        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0)
        let forced = try fixture.mlgate(["promote", "churn", "2", "--to", "production", "--reason", "hotfix", "--force"])
        #expect(forced.status == 0 && forced.stdout.contains("(forced)"), "\(forced)")
        let actions = try jsonObject(try fixture.mlgate(["audit", "log", "--json"]).stdout)["audit"] as? [[String: Any]]
        #expect(actions?.last?["action"] as? String == "promote-forced")
    }

    @Test("16 processes registering at once get every version exactly once, without gaps")
    func concurrentRegistrations() throws {
        let perProcess = ProcessInfo.processInfo.environment["MLGATE_REGISTRY_ROUNDS"].flatMap(Int.init) ?? 8
        let fixture = try registryRepository()
        defer { fixture.remove() }
        // Each of 16 writers registers `perProcess` times in a row, all racing for the same model.
        var writers: [BackgroundProcess] = []
        for index in 0..<16 {
            let script = (0..<perProcess).map { _ in "\"$MLGATE\" models register churn --path params.yaml --tag writer=\(index) >/dev/null || exit 1" }.joined(separator: "\n")
            writers.append(try BackgroundProcess("/bin/sh", ["-c", script], in: fixture.root,
                                                 environment: fixture.environment.merging(["MLGATE": try MLGateBinary.path]) { $1 }))
        }
        for writer in writers { #expect(writer.wait().status == 0) }
        let versions = try registeredVersions(fixture).compactMap { $0["version"] as? Int }.sorted()
        let expected = 16 * perProcess
        #expect(versions == Array(1...expected))
        let verify = try fixture.mlgate(["audit", "verify"])
        #expect(verify.status == 0 && verify.stdout.contains("\(expected) rows"), "\(verify)")
    }

    @Test("8 processes moving one alias: the history is complete and the alias ends where its last row says")
    func concurrentAliasMoves() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        for _ in 0..<4 { #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0) }
        var movers: [BackgroundProcess] = []
        for index in 0..<8 {
            let script = (0..<5).map { round in "\"$MLGATE\" models alias set churn champion \((index + round) % 4 + 1) --reason mover-\(index) >/dev/null || exit 1" }
                .joined(separator: "\n")
            movers.append(try BackgroundProcess("/bin/sh", ["-c", script], in: fixture.root,
                                                environment: fixture.environment.merging(["MLGATE": try MLGateBinary.path]) { $1 }))
        }
        for mover in movers { #expect(mover.wait().status == 0) }
        let history = try jsonObject(try fixture.mlgate(["models", "history", "churn", "--json"]).stdout)["history"] as? [[String: Any]] ?? []
        let moves = history.filter { $0["action"] as? String == "alias-set" }
        #expect(moves.count == 40)
        let last = try #require(moves.last?["after"] as? String)
        let current = try jsonObject(try fixture.mlgate(["models", "show", "churn@champion", "--json"]).stdout)["version"] as? Int
        #expect(last.contains("\"version\":\(current ?? -1)"))
        #expect(try fixture.mlgate(["audit", "verify"]).status == 0)
    }

    @Test("kill -9 during registrations: each version is wholly there or absent, numbers stay gap-free, the audit chain holds")
    func killedRegistrations() throws {
        let rounds = ProcessInfo.processInfo.environment["MLGATE_KILL_ROUNDS"].flatMap(Int.init).map { max($0 / 4, 5) } ?? 5
        let fixture = try registryRepository()
        defer { fixture.remove() }
        try fixture.write("big.bin", String(repeating: "weights ", count: 200_000))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<rounds {
            let writer = try fixture.startMlgate(["models", "register", "churn", "--path", "big.bin"])
            usleep(UInt32.random(in: 5_000...120_000, using: &generator))
            writer.send(SIGKILL)
            _ = writer.wait()
        }
        let versions = try registeredVersions(fixture)
        let numbers = versions.compactMap { $0["version"] as? Int }.sorted()
        #expect(numbers == Array(1...max(numbers.count, 1)).prefix(numbers.count).map { $0 })
        for version in versions {
            let artifact = try #require(version["artifact"] as? String)
            #expect(FileManager.default.fileExists(atPath: fixture.root + "/.mlgate/objects/\(artifact.prefix(2))/\(artifact.dropFirst(2))"))
        }
        #expect(try fixture.mlgate(["audit", "verify"]).status == 0)
        #expect(try fixture.mlgate(["fsck"]).status == 0)
    }
}
