import Foundation
import MLGateTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `mlgate run` re-checks a dependency folder from its cached scan (FolderSnapshot) and still sees every change.
@Suite("the folder cache of mlgate run")
struct FolderCacheTests {
    /// One stage that reads the folder `src/` (files two levels deep) and counts its bytes.
    private func repository() throws -> GitFixture {
        let config = """
            version: 1
            stages:
              count:
                cmd: sh -c 'cat src/*.txt src/deep/*.txt src/deep/er/*.txt | wc -c > count.txt'
                deps: [src/]
                outs: [count.txt]
            """
        let fixture = try pipelineRepository(config, files: [
            "src/a.txt": "alpha\n", "src/deep/b.txt": "bravo\n", "src/deep/er/c.txt": "charlie\n",
        ])
        let first = try fixture.mlgate(["run"])
        guard first.status == 0 else { throw TestSupportError("first run failed: \(first)") }
        usleep(120_000)  // past the racy window, so the next run trusts the scan
        let second = try fixture.mlgate(["run"])  // saves the trusted scan
        guard second.status == 0, second.stderr.contains("up to date") else { throw TestSupportError("second run: \(second)") }
        return fixture
    }

    /// Whether a dry run says the stage is out of date (it would run, or be restored from the run cache).
    private func wouldRun(_ fixture: GitFixture) throws -> Bool {
        let result = try fixture.mlgate(["run", "--dry-run"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("would run") || result.stderr.contains("would be restored") || result.stderr.contains("is up to date"), "\(result)")
        return !result.stderr.contains("is up to date")
    }

    @Test("a same-size edit in place, deep in the folder, re-runs the stage")
    func sameSizeEdit() throws {
        let fixture = try repository()
        defer { fixture.remove() }
        #expect(try !wouldRun(fixture))
        let handle = try #require(FileHandle(forWritingAtPath: fixture.root + "/src/deep/er/c.txt"))
        try handle.write(contentsOf: Data("CHARLIE\n".utf8))
        try handle.close()
        #expect(try wouldRun(fixture))
    }

    @Test("a file added to, then removed from, a nested folder re-runs the stage each time")
    func addedAndRemoved() throws {
        let fixture = try repository()
        defer { fixture.remove() }
        try fixture.write("src/deep/new.txt", "new\n")
        #expect(try wouldRun(fixture))
        let run = try fixture.mlgate(["run"])
        #expect(run.status == 0, "\(run)")
        usleep(120_000)
        #expect(try !wouldRun(fixture))
        unlink(fixture.root + "/src/deep/new.txt")
        #expect(try wouldRun(fixture))
    }

    @Test("a file touched back to its old mtime after an edit re-runs the stage (its ctime changed)")
    func touchedBack() throws {
        let fixture = try repository()
        defer { fixture.remove() }
        let path = fixture.root + "/src/deep/b.txt"
        var before = stat()
        #expect(stat(path, &before) == 0)
        try "BRAVO\n".write(toFile: path, atomically: false, encoding: .utf8)
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        #expect(try wouldRun(fixture))
    }

    @Test("an edit right after a run (within the racy window) is still seen")
    func racyEdit() throws {
        let fixture = try repository()
        defer { fixture.remove() }
        try "ALPHA\n".write(toFile: fixture.root + "/src/a.txt", atomically: false, encoding: .utf8)
        let run = try fixture.mlgate(["run"])  // hashes a.txt moments after its write: not trusted
        #expect(run.status == 0, "\(run)")
        try "alpha\n".write(toFile: fixture.root + "/src/a.txt", atomically: false, encoding: .utf8)  // same size, same tick maybe
        #expect(try wouldRun(fixture))
    }
}
