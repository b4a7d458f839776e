import Foundation
import MLGateTestSupport
@testable import MLGateNotify

/// A running `fake_forge.py` (beside this file) on a free loopback port, stopped on `stop()` or deinit.
final class FakeForge {
    /// One request the server saw.
    struct Recorded: Decodable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String

        /// A header value by case-insensitive name.
        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    let server: LoopbackScript
    let directory: URL
    let logURL: URL

    /// The port it listens on.
    var port: Int { server.port }
    /// `http://127.0.0.1:PORT`
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts the server with extra command-line `arguments` (see fake_forge.py).
    init(_ arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-notify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("requests.jsonl")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fake_forge.py")
        server = try LoopbackScript(script.path, [logURL.path] + arguments)
    }

    /// Every request so far, in arrival order.
    func requests() throws -> [Recorded] {
        guard let data = FileManager.default.contents(atPath: logURL.path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(Recorded.self, from: Data($0.utf8))
        }
    }

    /// Stops the server and removes its log.
    func stop() {
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

/// Records the waits an `HTTPClient` asks for instead of sleeping them.
final class SleepRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Double] = []

    /// The waits so far.
    var waits: [Double] { lock.withLock { recorded } }

    /// A `sleep` closure for `HTTPClient.init`.
    var sleep: @Sendable (Double) -> Void { { [self] seconds in lock.withLock { recorded.append(seconds) } } }
}
