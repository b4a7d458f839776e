import Foundation
import MLGateTestSupport
import Synchronization
import Testing

@Suite("lineage captured by hooks and reconciled by sync")
struct LineageTests {
    @Test("git commit -a through a real hook (GIT_INDEX_FILE is index.lock) records branch, parents and facts")
    func commitAll() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        let parent = try fixture.head()
        try fixture.write("file.txt", "changed\n")
        try fixture.git(["commit", "-q", "-a", "-m", "Change the file\n\nWith a body."])
        let id = try fixture.head()
        let entries = try lineage(fixture)
        let recorded = try #require(entry(entries, id))
        #expect(recorded["source"] as? String == "hook")
        #expect(recorded["event"] as? String == "commit")
        #expect(recorded["branch"] as? String == "main")
        #expect(recorded["parents"] as? [String] == [parent])
        #expect(recorded["subject"] as? String == "Change the file")
        #expect((recorded["author"] as? [String: Any])?["email"] as? String == "ada@example.com")
        #expect(recorded["tree"] as? String == (try fixture.git(["rev-parse", "HEAD^{tree}"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("hooks print nothing on success")
    func quietHooks() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        try fixture.write("file.txt", "quiet\n")
        let result = try fixture.git(["commit", "-q", "-a", "-m", "quiet"])
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(result)")
    }

    @Test("a rebase of 20 commits: post-commit stays out of the way, post-rewrite records all 20 mappings")
    func rebase() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        try fixture.git(["checkout", "-q", "-b", "topic"])
        var old: [String] = []
        for index in 0..<20 { old.append(try fixture.commit("topic \(index)", file: "topic.txt")) }
        try fixture.git(["checkout", "-q", "main"])
        let base = try fixture.commit("main moves on", file: "main.txt")
        try fixture.git(["checkout", "-q", "topic"])
        try fixture.git(["rebase", "-q", "main"])
        let new = try fixture.git(["rev-list", "--reverse", "main..topic"]).stdout.split(separator: "\n").map(String.init)
        #expect(new.count == 20)
        let entries = try lineage(fixture)
        for (before, after) in zip(old, new) {
            let recorded = try #require(entry(entries, after))
            #expect(recorded["event"] as? String == "rebase")
            #expect(recorded["source"] as? String == "hook")
            #expect(recorded["branch"] as? String == "topic")
            #expect((recorded["rewrittenFrom"] as? [[String: Any]])?.first?["commit"] as? String == before)
        }
        #expect(entry(entries, new[0])?["parents"] as? [String] == [base])
        #expect(!(FileManager.default.contents(atPath: fixture.root + "/.mlgate/log").map { !$0.isEmpty } ?? false))
    }

    @Test("merge, cherry-pick and a detached HEAD are recorded by their hooks")
    func mergeCherryPickDetached() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        try fixture.git(["checkout", "-q", "-b", "feature"])
        let feature = try fixture.commit("feature work", file: "feature.txt")
        let picked = try fixture.commit("fix to pick", file: "fix.txt")
        try fixture.git(["checkout", "-q", "main"])
        try fixture.commit("main work", file: "main.txt")
        try fixture.git(["cherry-pick", picked])
        let cherry = try fixture.head()
        try fixture.git(["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"])
        let merge = try fixture.head()
        try fixture.git(["checkout", "-q", "--detach", "HEAD"])
        let detached = try fixture.commit("on a detached head", file: "detached.txt")
        let entries = try lineage(fixture)
        #expect(entry(entries, merge)?["event"] as? String == "merge")
        #expect((entry(entries, merge)?["parents"] as? [String])?.count == 2)
        #expect(entry(entries, cherry)?["source"] as? String == "hook")
        #expect(entry(entries, feature)?["branch"] as? String == "feature")
        let detachedEntry = try #require(entry(entries, detached))
        #expect(detachedEntry["branch"] is NSNull)
        let onFeature = try lineage(fixture, ["--branch", "feature"])
        #expect(Set(ids(onFeature)) == [feature, picked])
        let reachable = try lineage(fixture, ["feature"])
        #expect(Set(ids(reachable)).isSuperset(of: [feature, picked]) && !ids(reachable).contains(merge))
        #expect(try lineage(fixture, ["--limit", "2"]).count == 2)
    }

    @Test("commits made without hooks are backfilled by sync and marked so")
    func backfill() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        let quiet = try fixture.git(["commit", "-q", "--allow-empty", "-m", "no hooks"], extraEnvironment: ["MLGATE_HOOKS": "0"])
        #expect(quiet.status == 0)
        let id = try fixture.head()
        let sync = try jsonObject(try fixture.mlgate(["lineage", "sync", "--json"]).stdout)
        #expect(sync["backfilled"] as? Int == 1)
        let recorded = try #require(entry(try lineage(fixture), id))
        #expect(recorded["source"] as? String == "sync")
        let show = try jsonObject(try fixture.mlgate(["lineage", "show", String(id.prefix(8)), "--json"]).stdout)
        #expect(show["commit"] as? String == id)
    }

    @Test("a shallow clone: sync stops cleanly at the boundary")
    func shallowClone() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        for index in 0..<5 { try fixture.commit("history \(index)") }
        let clone = fixture.base + "/shallow"
        try fixture.git(["clone", "-q", "--depth", "2", "file://" + fixture.root, clone], in: fixture.base)
        let entries = try lineage(fixture, in: clone)
        #expect(entries.count == 2)
        #expect(entries.last?["parentsMissing"] as? Bool == true)
        let sync = try jsonObject(try fixture.mlgate(["lineage", "sync", "--json"], in: clone).stdout)
        #expect(sync["shallow"] as? Bool == true)
    }

    @Test("linked worktrees share one store, and 8 worktrees committing at once lose no lineage row")
    func concurrentWorktrees() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        let worktrees = (0..<8).map { fixture.base + "/wt\($0)" }
        for (index, path) in worktrees.enumerated() { try fixture.git(["worktree", "add", "-q", "-b", "wt\(index)", path]) }
        let perWorktree = Int(ProcessInfo.processInfo.environment["MLGATE_STRESS_COMMITS"] ?? "") ?? 10
        // Each worktree writes its own content: identical trees, parents, authors and seconds would make
        // identical commit ids, which git (and so mlgate) rightly records once.
        let script = "i=0; while [ $i -lt \(perWorktree) ]; do echo \"$PWD $i\" >> f; git add f && git commit -q -m \"c$i\" || exit 1; i=$((i+1)); done"
        let statuses = Mutex<[Int32]>([])
        DispatchQueue.concurrentPerform(iterations: worktrees.count) { index in
            let status = (try? runProcess("/bin/sh", ["-c", script], in: worktrees[index], environment: fixture.environment).status) ?? -1
            statuses.withLock { $0.append(status) }
        }
        #expect(statuses.withLock { $0 } == Array(repeating: 0, count: worktrees.count))
        #expect(!FileManager.default.fileExists(atPath: worktrees[0] + "/.mlgate"))
        let entries = try lineage(fixture, in: worktrees[3])
        for index in 0..<8 {
            let onBranch = entries.filter { $0["branch"] as? String == "wt\(index)" }
            #expect(onBranch.count == perWorktree)
            #expect(onBranch.allSatisfy { $0["source"] as? String == "hook" })
        }
    }

    @Test("projects: lineage names the configured projects each commit touched")
    func projects() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        try fixture.write("mlgate.yaml", "version: 1\nprojects:\n  churn: models/churn\n  fraud: {path: models/fraud/}\n")
        let churn = try fixture.commit("churn change", file: "models/churn/train.py")
        let both = try fixture.commit("shared", file: "models/fraud/x.py")
        let neither = try fixture.commit("docs", file: "README.md")
        let entries = try lineage(fixture)
        #expect(entry(entries, churn)?["projects"] as? [String] == ["churn"])
        #expect(entry(entries, both)?["projects"] as? [String] == ["fraud"])
        #expect(entry(entries, neither)?["projects"] as? [String] == [])
    }

    @Test("a missing binary: one warning line, the commit still succeeds")
    func missingBinary() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        let hook = fixture.root + "/.git/hooks/post-commit"
        let text = try #require(fixture.read(hook))
        let binary = try MLGateBinary.path
        try fixture.write(hook, text.replacingOccurrences(of: "'\(binary)'", with: "'/nonexistent/mlgate'"), mode: 0o755)
        let result = try fixture.git(["commit", "-q", "--allow-empty", "-m", "no binary"], check: false,
                                     extraEnvironment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 0)
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("mlgate") }
        #expect(warnings.count == 1, "\(result)")

        // Found on PATH instead: recorded by the hook again.
        let directory = (binary as NSString).deletingLastPathComponent
        try fixture.git(["commit", "-q", "--allow-empty", "-m", "binary on PATH"], extraEnvironment: ["PATH": "\(directory):/usr/bin:/bin"])
        #expect(entry(try lineage(fixture), try fixture.head())?["source"] as? String == "hook")
    }

    @Test("a full disk under .mlgate: git still succeeds, the hook logs the error, sync backfills later")
    func fullJournal() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        let journal = fixture.root + "/.mlgate/journal"
        try? FileManager.default.removeItem(atPath: journal)
        try FileManager.default.createSymbolicLink(atPath: journal, withDestinationPath: "/dev/full")
        let result = try fixture.git(["commit", "-q", "--allow-empty", "-m", "disk full"], check: false)
        #expect(result.status == 0)
        let id = try fixture.head()
        #expect(fixture.read(".mlgate/log")?.contains("post-commit") == true, "\(result)")
        try FileManager.default.removeItem(atPath: journal)
        #expect(entry(try lineage(fixture), id)?["source"] as? String == "sync")
    }

    @Test("an unwritable .mlgate: git still succeeds, with one line on stderr")
    func unwritableStore() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        let directory = fixture.root + "/.mlgate"
        try FileManager.default.removeItem(atPath: directory)
        try fixture.write(".mlgate", "not a directory\n")
        let result = try fixture.git(["commit", "-q", "--allow-empty", "-m", "store broken"], check: false)
        #expect(result.status == 0)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result)")
        #expect(fixture.read(".mlgate") == "not a directory\n")
    }

    @Test("a store written by a newer mlgate is refused and left as it was")
    func newerStore() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        let database = fixture.root + "/.mlgate/store.sqlite"
        let sqlite = try runProcess("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('v99-future')\"); c.commit()", database],
                                    in: fixture.root, environment: fixture.environment)
        #expect(sqlite.status == 0, "\(sqlite)")
        let before = try snapshot(of: fixture.root + "/.mlgate")
        let result = try fixture.mlgate(["lineage"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("newer mlgate"), "\(result)")
        #expect(try snapshot(of: fixture.root + "/.mlgate") == before)
    }
}

