import Foundation
import MLGateTestSupport
import Testing

@Suite("deploying the winner")
struct DeployTests {
    func repository() throws -> GitFixture {
        let fixture = try pipelineRepository("""
            version: 1
            deploy:
              prod: {type: directory, path: served, model: m@champion}
              hook: {type: command, cmd: 'env | grep ^MLGATE_ | sort > deployed.env'}
              failing: {type: command, cmd: 'echo no; exit 4'}
            """, files: ["a.bin": "weights a", "b.bin": "weights b"])
        #expect(try fixture.mlgate(["models", "register", "m", "--path", "a.bin"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "m", "--path", "b.bin"]).status == 0)
        #expect(try fixture.mlgate(["models", "alias", "set", "m", "champion", "1", "--reason", "first"]).status == 0)
        return fixture
    }

    @Test("a directory target publishes versions and switches 'current'; rollback puts the previous one back; all audited")
    func directoryAndRollback() throws {
        let fixture = try repository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["deploy", "--target", "prod"]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fixture.root + "/served/current") == "versions/m-v1")
        #expect(fixture.read("served/current/a.bin") == "weights a")
        #expect(fixture.read("served/current/manifest.json")?.contains("\"uri\":\"models:/m/1\"") == true)
        // The target follows m@champion: version 2 goes there once the alias moves (or with --force, audited).
        let notChampion = try fixture.mlgate(["deploy", "m/2", "--target", "prod"])
        #expect(notChampion.status == 1 && notChampion.stderr.contains("follows m@champion"), "\(notChampion)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fixture.root + "/served/current") == "versions/m-v1")
        #expect(try fixture.mlgate(["models", "alias", "set", "m", "champion", "2", "--reason", "better"]).status == 0)
        #expect(try fixture.mlgate(["deploy", "--target", "prod"]).status == 0)
        #expect(fixture.read("served/current/b.bin") == "weights b")
        let status = try fixture.mlgate(["deploy", "status"])
        let prodLine = status.stdout.split(separator: "\n").first { $0.hasPrefix("prod ") }.map(String.init) ?? ""
        #expect(prodLine.contains(" m/2 ") && prodLine.contains(" m/1 ") && prodLine.hasSuffix("m@champion = m/2"), "\(status)")
        // The served version is guarded.
        let guarded = try fixture.mlgate(["models", "archive", "m/2"])
        #expect(guarded.status == 1 && guarded.stderr.contains("deployment 'prod'"), "\(guarded)")
        let rollback = try fixture.mlgate(["rollback", "prod", "--reason", "bad latency"])
        #expect(rollback.status == 0 && rollback.stdout.contains("from m/2 to models:/m/1"), "\(rollback)")
        #expect(rollback.stdout.contains("m@champion is still models:/m/2"), "\(rollback)")
        #expect(fixture.read("served/current/a.bin") == "weights a")
        // The registry is left as it was; the status says plainly that the target no longer serves what it follows.
        let after = try fixture.mlgate(["deploy", "status"]).stdout
        #expect(after.split(separator: "\n").first { $0.hasPrefix("prod ") }?.hasSuffix("m@champion = m/2 (differs)") == true, "\(after)")
        let targets = try jsonObject(try fixture.mlgate(["deploy", "status", "--json"]).stdout)["targets"] as? [[String: Any]] ?? []
        let prod = targets.first { $0["target"] as? String == "prod" }
        #expect(prod?["serves"] as? String == "models:/m/1" && prod?["resolves_to"] as? String == "models:/m/2" && prod?["in_step"] as? Bool == false)
        let deployments = try jsonObject(try fixture.mlgate(["deploy", "status", "--json"]).stdout)["deployments"] as? [[String: Any]] ?? []
        #expect(deployments.compactMap { $0["status"] as? String } == ["active", "rolled-back", "replaced"])
        let actions = (try jsonObject(try fixture.mlgate(["audit", "log", "--json"]).stdout)["audit"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        #expect(actions.suffix(4) == ["deploy", "alias-set", "deploy", "rollback"])
        #expect(try fixture.mlgate(["audit", "verify"]).status == 0)
    }

    @Test("a command target gets the version in its environment; a failing one is recorded and changes nothing")
    func commandTargets() throws {
        let fixture = try repository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["deploy", "m@champion", "--target", "hook"]).status == 0)
        let environment = try #require(fixture.read("deployed.env"))
        #expect(environment.contains("MLGATE_MODEL_URI=models:/m/1") && environment.contains("MLGATE_MODEL_VERSION=1")
                && environment.contains("MLGATE_DEPLOY_TARGET=hook") && environment.contains("MLGATE_MODEL_SHA256="))
        let failed = try fixture.mlgate(["deploy", "m/2", "--target", "failing"])
        #expect(failed.status == 3 && failed.stderr.contains("exited with status 4"), "\(failed)")
        let deployments = try jsonObject(try fixture.mlgate(["deploy", "status", "--json"]).stdout)["deployments"] as? [[String: Any]] ?? []
        #expect(deployments.first?["status"] as? String == "failed")
    }

    @Test("a target path that cannot be written: exit 3, and what it served before still serves")
    func unwritableTarget() throws {
        let fixture = try repository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["deploy", "--target", "prod"]).status == 0)
        // 'versions' becomes a file: nothing new can be published there.
        try FileManager.default.moveItem(atPath: fixture.root + "/served/versions", toPath: fixture.root + "/served/kept")
        try fixture.write("served/versions", "not a folder")
        let failed = try fixture.mlgate(["deploy", "m/2", "--target", "prod", "--force"])
        #expect(failed.status == 3 && failed.stderr.contains("What it served before still serves"), "\(failed)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fixture.root + "/served/current") == "versions/m-v1")
        let bad = try fixture.mlgate(["deploy", "--target", "nowhere"])
        #expect(bad.status == 2 && bad.stderr.contains("no deploy target 'nowhere'"), "\(bad)")
    }

    @Test("deployments and rollbacks travel in refs/notes/mlgate: another clone's deploy status shows what each target serves")
    func deploymentsAreMirrored() throws {
        let fixture = try repository()
        defer { fixture.remove() }
        let remote = try bareOrigin(fixture)
        #expect(try fixture.mlgate(["deploy", "--target", "prod"]).status == 0)
        #expect(try fixture.mlgate(["deploy", "m/2", "--target", "prod", "--force", "--reason", "hotfix"]).status == 0)
        #expect(try fixture.mlgate(["rollback", "prod", "--reason", "bad"]).status == 0)
        #expect(try fixture.mlgate(["models", "push"]).status == 0)

        let clone = fixture.base + "/clone"
        try fixture.git(["clone", "-q", remote, clone], in: fixture.base)
        try fixture.git(["fetch", "-q", "origin", "refs/notes/mlgate:refs/notes/mlgate"], in: clone)
        #expect(try fixture.mlgate(["init"], in: clone).status == 0)
        #expect(try fixture.mlgate(["models", "sync"], in: clone).status == 0)
        let status = try jsonObject(try fixture.mlgate(["deploy", "status", "--json"], in: clone).stdout)
        let deployments = (status["deployments"] as? [[String: Any]] ?? []).filter { $0["target"] as? String == "prod" }
        #expect(deployments.compactMap { $0["version"] as? Int } == [1, 2, 1], "\(deployments)")
        #expect(deployments.compactMap { $0["status"] as? String } == ["active", "rolled-back", "replaced"], "\(deployments)")
        let prod = (status["targets"] as? [[String: Any]])?.first { $0["target"] as? String == "prod" }
        #expect(prod?["serves"] as? String == "models:/m/1")
        // The forced deployment is audited as such in both clones; a second sync imports nothing twice.
        let actions = (try jsonObject(try fixture.mlgate(["audit", "log", "--json"]).stdout)["audit"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        #expect(actions.contains("deploy-forced"))
        #expect(try fixture.mlgate(["models", "sync"], in: clone).status == 0)
        let again = (try jsonObject(try fixture.mlgate(["deploy", "status", "--json"], in: clone).stdout)["deployments"] as? [[String: Any]] ?? [])
        #expect(again.count == deployments.count)
        // The served version is guarded in the clone too.
        #expect(try fixture.mlgate(["models", "archive", "m/1"], in: clone).status == 1)
    }
}
