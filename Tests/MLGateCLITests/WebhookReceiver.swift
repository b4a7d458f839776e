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

    private let server: LoopbackScript
    let directory: URL
    let logURL: URL

    /// The port it listens on.
    var port: Int { server.port }
    /// `http://127.0.0.1:PORT`
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts the receiver with its command-line `arguments` (`--secret`, `--answers`, `--always`, `--delay`).
    init(_ arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-receiver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("received.jsonl")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/webhook_receiver.py").standardized
        server = try LoopbackScript(script.path, [logURL.path] + arguments)
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
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
