import Foundation
import MLGateTestSupport
import Testing

/// Paths that cannot be written or read: the message names the path and the fix, with the right exit code,
/// and never shows a raw Foundation error.
@Suite("file errors in plain words")
struct FileAccessErrorTests {
    /// Asserts `result` is a typed refusal of `path` with exit `status`.
    private func expectPlainFileError(_ result: ProcessResult, status: Int32, path: String, fix: String) {
        #expect(result.status == status, "\(result)")
        #expect(result.stderr.contains("could not "), "\(result)")
        #expect(result.stderr.contains(path), "\(result)")
        #expect(result.stderr.contains(fix), "\(result)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("Error Domain"), "\(result)")
    }

    @Test("models download into a path under a file, or under a missing root folder: exit 2, the path and the fix")
    func downloadPaths() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "churn", "--run", "1"]).status == 0)
        try fixture.write(fixture.base + "/a-file", "x")
        let before = try snapshot(of: fixture.base)
        let underFile = try fixture.mlgate(["models", "download", "churn/1", fixture.base + "/a-file/sub"])
        expectPlainFileError(underFile, status: 2, path: fixture.base + "/a-file/sub", fix: "every folder above it must exist and be a folder")
        let underProc = try fixture.mlgate(["models", "download", "churn/1", "/proc/no-such-folder/x"])
        expectPlainFileError(underProc, status: 2, path: "/proc/no-such-folder", fix: "check the path")
        #expect(try snapshot(of: fixture.base) == before)
    }

    @Test("gate --junit and --markdown into a missing folder: exit 2, the path and the fix")
    func gateReports() throws {
        let fixture = try gateRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        let junit = fixture.base + "/no-such-folder/gate.xml"
        let result = try fixture.mlgate(["gate", "toy", "--candidate", "1", "--junit", junit])
        expectPlainFileError(result, status: 2, path: junit, fix: "every folder above it must exist")
        let markdown = fixture.base + "/no-such-folder/gate.md"
        let second = try fixture.mlgate(["gate", "toy", "--candidate", "1", "--markdown", markdown])
        expectPlainFileError(second, status: 2, path: markdown, fix: "every folder above it must exist")
        #expect(!FileManager.default.fileExists(atPath: fixture.base + "/no-such-folder"))
    }

    @Test("an evaluate command that writes predictions that are not UTF-8: exit 2, the file named")
    func binaryPredictions() throws {
        let fixture = try gateRepository()
        defer { fixture.remove() }
        try fixture.write("predict.sh", #"printf '\377\376\375' > "$2""# + "\n")
        #expect(try fixture.mlgate(["run"]).status == 0)
        let result = try fixture.mlgate(["gate", "toy", "--candidate", "1"])
        expectPlainFileError(result, status: 2, path: "predictions.csv", fix: "is not UTF-8 text")
    }
}
