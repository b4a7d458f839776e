import Foundation
import MLGateTestSupport

/// A running `scripts/webhook_receiver.py` on a free loopback port: it records every POST and checks its Standard
/// Webhooks signature itself (in Python, independently of mlgate). Stopped on `stop()` or deinit.
final class WebhookReceiver {
    /// One request the receiver saw.
    struct Received: Decodable {
        var path: String
        var headers: [String: String]
        var body: String
        /// The receiver's own signature check (nil without a secret).
        var verified: Bool?
        /// What it answered.
        var status: Int

        /// The parsed JSON body.
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    private let process = Process()
    let port: Int
    let directory: URL
    let logURL: URL

    /// `http://127.0.0.1:PORT`
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts the receiver with its command-line `arguments` (`--secret`, `--answers`, `--always`, `--delay`).
    init(_ arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-receiver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("received.jsonl")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/webhook_receiver.py").standardized
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, logURL.path] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line: [UInt8] = []
        while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw TestSupportError("webhook_receiver.py did not print its port: '\(String(decoding: line, as: UTF8.self))'")
        }
        self.port = port
    }

    /// Every request so far, in arrival order.
    func received() throws -> [Received] {
        guard let data = FileManager.default.contents(atPath: logURL.path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(Received.self, from: Data($0.utf8))
        }
    }

    /// Waits until `count` requests arrived or `seconds` pass; returns what arrived.
    func waitFor(_ count: Int, seconds: Double = 10) throws -> [Received] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, try received().count < count { usleep(20_000) }
        return try received()
    }

    /// Stops the receiver and removes its log.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
