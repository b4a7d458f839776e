import Foundation
import MLGateTestSupport
import Testing

/// A registry owner on `main` with a gated, registered version 1 in staging (pushed to origin), and a second clone
/// for the attacker, who can write to origin and nothing else.
private struct TrustSetup {
    let project: CIProject
    var fixture: GitFixture { project.fixture }
    var attacker: String { fixture.base + "/attacker" }
    /// The commit version 1 was built on.
    let commit: String

    init() throws {
        project = try CIProject(config: CIProject.config(lifecycle: """
            stages: [staging, production]
                  production: {requires: {gate: passed, approvals: 1}}
            """))
        let fixture = project.fixture
        try #require(try fixture.mlgate(["run"]).status == 0)
        let gate = try fixture.mlgate(["gate", "m", "--candidate", "1"])
        try #require(gate.status == 0, "\(gate)")
        try #require(try fixture.mlgate(["models", "register", "m", "--run", "1"]).status == 0)
        try #require(try fixture.mlgate(["promote", "m", "1", "--to", "staging", "--reason", "first"]).status == 0)
        try fixture.write("v2.txt", "0.7\n")
        try #require(try fixture.mlgate(["models", "register", "m", "--path", "v2.txt"]).status == 0)
        try #require(try fixture.mlgate(["models", "push"]).status == 0)
        commit = try fixture.head()
        try fixture.git(["clone", "-q", project.origin, attacker], in: fixture.base)
        try fixture.git(["fetch", "-q", "origin", "refs/notes/mlgate:refs/notes/mlgate"], in: attacker)
    }

    /// An annotated tag made by hand in the attacker's clone.
    func forge(_ name: String, _ message: String, on target: String? = nil) throws {
        try fixture.git(["tag", "-a", "-m", message, name, target ?? commit], in: attacker)
    }

    /// A fresh clone that fetched the registry, with its store, as a victim (or a CI job) sees it.
    func victim(_ name: String = "victim") throws -> String {
        let path = fixture.base + "/" + name
        try fixture.git(["clone", "-q", project.origin, path], in: fixture.base)
        try fixture.git(["fetch", "-q", "origin", "+refs/notes/mlgate:refs/notes/mlgate"], in: path)
        #expect(try fixture.mlgate(["init"], in: path).status == 0)
        return path
    }

    /// The versions a clone's registry holds: version → stage ("-" for none), whether its gate passed, its verdict
    /// digest and its artifact.
    func versions(in directory: String) throws -> [Int: (stage: String, gatePassed: Bool?, digest: String?, artifact: String?)] {
        let shown = try jsonObject(try fixture.mlgate(["models", "show", "m", "--json"], in: directory).stdout)
        var result: [Int: (stage: String, gatePassed: Bool?, digest: String?, artifact: String?)] = [:]
        for version in shown["versions"] as? [[String: Any]] ?? [] {
            guard let number = version["version"] as? Int else { continue }
            result[number] = (version["stage"] as? String ?? "-", version["gate_passed"] as? Bool, version["verdict_digest"] as? String,
                              version["artifact"] as? String)
        }
        return result
    }
}

