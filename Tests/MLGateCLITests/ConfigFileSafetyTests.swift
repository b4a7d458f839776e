import Foundation
import MLGateTestSupport
import Testing

/// mlgate.yaml and the files it names (parameters, metrics, the lock) as an attacker or a mistake may leave
/// them: symbolic links out of the repository, huge files, pipes, custom YAML tags.
@Suite("repository YAML files that must not be trusted")
struct ConfigFileSafetyTests {
    /// A file outside the repository whose first line would show in an error if mlgate read it.
    private func outsideSecret(_ fixture: GitFixture) throws -> String {
        let path = fixture.base + "/outside-secret.yaml"
        try fixture.write(path, "leaked_secret_line: 1\n")
        return path
    }

    @Test("mlgate.yaml linked out of the repository: exit 2, the file and the fix named, the target never shown, nothing written")
    func configLinkedOutside() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        let secret = try outsideSecret(fixture)
        try FileManager.default.removeItem(atPath: fixture.root + "/mlgate.yaml")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/mlgate.yaml", withDestinationPath: secret)
        let before = try snapshot(of: fixture.base)
        for command in [["run"], ["lineage"], ["gate", "churn"], ["init"]] {
            let result = try fixture.mlgate(command)
            #expect(result.status == 2, "\(command): \(result)")
            #expect(result.stderr.contains("mlgate.yaml"), "\(result)")
            #expect(result.stderr.contains("outside the repository"), "\(result)")
            #expect(result.stderr.contains("Replace the link with a regular file"), "\(result)")
            #expect(!result.stderr.contains("leaked_secret") && !result.stdout.contains("leaked_secret"), "\(result)")
        }
        #expect(try snapshot(of: fixture.base) == before)
    }

    @Test("mlgate.yaml linked to a file inside the repository is read; a link into .git/ or to nothing is refused")
    func configLinkedInside() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        try FileManager.default.moveItem(atPath: fixture.root + "/mlgate.yaml", toPath: fixture.root + "/config.yaml")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/mlgate.yaml", withDestinationPath: "config.yaml")
        let ran = try fixture.mlgate(["run"])
        #expect(ran.status == 0, "\(ran)")

        try FileManager.default.removeItem(atPath: fixture.root + "/mlgate.yaml")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/mlgate.yaml", withDestinationPath: ".git/config")
        let before = try snapshot(of: fixture.base)
        let intoGit = try fixture.mlgate(["run"])
        #expect(intoGit.status == 2, "\(intoGit)")
        #expect(intoGit.stderr.contains("inside .git/"), "\(intoGit)")
        #expect(!intoGit.stderr.contains("repositoryformatversion"), "\(intoGit)")

        try FileManager.default.removeItem(atPath: fixture.root + "/mlgate.yaml")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/mlgate.yaml", withDestinationPath: "missing.yaml")
        let dangling = try fixture.mlgate(["run"])
        #expect(dangling.status == 2, "\(dangling)")
        #expect(dangling.stderr.contains("mlgate.yaml: this file is a symbolic link to missing.yaml that leads nowhere"), "\(dangling)")
        try FileManager.default.removeItem(atPath: fixture.root + "/mlgate.yaml")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/mlgate.yaml", withDestinationPath: ".git/config")
        #expect(try snapshot(of: fixture.base) == before)
    }

    @Test("a 100 MB mlgate.yaml is refused by its size, at once")
    func hugeConfig() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        let path = fixture.root + "/mlgate.yaml"
        // A sparse file: 100 MB long, nothing on disk; reading it whole would still cost 100 MB of memory.
        #expect(truncate(path, 100 << 20) == 0)
        let before = try snapshot(of: fixture.root + "/.mlgate")
        let started = Date()
        let result = try fixture.mlgate(["run"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("mlgate.yaml: this file is 104857600 bytes; mlgate reads at most 1048576 and read none of it"), "\(result)")
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try snapshot(of: fixture.root + "/.mlgate") == before)
    }

    @Test("mlgate.yaml as a named pipe is refused instead of waiting for a writer")
    func pipeConfig() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        let path = fixture.root + "/mlgate.yaml"
        try FileManager.default.removeItem(atPath: path)
        #expect(mkfifo(path, 0o644) == 0)
        let run = try fixture.startMlgate(["lineage"])
        let ended = run.waitUntil(seconds: 10) { processEnded(run.pid) }
        if !ended { run.send(SIGKILL) }
        let result = run.wait()
        #expect(ended, "mlgate blocked on the pipe")
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("this is a named pipe, not a regular file"), "\(result)")
    }

    @Test("custom YAML tags are refused at their line, in mlgate.yaml and in a parameters file", arguments: [
        ("mlgate.yaml", "version: 1\nhooks: !!python/object:os.system\n  pre_push: warn\n", "mlgate.yaml:2:8: the YAML tag '!!python/object:os.system' is not supported"),
        ("mlgate.yaml", "version: 1\nhooks:\n  pre_push: !warning warn\n", "mlgate.yaml:3:13: the YAML tag '!warning' is not supported"),
        ("params.yaml", "lr: !!binary MC4x\n", "params.yaml:1:5: the YAML tag '!!binary' is not supported"),
    ])
    func customTags(file: String, text: String, message: String) throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        try fixture.write(file, text)
        let before = try snapshot(of: fixture.base)
        let result = try fixture.mlgate(["run"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(result.stderr.contains("Remove the tag"), "\(result)")
        #expect(try snapshot(of: fixture.base) == before)
    }

    @Test("a parameters file linked out of the repository is refused before anything runs")
    func paramsLinkedOutside() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        let secret = try outsideSecret(fixture)
        try FileManager.default.removeItem(atPath: fixture.root + "/params.yaml")
        try FileManager.default.createSymbolicLink(atPath: fixture.root + "/params.yaml", withDestinationPath: secret)
        // The store is opened before the plan is checked; everything else must be untouched.
        let before = try snapshot(of: fixture.base).filter { !$0.key.hasPrefix("repo/.mlgate/") }
        let result = try fixture.mlgate(["run"])
        #expect(result.status == 2, "\(result)")
        // The plan's path check names the link first; reading the file would refuse it too (RepositoryFile).
        #expect(result.stderr.contains("parameter file 'params.yaml'") && result.stderr.contains("'params.yaml' → \(secret), which leads out of the repository"), "\(result)")
        #expect(!result.stderr.contains("leaked_secret"), "\(result)")
        #expect(try snapshot(of: fixture.base).filter { !$0.key.hasPrefix("repo/.mlgate/") } == before)
    }
}
