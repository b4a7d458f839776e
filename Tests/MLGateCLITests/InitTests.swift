import Foundation
import MLGateTestSupport
import Testing

@Suite("mlgate init")
struct InitTests {
    @Test("writes config, store, .gitignore entry and hooks, and records existing history")
    func initialises() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let first = try fixture.commit("first")
        let second = try fixture.commit("second")
        let result = try fixture.mlgate(["init"])
        #expect(result.status == 0, "\(result)")
        #expect(fixture.read("mlgate.yaml")?.contains("version: 1") == true)
        #expect(fixture.read(".gitignore")?.contains(".mlgate/") == true)
        #expect(FileManager.default.fileExists(atPath: fixture.root + "/.mlgate/store.sqlite"))
        for hook in ["post-commit", "post-merge", "post-rewrite", "pre-push"] {
            #expect(FileManager.default.isExecutableFile(atPath: fixture.root + "/.git/hooks/" + hook))
        }
        let entries = try lineage(fixture)
        #expect(ids(entries) == [second, first])
        #expect(entries.allSatisfy { $0["source"] as? String == "sync" })
    }

    @Test("an unborn repository with a dirty tree: init works, and the first commit is recorded by its hook")
    func unbornAndDirty() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.write("untracked.txt", "dirty\n")
        let result = try fixture.mlgate(["init"])
        #expect(result.status == 0, "\(result)")
        #expect(try lineage(fixture).isEmpty)
        let first = try fixture.commit("first")
        let entries = try lineage(fixture)
        #expect(ids(entries) == [first])
        #expect(entries.first?["source"] as? String == "hook")
        #expect(entries.first?["parents"] as? [String] == [])
    }

    @Test("a second run changes nothing and says so")
    func idempotent() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        try fixture.write("mlgate.yaml", "version: 1\nprojects:\n  churn: models/churn\n")
        let before = try snapshot(of: fixture.root + "/.git/hooks")
        let result = try fixture.mlgate(["init"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("nothing changed"), "\(result)")
        #expect(try snapshot(of: fixture.root + "/.git/hooks") == before)
        #expect(fixture.read("mlgate.yaml") == "version: 1\nprojects:\n  churn: models/churn\n")
    }

    @Test("outside a repository: exit 2, a hint, nothing written")
    func notARepository() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let result = try fixture.mlgate(["init"], in: directory)
        #expect(result.status == 2)
        #expect(result.stderr.contains("not a git repository"))
        #expect(result.stderr.contains("git init"))
        #expect(try snapshot(of: directory).isEmpty)
    }

    @Test("a malformed mlgate.yaml: file, line and column, exit 2, nothing written")
    func malformedConfig() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit("first")
        try fixture.write("mlgate.yaml", "version: 1\nhooks:\n  pre_push: [warn\n")
        let before = try snapshot(of: fixture.root)
        let result = try fixture.mlgate(["init"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("mlgate.yaml:"), "\(result)")
        #expect(result.stderr.range(of: #"mlgate\.yaml:\d+:\d+: "#, options: .regularExpression) != nil, "\(result)")
        #expect(try snapshot(of: fixture.root) == before)
    }

    @Test("an unknown section is named with a suggestion")
    func unknownSection() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.write("mlgate.yaml", "version: 1\nhookz:\n  pre_push: warn\n")
        let before = try snapshot(of: fixture.root)
        let result = try fixture.mlgate(["init"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("mlgate.yaml:2:1: unknown section 'hookz' (did you mean 'hooks'?)"), "\(result)")
        #expect(try snapshot(of: fixture.root) == before)
    }

    @Test("a SHA-256 repository is refused in plain words, nothing written")
    func sha256() throws {
        let fixture = try GitFixture(gitInitArguments: ["--object-format=sha256"])
        defer { fixture.remove() }
        let before = try snapshot(of: fixture.root)
        let result = try fixture.mlgate(["init"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("SHA-256"), "\(result)")
        #expect(try snapshot(of: fixture.root) == before)
    }

    @Test("a repository owned by another user is refused with the safe.directory fix")
    func foreignOwner() throws {
        guard getuid() == 0 else { return }  // only root can hand a directory to another user
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit("first")
        #expect(chown(fixture.root, 65534, 65534) == 0)
        let before = try snapshot(of: fixture.root)
        let result = try fixture.mlgate(["init"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("safe.directory"), "\(result)")
        #expect(try snapshot(of: fixture.root) == before)
    }

    @Test("unknown hook events and bad usage exit 2")
    func badUsage() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        let before = try snapshot(of: fixture.root)
        let unknown = try fixture.mlgate(["hook", "post-checkout"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown hook event 'post-checkout'"))
        #expect(try fixture.mlgate(["lineage", "--limit", "0"]).status == 2)
        #expect(try fixture.mlgate(["no-such-command"]).status == 2)
        #expect(try snapshot(of: fixture.root) == before)
    }

    @Test("--help and --version exit 0 on stdout")
    func help() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let help = try fixture.mlgate(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("mlgate init"))
        #expect(try fixture.mlgate(["--version"]).stdout.contains("0."))
    }
}
