import Foundation
import MLGateTestSupport
import Testing

/// A folder outside the repository holding a file, to check that nothing reaches it.
private func outsideFolder(_ fixture: GitFixture) throws -> String {
    let outside = fixture.base + "/outside"
    try FileManager.default.createDirectory(atPath: outside + "/victim", withIntermediateDirectories: true)
    try "precious\n".write(toFile: outside + "/victim/important.txt", atomically: true, encoding: .utf8)
    return outside
}

@Suite("filesystem safety: nothing outside the repository through a link, nothing mlgate did not write")
struct FilesystemSafetyTests {
    @Test("a declared output under a symlinked folder: mlgate run deletes nothing outside, and the run cache restores nothing there")
    func symlinkedOutputParent() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              train: {cmd: 'mkdir -p linkdir/victim && echo weights > linkdir/victim/model.txt', deps: [params.yaml], outs: [linkdir/victim/]}
            """, files: ["params.yaml": "lr: 1\n"])
        defer { fixture.remove() }
        let outside = try outsideFolder(fixture)
        #expect(try fixture.mlgate(["run"]).status == 0)  // linkdir is a real folder: fine, and cached

        // In a fork's pull request the links are the fork's: linkdir now leads outside.
        try FileManager.default.removeItem(atPath: fixture.root + "/linkdir")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/linkdir", withDestinationPath: outside)
        let outsideBefore = try snapshot(of: outside)
        let treeBefore = try snapshot(of: fixture.root)
        let runsBefore = try runs(fixture).count
        for arguments in [["run"], ["run", "--force"]] {
            let refused = try fixture.mlgate(arguments)
            #expect(refused.status == 2 && refused.stderr.contains("symbolic link 'linkdir'") && refused.stderr.contains("stage 'train'"), "\(refused)")
            #expect(try snapshot(of: outside) == outsideBefore, "files outside the repository changed")
            #expect(try snapshot(of: fixture.root) == treeBefore)
        }
        // A changed input would run the stage (and so delete its outputs first): refused the same way.
        try fixture.write("params.yaml", "lr: 2\n")
        #expect(try fixture.mlgate(["run"]).status == 2)
        // And back to the cached inputs, the run cache would restore into the outside folder: refused.
        try fixture.write("params.yaml", "lr: 1\n")
        #expect(try fixture.mlgate(["run"]).status == 2)
        #expect(try snapshot(of: outside) == outsideBefore)
        #expect(try runs(fixture).count == runsBefore)
    }

    @Test("a dependency through a link out of the repository, or a link inside a dependency folder, is read from nowhere")
    func symlinkedDependencies() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              train: {cmd: 'cat data/victim/important.txt > model.bin', deps: [data/], outs: [model.bin]}
            """, files: ["params.yaml": "lr: 1\n"])
        defer { fixture.remove() }
        let outside = try outsideFolder(fixture)
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/data", withDestinationPath: outside)
        let refused = try fixture.mlgate(["run"])
        #expect(refused.status == 2 && refused.stderr.contains("dependency 'data/'"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/model.bin"))
        // A real folder with a link inside it that leads out.
        try FileManager.default.removeItem(atPath: fixture.root + "/data")
        try FileManager.default.createDirectory(atPath: fixture.root + "/data", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/data/victim", withDestinationPath: outside + "/victim")
        let inside = try fixture.mlgate(["run"])
        #expect(inside.status == 2 && inside.stderr.contains("outside the repository"), "\(inside)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/model.bin"))
        // A link that stays inside the repository is fine.
        try FileManager.default.removeItem(atPath: fixture.root + "/data/victim")
        try FileManager.default.createDirectory(atPath: fixture.root + "/real/victim", withIntermediateDirectories: true)
        try fixture.write("real/victim/important.txt", "inside\n")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/data/victim", withDestinationPath: "../real/victim")
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(fixture.read("model.bin") == "inside\n")
    }

    @Test("a directory deploy target at /, the repository, .git, .mlgate or above is refused; a 'current' or version folder mlgate did not make is never replaced")
    func deployTargetPaths() throws {
        let fixture = try pipelineRepository("version: 1\n", files: ["a.bin": "weights a"])
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "m", "--path", "a.bin"]).status == 0)
        let base = try #require(fixture.read("mlgate.yaml"))
        for path in ["/", ".", "./", "..", "../", "../..", ".git", ".git/hooks", ".mlgate", ".mlgate/x", "sub/../.."] {
            try fixture.write("mlgate.yaml", base + "deploy:\n  prod: {type: directory, path: '\(path)', model: m/1}\n")
            let before = try snapshot(of: fixture.root)
            let refused = try fixture.mlgate(["deploy", "--target", "prod"])
            #expect(refused.status == 2 && refused.stderr.contains("mlgate.yaml:3") && refused.stderr.contains("deploy target 'prod'"), "\(path): \(refused)")
            #expect(try snapshot(of: fixture.root) == before, "\(path)")
        }
        // A link to the repository is resolved at deploy time.
        try FileManager.default.createSymbolicLink(atPath: fixture.base + "/link-to-repo", withDestinationPath: fixture.root)
        try fixture.write("mlgate.yaml", base + "deploy:\n  prod: {type: directory, path: ../link-to-repo, model: m/1}\n")
        let linked = try fixture.mlgate(["deploy", "--target", "prod"])
        #expect(linked.status == 2 && linked.stderr.contains("holds the repository"), "\(linked)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/versions") && !FileManager.default.fileExists(atPath: fixture.root + "/current"))

        // A user's own 'current' file and version folder in the target: refused, kept, nothing recorded.
        try fixture.write("mlgate.yaml", base + "deploy:\n  prod: {type: directory, path: ../served, model: m/1}\n")
        try FileManager.default.createDirectory(atPath: fixture.base + "/served", withIntermediateDirectories: true)
        try "mine\n".write(toFile: fixture.base + "/served/current", atomically: true, encoding: .utf8)
        let current = try fixture.mlgate(["deploy", "--target", "prod"])
        #expect(current.status == 2 && current.stderr.contains("is not mlgate's link"), "\(current)")
        #expect(fixture.read(fixture.base + "/served/current") == "mine\n")
        try FileManager.default.removeItem(atPath: fixture.base + "/served/current")
        try FileManager.default.createDirectory(atPath: fixture.base + "/served/versions/m-v1", withIntermediateDirectories: true)
        try "notes\n".write(toFile: fixture.base + "/served/versions/m-v1/notes.txt", atomically: true, encoding: .utf8)
        let folder = try fixture.mlgate(["deploy", "--target", "prod"])
        #expect(folder.status == 2 && folder.stderr.contains("was not written by mlgate"), "\(folder)")
        #expect(fixture.read(fixture.base + "/served/versions/m-v1/notes.txt") == "notes\n")
        let deployments = try jsonObject(try fixture.mlgate(["deploy", "status", "--json"]).stdout)["deployments"] as? [[String: Any]] ?? []
        #expect(deployments.isEmpty, "\(deployments)")
        // Once it is mlgate's, a file added there is kept out of a redeploy's way: refused, not deleted.
        try FileManager.default.removeItem(atPath: fixture.base + "/served/versions")
        #expect(try fixture.mlgate(["deploy", "--target", "prod"]).status == 0)
    }

    @Test("models register --path refuses the repository itself, .git, .mlgate, a folder holding them, a link out, and paths outside")
    func registerPaths() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        try fixture.git(["config", "remote.origin.url", "https://x-access-token:SECRET@example.com/repo.git"])
        try FileManager.default.createDirectory(atPath: fixture.root + "/nested/.git", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/gitlink", withDestinationPath: ".git")
        try "outside\n".write(toFile: fixture.base + "/outside.bin", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/outlink", withDestinationPath: fixture.base + "/outside.bin")
        let objects = fixture.root + "/.mlgate/objects"
        let before = try snapshot(of: fixture.root)
        let objectsBefore = (try? snapshot(of: objects)) ?? [:]
        for (path, reason) in [(".", "the repository itself"), ("", "does not exist"), (".git/config", "inside .git"), (".git", "inside .git"),
                               (".mlgate", "inside .mlgate"), ("gitlink", "inside .git"), ("nested", "holds .git"), ("outlink", "outside the repository"),
                               (fixture.base + "/outside.bin", "outside the repository"), ("..", "the repository itself")] {
            let result = try fixture.mlgate(["models", "register", "churn", "--path", path])
            #expect(result.status == 2 && result.stderr.contains(reason), "\(path): \(result)")
        }
        #expect(try snapshot(of: fixture.root) == before)
        #expect(((try? snapshot(of: objects)) ?? [:]) == objectsBefore)
        #expect(try registeredVersions(fixture).isEmpty)
        #expect(try fixture.git(["tag", "-l"]).stdout.isEmpty)
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "params.yaml"]).status == 0)
    }

    @Test("models download refuses to replace what is there; --force replaces only an earlier download. package --force keeps files it did not write")
    func downloadAndPackageForce() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        try FileManager.default.createDirectory(atPath: fixture.root + "/model", withIntermediateDirectories: true)
        try fixture.write("model/weights.bin", "w1")
        #expect(try fixture.mlgate(["models", "register", "churn", "--path", "model"]).status == 0)
        let out = fixture.base + "/out"
        #expect(try fixture.mlgate(["models", "download", "churn/1", out]).status == 0)
        #expect(fixture.read(out + "/model/weights.bin") == "w1")
        try "mine\n".write(toFile: out + "/model/notes.txt", atomically: true, encoding: .utf8)
        let before = try snapshot(of: out)
        let again = try fixture.mlgate(["models", "download", "churn/1", out])
        #expect(again.status == 2 && again.stderr.contains("already exists") && again.stderr.contains("--force"), "\(again)")
        let forced = try fixture.mlgate(["models", "download", "churn/1", out, "--force"])
        #expect(forced.status == 2 && forced.stderr.contains("notes.txt"), "\(forced)")
        #expect(try snapshot(of: out) == before)
        try FileManager.default.removeItem(atPath: out + "/model/notes.txt")
        try "tampered".write(toFile: out + "/model/weights.bin", atomically: true, encoding: .utf8)
        #expect(try fixture.mlgate(["models", "download", "churn/1", out, "--force"]).status == 0)
        #expect(fixture.read(out + "/model/weights.bin") == "w1")

        let package = fixture.base + "/pkg"
        #expect(try fixture.mlgate(["package", "churn/1", "--out", package]).status == 0)
        try "keep me\n".write(toFile: package + "/README.local", atomically: true, encoding: .utf8)
        let packaged = try snapshot(of: package)
        let replaced = try fixture.mlgate(["package", "churn/1", "--out", package, "--force"])
        #expect(replaced.status == 2 && replaced.stderr.contains("README.local") && replaced.stderr.contains("did not write"), "\(replaced)")
        #expect(try snapshot(of: package) == packaged)
        try FileManager.default.removeItem(atPath: package + "/README.local")
        #expect(try fixture.mlgate(["package", "churn/1", "--out", package, "--force"]).status == 0)
    }
}