@Suite("hook fallbacks: when git's files cannot answer, libgit2 does")
struct HookFallbackTests {
    @Test("mlgate-hook hands over to 'mlgate hook' (with post-rewrite's stdin) when HEAD cannot be read from files")
    func handOver() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        // A reftable directory makes the file reader step aside; libgit2 1.5 still reads the loose refs.
        try FileManager.default.createDirectory(atPath: fixture.root + "/.git/reftable", withIntermediateDirectories: true)
        let before = try fixture.commit("through libgit2")
        try fixture.git(["commit", "-q", "--amend", "-m", "amended through libgit2"])
        let after = try fixture.head()
        try FileManager.default.removeItem(atPath: fixture.root + "/.git/reftable")
        let entries = try lineage(fixture)
        #expect(entry(entries, before)?["source"] as? String == "hook")
        #expect(entry(entries, after)?["event"] as? String == "amend")
        #expect((entry(entries, after)?["rewrittenFrom"] as? [[String: Any]])?.first?["commit"] as? String == before)
    }

    @Test("a work tree whose git directory lives elsewhere (--separate-git-dir, git --work-tree)")
    func separateGitDirectory() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let elsewhere = fixture.base + "/elsewhere.git"
        let tree = fixture.base + "/tree"
        try fixture.git(["init", "-q", "-b", "main", "--separate-git-dir", elsewhere, tree], in: fixture.base)
        try fixture.commit("first", in: tree)
        #expect(try fixture.mlgate(["init"], in: tree).status == 0)
        let second = try fixture.commit("second", in: tree)
        try fixture.write(tree + "/file.txt", "third\n")
        try fixture.git(["--git-dir", elsewhere, "--work-tree", tree, "commit", "-q", "-a", "-m", "third"], in: fixture.base)
        let third = try fixture.head(in: tree)
        let entries = try lineage(fixture, in: tree)
        #expect(entry(entries, second)?["source"] as? String == "hook")
        #expect(entry(entries, third)?["source"] as? String == "hook")
        #expect(FileManager.default.fileExists(atPath: tree + "/.mlgate/store.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: fixture.base + "/.mlgate"))
    }
}
