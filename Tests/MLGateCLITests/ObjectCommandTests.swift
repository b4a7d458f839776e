import Foundation
import MLGateTestSupport
import Testing

@Suite("fsck, gc, push and pull")
struct ObjectCommandTests {
    @Test("fsck passes on a healthy store, and names a damaged or missing object with exit 1")
    func fsck() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        let healthy = try fixture.mlgate(["fsck", "--json"])
        let report = try jsonObject(healthy.stdout)
        #expect(healthy.status == 0 && report["ok"] as? Bool == true, "\(healthy)")

        let lock = try #require(fixture.read("mlgate.lock"))
        let modelHash = try #require(lock.split(separator: "\n").first { $0.contains("\"model.bin\"") }?
            .split(separator: "\"").dropFirst(3).first.map(String.init))
        let objectPath = fixture.root + "/.mlgate/objects/\(modelHash.prefix(2))/\(modelHash.dropFirst(2))"
        chmod(objectPath, 0o644)
        try fixture.write(objectPath, "tampered\n")
        let damaged = try fixture.mlgate(["fsck"])
        #expect(damaged.status == 1 && damaged.stdout.contains("damaged  \(modelHash)"), "\(damaged)")

        try FileManager.default.removeItem(atPath: objectPath)
        let missing = try fixture.mlgate(["fsck"])
        #expect(missing.status == 1 && missing.stdout.contains("missing  \(modelHash)") && missing.stdout.contains("model.bin"), "\(missing)")
    }

    @Test("gc deletes only objects nothing refers to, and --dry-run deletes nothing")
    func gc() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        // An orphan: a file stored by hand in the layout the store uses.
        let orphan = "0000000000000000000000000000000000000000000000000000000000000000"
        try fixture.write(".mlgate/objects/00/" + String(orphan.dropFirst(2)), "orphan")
        let kept = objectContents(fixture).count - 1
        let dry = try fixture.mlgate(["gc", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains(orphan) && dry.stdout.contains("would delete 1 objects"), "\(dry)")
        #expect(objectContents(fixture).contains("orphan"))
        let real = try fixture.mlgate(["gc"])
        #expect(real.status == 0 && real.stdout.contains("deleted 1 objects"), "\(real)")
        #expect(!objectContents(fixture).contains("orphan") && objectContents(fixture).count == kept)
        #expect(try fixture.mlgate(["fsck"]).status == 0)
    }

    @Test("push then pull on a fresh clone restores the outputs without running a stage")
    func pushAndPull() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        let remote = fixture.base + "/remote-objects"
        try FileManager.default.createDirectory(atPath: remote, withIntermediateDirectories: true)
        #expect(try fixture.mlgate(["run"]).status == 0)
        try fixture.git(["add", "mlgate.lock", ".gitignore"])
        try fixture.git(["commit", "-q", "-m", "lock"])
        let pushed = try fixture.mlgate(["push", "--to", remote])
        #expect(pushed.status == 0 && pushed.stdout.contains("run-cache entries"), "\(pushed)")

        let clone = fixture.base + "/clone"
        try fixture.git(["clone", "-q", fixture.root, clone], in: fixture.base)
        #expect(try fixture.mlgate(["init"], in: clone).status == 0)
        let pulled = try fixture.mlgate(["pull", "--from", remote], in: clone)
        #expect(pulled.status == 0, "\(pulled)")
        let run = try fixture.mlgate(["run"], in: clone)
        #expect(run.status == 0 && !run.stderr.contains("[train] trained") && run.stderr.contains("restored"), "\(run)")
        #expect(fixture.read(clone + "/model.bin") == "a,b\n1,2\nlr: 0.1\n")
        #expect(try fixture.mlgate(["pull"], in: clone).status == 2)  // no remote configured, none given
    }

    @Test("push then pull through an S3-compatible server that checks signatures; a wrong key is exit 3 and changes nothing")
    func pushAndPullS3() throws {
        guard S3TestServer.python != nil || ProcessInfo.processInfo.environment["CI"] == "true" else { return }
        let server = try S3TestServer()
        defer { server.stop() }
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        let remote = "s3://\(server.bucket)/team/churn"
        #expect(try fixture.mlgate(["run"]).status == 0)
        try fixture.git(["add", "mlgate.lock", ".gitignore"])
        try fixture.git(["commit", "-q", "-m", "lock"])
        let wrong = try fixture.mlgate(["push", "--to", remote], extraEnvironment: server.environment.merging(["AWS_SECRET_ACCESS_KEY": "wrong-secret"]) { $1 })
        #expect(wrong.status == 3 && wrong.stderr.contains("HTTP 403") && wrong.stderr.contains("AWS_SECRET_ACCESS_KEY") && !wrong.stderr.contains("wrong-secret"),
                "\(wrong)")
        #expect(try fixture.mlgate(["pull", "--from", remote], extraEnvironment: server.environment).stdout.contains("pulled 0 objects and 0 new"),
                "the refused push wrote nothing")
        let pushed = try fixture.mlgate(["push", "--to", remote], extraEnvironment: server.environment)
        #expect(pushed.status == 0 && pushed.stdout.contains("to \(remote)") && !pushed.stdout.contains("pushed 0 objects"), "\(pushed)")
        let again = try fixture.mlgate(["push", "--to", remote], extraEnvironment: server.environment)
        #expect(again.stdout.contains("pushed 0 objects and 0 run-cache entries"), "\(again)")

        let clone = fixture.base + "/clone"
        try fixture.git(["clone", "-q", fixture.root, clone], in: fixture.base)
        #expect(try fixture.mlgate(["init"], in: clone).status == 0)
        let missingKeys = try fixture.mlgate(["pull", "--from", remote], in: clone,
                                             extraEnvironment: ["AWS_ENDPOINT_URL": server.endpoint, "HOME": fixture.base])
        #expect(missingKeys.status == 3 && missingKeys.stderr.contains("no AWS credentials"), "\(missingKeys)")
        let pulled = try fixture.mlgate(["pull", "--from", remote], in: clone, extraEnvironment: server.environment)
        #expect(pulled.status == 0 && pulled.stdout.contains("new run-cache entries") && !pulled.stdout.contains("0 new"), "\(pulled)")
        let run = try fixture.mlgate(["run"], in: clone)
        #expect(run.status == 0 && !run.stderr.contains("[train] trained") && run.stderr.contains("restored"), "\(run)")
        #expect(fixture.read(clone + "/model.bin") == "a,b\n1,2\nlr: 0.1\n")

        // A tampered object in the bucket is refused (exit 1) and never stored.
        let lock = try #require(fixture.read("mlgate.lock"))
        let modelHash = try #require(lock.split(separator: "\n").first { $0.contains("\"model.bin\"") }?
            .split(separator: "\"").dropFirst(3).first.map(String.init))
        try server.overwrite("team/churn/objects/\(modelHash.prefix(2))/\(modelHash.dropFirst(2))", with: "tampered\n")
        let third = fixture.base + "/third"
        try fixture.git(["clone", "-q", fixture.root, third], in: fixture.base)
        #expect(try fixture.mlgate(["init"], in: third).status == 0)
        let tampered = try fixture.mlgate(["pull", "--from", remote], in: third, extraEnvironment: server.environment)
        #expect(tampered.status == 1 && tampered.stderr.contains("damaged"), "\(tampered)")
        #expect(!FileManager.default.fileExists(atPath: third + "/.mlgate/objects/\(modelHash.prefix(2))/\(modelHash.dropFirst(2))"))
    }

    @Test("a write that hits the file-size limit fails cleanly: no torn object, no temp file")
    func fileSizeLimit() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              big: {cmd: head -c 300000 /dev/zero > big.bin, outs: [big.bin]}
            """)
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        let remote = fixture.base + "/small-remote"
        try FileManager.default.createDirectory(atPath: remote, withIntermediateDirectories: true)
        let limited = try runProcess("/usr/bin/prlimit", ["--fsize=100000", try MLGateBinary.path, "push", "--to", remote],
                                     in: fixture.root, environment: fixture.environment)
        #expect(limited.status == 3, "\(limited)")
        #expect(limited.stderr.contains("File too large") && limited.stderr.contains("ulimit -f"), "\(limited)")
        let written = (try? FileManager.default.subpathsOfDirectory(atPath: remote + "/objects")) ?? []
        #expect(written.filter { $0.hasPrefix("tmp/") }.isEmpty, "temp files left: \(written)")
        for path in written where path.count == 65 {
            let data = try #require(FileManager.default.contents(atPath: remote + "/objects/" + path))
            #expect(data.count < 100_000, "a torn object was kept under its name: \(path)")
        }
    }
}

@Suite("a full disk while caching")
struct FullDiskTests {
    /// Mounts a 1 MiB tmpfs at `path`; false when this process may not mount (not root, no CAP_SYS_ADMIN).
    static func mountSmallDisk(at path: String) -> Bool {
        (try? runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", path], in: "/", environment: [:]).status) == 0
    }

    @Test("a stage whose outputs do not fit in the store fails with the disk named, leaving no partial object or temp file",
          .enabled(if: getuid() == 0, "mounting a small disk needs root"))
    func diskFull() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              big: {cmd: head -c 3000000 /dev/urandom > big.bin, outs: [big.bin]}
            """)
        defer { fixture.remove() }
        let objects = fixture.root + "/.mlgate/objects"
        try FileManager.default.createDirectory(atPath: objects, withIntermediateDirectories: true)
        guard Self.mountSmallDisk(at: objects) else { return }
        defer { _ = try? runProcess("/bin/umount", [objects], in: "/", environment: [:]) }
        let result = try fixture.mlgate(["run"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("caching 'big.bin' failed") && result.stderr.contains("the disk is full"), "\(result)")
        let left = (try? FileManager.default.subpathsOfDirectory(atPath: objects)) ?? []
        #expect(left.filter { $0.hasPrefix("tmp/") }.isEmpty, "temp files left: \(left)")
        #expect(try runs(fixture).first?["status"] as? String == "failed")
        #expect(fixture.read("mlgate.lock") == nil)
    }
}
