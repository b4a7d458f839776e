import Foundation

/// A Python script serving on a free loopback port (the tests' fake receivers and APIs): started with its arguments,
/// its port read from the first line it prints, killed with SIGKILL on `stop()` or deinit (the test runner's threads
/// may block SIGTERM, and children inherit that mask).
public final class LoopbackScript {
    private let process = Process()
    /// The port the script listens on.
    public let port: Int

    /// Starts `python3 script arguments…` and waits for the port line.
    public init(_ script: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line: [UInt8] = []
        while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestSupportError("\((script as NSString).lastPathComponent) did not print its port: '\(String(decoding: line, as: UTF8.self))'")
        }
        self.port = port
    }

    /// Stops the script.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
