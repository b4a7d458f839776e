import Foundation
import MLGateTestSupport
import Testing

@Suite("the registry in git: tags, notes and sync")
struct MirrorTests {
    @Test("registrations and stage moves become GTO tags and notes; a fresh clone rebuilds the registry from them")
    func tagsNotesAndSync() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--run", "1"]).status == 0)
        #expect(try fixture.mlgate(["promote", "churn", "1", "--to", "staging", "--reason", "first"]).status == 0)
        try fixture.write("params.yaml", "lr: 0.2\n")
        try fixture.git(["commit", "-q", "-am", "lr"])
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--run", "2"]).status == 0)
        #expect(try fixture.mlgate(["promote", "churn", "2", "--to", "staging", "--reason", "better"]).status == 0)
        #expect(try fixture.mlgate(["models", "alias", "set", "churn", "champion", "1", "--reason", "first"]).status == 0)
        #expect(try fixture.mlgate(["models", "alias", "set", "churn", "champion", "2", "--reason", "better"]).status == 0)
        #expect(try fixture.mlgate(["models", "alias", "set", "churn", "shadow", "1", "--reason", "try"]).status == 0)
        #expect(try fixture.mlgate(["models", "alias", "unset", "churn", "shadow", "--reason", "done"]).status == 0)

        let tags = try fixture.git(["tag", "-l"]).stdout.split(separator: "\n").map(String.init)
        #expect(tags.sorted() == ["churn#staging!#2", "churn#staging#1", "churn#staging#3", "churn@v1.0.0", "churn@v2.0.0"])
        #expect(try fixture.git(["cat-file", "-t", "churn@v1.0.0"]).stdout == "tag\n")  // annotated, as GTO requires
        let message = try fixture.git(["tag", "-l", "--format=%(contents)", "churn#staging#3"]).stdout
        #expect(message.contains("\"version\":2") && message.contains("\"stage\":\"staging\""))
        let note = try fixture.git(["notes", "--ref=mlgate", "show", "HEAD"]).stdout
        #expect(note.contains("\"action\":\"register\"") && note.contains("\"action\":\"promote\""))

        let clone = fixture.base + "/clone"
        try fixture.git(["clone", "-q", fixture.root, clone], in: fixture.base)
        try fixture.git(["fetch", "-q", "origin", "refs/notes/mlgate:refs/notes/mlgate"], in: clone)
        #expect(try fixture.mlgate(["init"], in: clone).status == 0)
        let synced = try fixture.mlgate(["models", "sync"], in: clone)
        #expect(synced.status == 0 && synced.stdout.contains("synced 2 versions from git (2 new)") && synced.stdout.contains("churn/2 in staging"), "\(synced)")
        let versions = try jsonObject(try fixture.mlgate(["models", "show", "churn", "--json"], in: clone).stdout)["versions"] as? [[String: Any]] ?? []
        #expect(versions.compactMap { $0["version"] as? Int } == [2, 1])
        #expect(versions.first?["stage"] as? String == "staging" && versions.last?["stage"] is NSNull)
        // Aliases come back from the notes, in the order they moved.
        #expect(versions.first?["aliases"] as? [String] == ["champion"] && versions.last?["aliases"] as? [String] == [])
        // A second sync adds nothing; a local registration continues the numbering.
        #expect(try fixture.mlgate(["models", "sync"], in: clone).stdout.contains("(0 new)"))
        let next = try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], in: clone)
        #expect(next.stdout.contains("models:/churn/3"), "\(next)")
        // A stage move in the clone continues the event numbering of the tags it synced.
        #expect(try fixture.mlgate(["promote", "churn", "3", "--to", "staging", "--reason", "clone"], in: clone).status == 0)
        // (version 2 leaves staging first: event 4 unassigns it, event 5 assigns version 3)
        let cloneTags = try fixture.git(["tag", "-l", "churn#staging*"], in: clone).stdout.split(separator: "\n")
        #expect(cloneTags.contains("churn#staging!#4") && cloneTags.contains("churn#staging#5"), "\(cloneTags)")
    }

    @Test("GTO reads the registry mlgate wrote: the same versions and stages", .enabled(if: gtoBinary() != nil, "GTO is installed by .ci/run"))
    func gtoReadsIt() throws {
        let gto = try #require(gtoBinary())
        let fixture = try registryRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--run", "1"]).status == 0)
        #expect(try fixture.mlgate(["promote", "churn", "1", "--to", "staging", "--reason", "first"]).status == 0)
        try fixture.write("params.yaml", "lr: 0.3\n")
        try fixture.git(["commit", "-q", "-am", "lr"])
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--run", "2"]).status == 0)
        let shown = try runProcess(gto, ["show", "churn", "--json"], in: fixture.root, environment: fixture.environment)
        #expect(shown.status == 0, "\(shown)")
        let versions = (try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [[String: Any]]) ?? []
        let names = Set(versions.compactMap { $0["version"] as? String })
        #expect(names == ["v1.0.0", "v2.0.0"], "\(shown.stdout)")
        let stages = versions.first { $0["version"] as? String == "v1.0.0" }?["stages"] as? [[String: Any]] ?? []
        let staging = stages.first { $0["is_active"] as? Bool == true }?["stage"] as? String
        #expect(staging == "staging", "\(shown.stdout)")
    }
}

