public import Foundation

/// What a finished process printed and how it exited.
public struct ProcessResult: Sendable, CustomStringConvertible {
    /// The exit status (or 128 + signal).
    public var status: Int32
    /// Everything written to standard output.
    public var stdout: String
    /// Everything written to standard error.
    public var stderr: String

    public var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Errors from the test helpers themselves.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `executable` with `arguments` in `directory` and waits for it. Output goes through temporary
/// files, so a chatty child can never block on a full pipe.
public func runProcess(
    _ executable: String, _ arguments: [String], in directory: String,
    environment: [String: String], input: String? = nil
) throws -> ProcessResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err"), inURL = scratch.appendingPathComponent("in")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    FileManager.default.createFile(atPath: inURL.path, contents: Data((input ?? "").utf8))

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = environment
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    let inHandle = try FileHandle(forReadingFrom: inURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input == nil ? FileHandle.nullDevice : inHandle
    try process.run()
    process.waitUntilExit()
    try out.close(); try err.close(); try inHandle.close()
    let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    return ProcessResult(
        status: status,
        stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
    )
}

/// The built `mlgate` binary that end-to-end tests run: `$MLGATE_BINARY`, else `mlgate` beside the
/// test bundle in the build folder (`swift build` puts both in `.build/debug`).
public enum MLGateBinary {
    public static var path: String {
        get throws {
            if let explicit = ProcessInfo.processInfo.environment["MLGATE_BINARY"] { return explicit }
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("mlgate").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory.deleteLastPathComponent()
            }
            throw TestSupportError("no mlgate binary beside \(exe); run 'swift build' first or set MLGATE_BINARY")
        }
    }
}