@Suite("registry trust: what a writer to the git remote can and cannot do")
struct RegistryTrustTests {
    @Test("tags forged in another clone are refused, named and left out; the genuine registry comes through with its gate")
    func forgedTagsAreRefused() throws {
        let setup = try TrustSetup()
        defer { setup.fixture.remove() }
        let fixture = setup.fixture
        let evil = String(repeating: "e", count: 64)
        // Straight into production, skipping the approvals its lifecycle requires.
        try setup.forge("m#production#99", #"{"action":"promote","event":99,"model":"m","stage":"production","version":1}"#)
        // A forged version claiming a passed gate, with an attacker's artifact and a verdict nobody can check: its claim
        // counts for nothing, so it cannot enter a stage that needs a passed gate.
        try setup.forge("m@v7.0.0", #"{"action":"register","artifact":"\#(evil)","gate_passed":true,"model":"m","verdict_digest":"\#(evil)","version":7}"#)
        try setup.forge("m#staging#100", #"{"action":"promote","event":100,"model":"m","stage":"staging","version":7}"#)
        try setup.forge("m#staging!#103", #"{"action":"promote","event":103,"model":"m","stage":"staging","version":7}"#)
        try setup.forge("m#production#104", #"{"action":"promote","event":104,"model":"m","stage":"production","version":7}"#)
        // A claim of a passed gate with no verdict at all; a verdict that judged another artifact.
        try setup.forge("m@v10.0.0", #"{"action":"register","artifact":"\#(evil)","gate_passed":true,"model":"m","version":10}"#)
        let realDigest = try #require(try setup.versions(in: fixture.root)[1]?.digest)
        try setup.forge("m@v12.0.0", #"{"action":"register","artifact":"\#(evil)","gate_passed":true,"model":"m","verdict_digest":"\#(realDigest)","version":12}"#)
        // A version number past any real registry (its arithmetic would overflow), and an alias named like a stage.
        try setup.forge("m@v9223372036854775807.0.0", #"{"action":"register","artifact":"\#(evil)","model":"m","version":9223372036854775807}"#)
        try fixture.git(["notes", "--ref=mlgate", "append", "-m", #"{"action":"alias-set","alias":"production","artifact":"\#(try #require(try setup.versions(in: fixture.root)[1]?.artifact))","model":"m","version":1}"#, setup.commit],
                        in: setup.attacker)
        // A message about another model, and an artifact that is a path.
        try setup.forge("m@v8.0.0", #"{"action":"register","artifact":"\#(evil)","model":"other","version":8}"#)
        try setup.forge("m@v9.0.0", #"{"action":"register","artifact":"../../../../etc/passwd","model":"m","version":9}"#)
        // A second version into staging while version 1 holds it.
        try setup.forge("m#staging#101", #"{"action":"promote","event":101,"model":"m","stage":"staging","version":2}"#)
        // A forced promotion, and an approval noted on another commit than the version's.
        try setup.forge("m#production#102", #"{"action":"promote-forced","event":102,"model":"m","stage":"production","version":1}"#)
        try fixture.write(setup.attacker + "/x.txt", "x")
        try fixture.git(["add", "x.txt"], in: setup.attacker)
        try fixture.git(["commit", "-q", "-m", "elsewhere"], in: setup.attacker)
        try fixture.git(["notes", "--ref=mlgate", "append", "-m", #"{"action":"approve","actor":"mallory","model":"m","stage":"production","version":1}"#, "HEAD"],
                        in: setup.attacker)
        try fixture.git(["push", "-q", "origin", "--tags", "refs/notes/mlgate", "HEAD:refs/heads/elsewhere"], in: setup.attacker)

        let victim = try setup.victim()
        let synced = try fixture.mlgate(["models", "sync"], in: victim)
        #expect(synced.status == 1, "\(synced)")
        for (name, reason) in [("m#production#99", "approval"), ("m#production#104", "no passed gate verdict"),
                               ("m@v12.0.0", "not this version's artifact"),
                               ("m@v8.0.0", "names model 'other'"), ("m@v9.0.0", "not a SHA-256"), ("m#staging#101", "staging already holds version 1"),
                               ("m#production#102", "forced promotion")] {
            let line = synced.stderr.split(separator: "\n").first { $0.contains("refs/tags/\(name):") }
            #expect(line?.contains(reason) == true, "\(name): \(synced.stderr)")
        }
        for (name, note) in [("m@v7.0.0", "does not travel with refs/notes/mlgate"), ("m@v10.0.0", "claims a passed gate but names no verdict")] {
            let line = synced.stderr.split(separator: "\n").first { $0.hasPrefix("note: \(name):") }
            #expect(line?.contains(note) == true && line?.contains("without a gate verdict") == true, "\(name): \(synced.stderr)")
        }
        // What is left is the genuine registry: version 1 in staging with the gate its verdict (from the notes) shows;
        // the unproven registrations 7 and 10 come in as versions without a gate, in no stage.
        let versions = try setup.versions(in: victim)
        #expect(versions.keys.sorted() == [1, 2, 7, 10], "\(versions)")
        #expect(versions[1]?.stage == "staging" && versions[1]?.gatePassed == true && versions[2]?.stage == "-")
        #expect(versions[7]?.stage == "-" && versions[7]?.gatePassed == nil && versions[10]?.gatePassed == nil)
        // The alias named like a stage never came in: m@production is the stage's version, and there is none.
        #expect(try fixture.mlgate(["models", "show", "m@production"], in: victim).status == 2)
        let audit = try jsonObject(try fixture.mlgate(["audit", "log", "--json"], in: victim).stdout)["audit"] as? [[String: Any]] ?? []
        let subjects = Set(audit.compactMap { $0["subject"] as? String })
        #expect(subjects == ["models:/m/1", "models:/m/2", "models:/m/7", "models:/m/10"], "\(subjects)")
        #expect(try fixture.mlgate(["audit", "verify"], in: victim).status == 0)
        // The forged artifact path was never opened: version 9 does not exist, and nothing can reach /etc/passwd.
        let download = try fixture.mlgate(["models", "download", "m/9", fixture.base + "/out"], in: victim)
        #expect(download.status == 2 && !FileManager.default.fileExists(atPath: fixture.base + "/out"), "\(download)")
        // Local numbering moves past every name git holds, refused or not, so nothing local collides with them.
        #expect(try fixture.mlgate(["models", "register", "m", "--path", "mlgate.yaml"], in: victim).stdout.contains("models:/m/13"))

        // The release on a forged tag releases nothing.
        let release = try setup.project.ci(["--release"], in: victim, ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push",
                                                                       "GITHUB_REF": "refs/tags/m#production#99", "GITHUB_SHA": setup.commit])
        #expect(release.status == 1 && release.stderr.contains("refused by the registry's sync"), "\(release)")

        // The owner approves and promotes for real: that move comes through, the forgeries stay out.
        #expect(try fixture.mlgate(["approve", "m", "1", "--stage", "production"]).status == 0)
        #expect(try fixture.mlgate(["promote", "m", "1", "--to", "production", "--reason", "approved"]).status == 0)
        #expect(try fixture.mlgate(["models", "push"]).status == 0)
        let later = try setup.victim("later")
        #expect(try fixture.mlgate(["models", "sync"], in: later).status == 1)
        #expect(try setup.versions(in: later)[1]?.stage == "production")
    }

    @Test("a model, alias or stage name git cannot hold is refused where it enters; an event that can never be mirrored is set aside")
    func refNames() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        try fixture.write("model.bin", "weights")
        let before = try snapshot(of: fixture.root)
        for name in ["a..b", "a.", "a.lock"] {
            let result = try fixture.mlgate(["models", "register", name, "--path", "model.bin"])
            #expect(result.status == 2 && result.stderr.contains("git refuses"), "\(name): \(result)")
        }
        #expect(try snapshot(of: fixture.root) == before)
        #expect(try fixture.git(["tag", "-l"]).stdout.isEmpty)
        try fixture.write("mlgate.yaml", "version: 1\nmodels:\n  a..b: {}\n")
        let config = try fixture.mlgate(["deploy", "status"])
        #expect(config.status == 2 && config.stderr.contains("mlgate.yaml:3") && config.stderr.contains("'..'"), "\(config)")
        try fixture.git(["checkout", "--", "mlgate.yaml"])
        try fixture.write("mlgate.yaml", "version: 1\nmodels:\n  m:\n    lifecycle: {stages: [staging, prod..uction]}\n")
        #expect(try fixture.mlgate(["deploy", "status"]).status == 2)
        try fixture.git(["checkout", "--", "mlgate.yaml"])
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "model.bin"]).status == 0)
        #expect(try fixture.mlgate(["models", "alias", "set", "churn", "best..", "1", "--reason", "x"]).status == 2)

        // A store written before the rule: a version of 'a..b' whose event git can never hold.
        let database = fixture.root + "/.mlgate/store.sqlite"
        let insert = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("INSERT INTO models (name, created_at) VALUES ('a..b', 0)")
            db.execute("INSERT INTO model_versions (model, version, artifact, artifact_is_directory, commit_id, data_hashes, tags, status, created_at, created_by) SELECT 'a..b', 1, artifact, 0, commit_id, '{}', '{}', 'active', 0, 'old' FROM model_versions WHERE model = 'churn'")
            db.execute("INSERT INTO events (kind, model, version, payload, created_at) VALUES ('model.register', 'a..b', 1, '{\\"action\\":\\"register\\",\\"actor\\":\\"old\\",\\"after\\":null,\\"before\\":null,\\"reason\\":null}', 0)")
            db.commit()
            """
        #expect(try runProcess("/usr/bin/env", ["python3", "-c", insert, database], in: fixture.root, environment: fixture.environment).status == 0)
        // The next registry command sets it aside with its reason and goes on with the events after it.
        try fixture.write("other.bin", "other")
        let next = try fixture.mlgate(["models", "register", "churn", "--path", "other.bin"])
        #expect(next.status == 0 && next.stderr.contains("can never be written to git") && next.stderr.contains("a..b"), "\(next)")
        #expect(try fixture.git(["tag", "-l"]).stdout.split(separator: "\n").sorted() == ["churn@v1.0.0", "churn@v2.0.0"])
        let events = try jsonObject(try fixture.mlgate(["events", "list", "--json"]).stdout)["events"] as? [[String: Any]] ?? []
        let setAside = events.filter { $0["mirror_error"] is String }
        #expect(setAside.count == 1 && setAside.first?["model"] as? String == "a..b", "\(events)")
        // It is reported once, not on every command.
        #expect(!(try fixture.mlgate(["models", "tag", "churn/1", "k=v"]).stderr.contains("a..b")))
    }

    @Test("with ci.require_signed_tags, only tags with a good signature count: mlgate signs its own, an unsigned forgery is refused",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen"), "ssh-keygen is installed by .ci/run"))
    func signedTags() throws {
        let fixture = try registryRepository(lifecycle: "")
        defer { fixture.remove() }
        let key = fixture.base + "/signing-key"
        _ = try runProcess("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ada@example.com", "-f", key], in: fixture.base,
                           environment: fixture.environment)
        let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try "ada@example.com \(publicKey)\n".write(toFile: fixture.base + "/allowed_signers", atomically: true, encoding: .utf8)
        for (name, value) in [("gpg.format", "ssh"), ("user.signingkey", key), ("gpg.ssh.allowedSignersFile", fixture.base + "/allowed_signers")] {
            try fixture.git(["config", name, value])
        }
        let config = try #require(fixture.read("mlgate.yaml"))
        try fixture.write("mlgate.yaml", config + "ci: {require_signed_tags: true}\n")
        try fixture.git(["commit", "-q", "-am", "signed tags"])
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0)
        #expect(try fixture.mlgate(["promote", "churn", "1", "--to", "staging", "--reason", "first"]).status == 0)
        #expect(try fixture.git(["verify-tag", "churn@v1.0.0"], check: false).status == 0)
        #expect(try fixture.git(["verify-tag", "churn#staging#1"], check: false).status == 0)

        // A clone that trusts the same key: the signed registry comes through, an unsigned forgery does not.
        let clone = fixture.base + "/clone"
        try fixture.git(["clone", "-q", fixture.root, clone], in: fixture.base)
        try fixture.git(["fetch", "-q", "origin", "refs/notes/mlgate:refs/notes/mlgate"], in: clone)
        try fixture.git(["config", "gpg.ssh.allowedSignersFile", fixture.base + "/allowed_signers"], in: clone)
        try fixture.git(["tag", "-a", "-m", #"{"action":"register","artifact":"\#(String(repeating: "a", count: 64))","model":"churn","version":2}"#,
                         "churn@v2.0.0"], in: clone)
        #expect(try fixture.mlgate(["init"], in: clone).status == 0)
        let synced = try fixture.mlgate(["models", "sync"], in: clone)
        #expect(synced.status == 1 && synced.stderr.contains("refs/tags/churn@v2.0.0: it has no good signature"), "\(synced)")
        let versions = try jsonObject(try fixture.mlgate(["models", "show", "churn", "--json"], in: clone).stdout)["versions"] as? [[String: Any]] ?? []
        #expect(versions.compactMap { $0["version"] as? Int } == [1] && versions.first?["stage"] as? String == "staging", "\(versions)")
    }

    @Test("audit verify also checks that every version has its registration row and that the append-only triggers exist")
    func auditCoverage() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0)
        let intact = try fixture.mlgate(["audit", "verify"])
        #expect(intact.status == 0 && intact.stdout.contains("every version (1) has its registration row") && intact.stdout.contains("triggers are in place"), "\(intact)")
        let database = fixture.root + "/.mlgate/store.sqlite"
        func sql(_ statement: String) throws {
            let script = "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\ndb.execute(sys.argv[2])\ndb.commit()\n"
            #expect(try runProcess("/usr/bin/env", ["python3", "-c", script, database, statement], in: fixture.root, environment: fixture.environment).status == 0)
        }
        // A version slipped into the store without mlgate: the chain is intact, but the version has no row.
        try sql("INSERT INTO model_versions (model, version, artifact, artifact_is_directory, data_hashes, tags, status, created_at, created_by) SELECT model, 2, artifact, 0, '{}', '{}', 'active', 0, 'x' FROM model_versions WHERE version = 1")
        let slipped = try fixture.mlgate(["audit", "verify"])
        #expect(slipped.status == 1 && slipped.stdout.contains("models:/churn/2") && slipped.stdout.contains("no registration row"), "\(slipped)")
        try sql("DELETE FROM model_versions WHERE version = 2")
        // The append-only triggers dropped: then the log could be edited without a trace.
        try sql("DROP TRIGGER audit_is_append_only_update")
        let dropped = try fixture.mlgate(["audit", "verify"])
        #expect(dropped.status == 1 && dropped.stdout.contains("audit_is_append_only_update"), "\(dropped)")
    }
}