/// The `gto` binary: `$MLGATE_GTO`, else the venv `.ci/run` makes.
func gtoBinary() -> String? {
    let candidates = [ProcessInfo.processInfo.environment["MLGATE_GTO"], "/tmp/gto-venv/bin/gto"].compactMap { $0 }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite("pushing the registry to a git remote")
struct RegistryPushTests {
    @Test("two clones register and push: tags and merged notes reach the remote, a taken version number is refused")
    func twoWriters() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        let remote = try bareOrigin(fixture)
        let other = fixture.base + "/other"
        try fixture.git(["clone", "-q", remote, other], in: fixture.base)
        #expect(try fixture.mlgate(["init"], in: other).status == 0)

        // The first writer registers and pushes.
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0)
        let pushed = try fixture.mlgate(["models", "push"])
        #expect(pushed.status == 0 && pushed.stdout.contains("pushed 1 tag"), "\(pushed)")

        // The second registers without syncing: its version 1 is taken on the remote, so the push renumbers it
        // to 2, syncs the remote's version 1 in, and pushes.
        try fixture.write(other + "/other.txt", "other")
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "other.txt"], in: other).status == 0)
        let renumbered = try fixture.mlgate(["models", "push"], in: other)
        #expect(renumbered.status == 0 && renumbered.stderr.contains("is now version 2"), "\(renumbered)")
        let otherVersions = try jsonObject(try fixture.mlgate(["models", "show", "churn", "--json"], in: other).stdout)["versions"] as? [[String: Any]] ?? []
        #expect(otherVersions.compactMap { $0["version"] as? Int } == [2, 1])
        #expect(otherVersions.first?["source_path"] as? String == "other.txt")
        #expect(try fixture.mlgate(["audit", "verify"], in: other).status == 0)

        // A third clone syncs first, registers version 3, and pushes; the notes of every writer merge.
        let third = fixture.base + "/third"
        try fixture.git(["clone", "-q", remote, third], in: fixture.base)
        try fixture.git(["fetch", "-q", "origin", "refs/notes/mlgate:refs/notes/mlgate"], in: third)
        #expect(try fixture.mlgate(["init"], in: third).status == 0)
        #expect(try fixture.mlgate(["models", "sync"], in: third).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"], in: third).stdout.contains("models:/churn/3"))
        #expect(try fixture.mlgate(["models", "push"], in: third).status == 0)
        // Meanwhile the first writer promotes version 1 without having seen versions 2 and 3: its push merges the notes.
        #expect(try fixture.mlgate(["promote", "churn", "1", "--to", "staging", "--reason", "first"]).status == 0)
        let merged = try fixture.mlgate(["models", "push"])
        #expect(merged.status == 0, "\(merged)")
        let remoteTags = try fixture.git(["--git-dir", remote, "tag", "-l"]).stdout.split(separator: "\n")
        #expect(remoteTags.sorted() == ["churn#staging#1", "churn@v1.0.0", "churn@v2.0.0", "churn@v3.0.0"], "\(remoteTags)")
        let notes = try fixture.git(["--git-dir", remote, "log", "-p", "refs/notes/mlgate"]).stdout
        #expect(notes.contains("\"action\":\"promote\"") && notes.contains("\"version\":3"))
    }

    @Test("artifacts travel under refs/mlgate/objects/ with the tags; over the size limit or switched off they stay out, with a warning")
    func artifactsInGit() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        let remote = try bareOrigin(fixture)
        func remoteObjects() throws -> [String] {
            try fixture.git(["--git-dir", remote, "for-each-ref", "--format=%(refname)", "refs/mlgate/objects/"]).stdout.split(separator: "\n").map(String.init)
        }
        try FileManager.default.createDirectory(atPath: fixture.root + "/small", withIntermediateDirectories: true)
        try fixture.write("small/a.bin", "a")
        try fixture.write("small/b.bin", "b")
        let registered = try jsonObject(try fixture.mlgate(["models", "register", "churn", "--path", "small", "--json"]).stdout)
        let hash = try #require(registered["artifact"] as? String)
        #expect(try fixture.mlgate(["models", "push"]).status == 0)
        #expect(try remoteObjects() == ["refs/mlgate/objects/" + hash])
        // The folder's manifest and both files are in the ref's tree, named by their hashes.
        let tree = try fixture.git(["--git-dir", remote, "ls-tree", "--name-only", "refs/mlgate/objects/" + hash]).stdout.split(separator: "\n")
        #expect(tree.count == 3 && tree.contains(Substring(hash)), "\(tree)")

        // Over the limit: left out with a warning; with artifacts_in_git false: nothing at all.
        let config = try #require(fixture.read("mlgate.yaml"))
        try fixture.write("mlgate.yaml", config + "remote: {artifacts_in_git_max_mb: 1}\n")
        try fixture.write("big.bin", String(repeating: "x", count: 2 << 20))
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "big.bin"]).status == 0)
        let limited = try fixture.mlgate(["models", "push"])
        #expect(limited.status == 0 && limited.stderr.contains("over remote.artifacts_in_git_max_mb (1)"), "\(limited)")
        #expect(try remoteObjects().count == 1)
        try fixture.write("mlgate.yaml", config + "remote: {artifacts_in_git: false}\n")
        try fixture.write("other.bin", "other")
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "other.bin"]).status == 0)
        let off = try fixture.mlgate(["models", "push"])
        #expect(off.status == 0 && !off.stderr.contains("artifacts_in_git"), "\(off)")
        #expect(try remoteObjects().count == 1)
        try fixture.write("mlgate.yaml", config + "remote: {artifacts_in_git: maybe}\n")
        #expect(try fixture.mlgate(["models", "push"]).status == 2)
    }

    @Test("a registry tag fetched over the name an event would take never swallows the event: it takes the next free number")
    func fetchedTagOverOurs() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        let remote = try bareOrigin(fixture)
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0)
        #expect(try fixture.mlgate(["models", "push"]).status == 0)
        let other = fixture.base + "/other"
        try fixture.git(["clone", "-q", remote, other], in: fixture.base)
        try fixture.git(["fetch", "-q", "origin", "refs/notes/mlgate:refs/notes/mlgate"], in: other)
        #expect(try fixture.mlgate(["init"], in: other).status == 0)
        #expect(try fixture.mlgate(["models", "sync"], in: other).status == 0)
        // The first clone promotes version 1 and pushes: churn#staging#1.
        #expect(try fixture.mlgate(["promote", "churn", "1", "--to", "staging", "--reason", "first"]).status == 0)
        #expect(try fixture.mlgate(["models", "push"]).status == 0)
        // The other clone fetches the tags with a plain fetch (no sync), registers version 2 and promotes it: its event
        // number 1 is taken by a tag of version 1, so its move is written under the next free number instead.
        try fixture.git(["fetch", "-q", "--tags", "origin"], in: other)
        try fixture.write(other + "/v2.txt", "two")
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "v2.txt"], in: other).status == 0)
        let promoted = try fixture.mlgate(["promote", "churn", "2", "--to", "staging", "--reason", "mine"], in: other)
        #expect(promoted.status == 0, "\(promoted)")
        let tags = try fixture.git(["tag", "-l", "churn#*"], in: other).stdout.split(separator: "\n").map(String.init)
        #expect(tags.sorted() == ["churn#staging#1", "churn#staging#2"], "\(tags)")
        let message = try fixture.git(["tag", "-l", "--format=%(contents)", "churn#staging#2"], in: other).stdout
        #expect(message.contains("\"version\":2"), "\(message)")
        let events = try jsonObject(try fixture.mlgate(["events", "list", "--json"], in: other).stdout)["events"] as? [[String: Any]] ?? []
        #expect(events.allSatisfy { $0["mirror_error"] is NSNull }, "\(events)")
    }
}
