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

/// A process started in the background, its output going to temporary files that can be read while it runs.
public final class BackgroundProcess {
    private let process = Process()
    private let scratch: URL

    /// Starts `executable`.
    public init(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String]) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        for name in ["out", "err"] { FileManager.default.createFile(atPath: scratch.appendingPathComponent(name).path, contents: nil) }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: scratch.appendingPathComponent("out"))
        process.standardError = try FileHandle(forWritingTo: scratch.appendingPathComponent("err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// What it wrote to standard error so far.
    public var stderr: String {
        String(decoding: (try? Data(contentsOf: scratch.appendingPathComponent("err"))) ?? Data(), as: UTF8.self)
    }

    /// Waits until `condition` holds (checked every 20 ms) or `seconds` pass; returns whether it held.
    @discardableResult
    public func waitUntil(seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Sends `signal`.
    public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for it to end.
    public func wait() -> ProcessResult {
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return ProcessResult(status: status,
                             stdout: String(decoding: (try? Data(contentsOf: scratch.appendingPathComponent("out"))) ?? Data(), as: UTF8.self),
                             stderr: stderr)
    }
}

extension GitFixture {
    /// Starts the built mlgate binary in the background.
    public func startMlgate(_ arguments: [String], in directory: String? = nil, extraEnvironment: [String: String] = [:]) throws -> BackgroundProcess {
        try BackgroundProcess(try MLGateBinary.path, arguments, in: directory ?? root, environment: environment.merging(extraEnvironment) { $1 })
    }
}
