import Foundation
import MLGateCore
import MLGateDeploy
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Records sampled requests and answers as JSON Lines in Azure ML's data-collector layout,
/// `{root}/{endpoint}/{deployment}/{model_inputs|model_outputs}/YYYY/MM/DD/HH/{instance}.jsonl`, one record per
/// request with Azure's CloudEvents-style fields and the request id as correlation id. Requests only queue what to
/// write; a writer thread formats and appends it at least every second, rotates by the hour and by size, and syncs
/// on rotation and shutdown. A full queue or a failing disk drops records (counted), never a request.
final class DataCollector: Sendable {
    /// One sampled exchange, as the request path hands it over.
    struct Exchange: Sendable {
        let endpoint: String
        let deployment: String
        let version: String
        let requestID: String
        let time: Date
        let path: String
        let method: String
        let input: ByteBuffer?
        let output: ByteBuffer?
    }

    private struct Queue {
        var pending: [Exchange] = []
        var bytes = 0
        var stopped = false
    }

    let settings: CollectSettings
    /// The folder the records go under (absolute).
    let root: String
    /// The file name of this router's records in each hour's folder.
    let instance: String
    private let metrics: ServeMetrics
    private let queue = NIOLockedValueBox(Queue())
    private let wake = ConditionLock(value: 0)
    /// Bytes of bodies waiting to be written at most; beyond that records are dropped.
    private let queueLimit = 64 << 20
    /// A file grows to this size before the next one of the hour is started.
    static let rotateBytes = 64 << 20
    private let finished = ConditionLock(value: 0)

    /// A collector writing under `root` with `settings`, counting into `metrics`.
    init(settings: CollectSettings, root: String, metrics: ServeMetrics) {
        self.settings = settings
        self.root = root
        self.metrics = metrics
        instance = "\(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "router")-\(getpid())"
        let thread = Thread { [self] in writeLoop() }
        thread.name = "mlgate-collector"
        thread.start()
    }

    /// Whether the request with `requestID` is in the sample: decided by a hash of the id, so the same request is
    /// always in or out, and inputs and outputs are sampled together.
    func sampled(_ requestID: String) -> Bool {
        guard settings.sample < 1 else { return true }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in requestID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Double(hash >> 11) / Double(1 << 53) < settings.sample
    }

    /// Queues the exchange of `requestID` when it is sampled (called on the request path: no I/O, no formatting).
    func record(endpoint: String, deployment: ServePlan.Deployment, requestID: String, request: HTTPRequestHead, body: ByteBuffer?,
                response: UpstreamResponse) {
        guard sampled(requestID) else { return }
        let exchange = Exchange(endpoint: endpoint, deployment: deployment.name, version: deployment.version, requestID: requestID, time: Date(),
                                path: request.uri, method: "\(request.method)", input: settings.inputs ? body : nil,
                                output: settings.outputs ? response.body : nil)
        let size = (exchange.input?.readableBytes ?? 0) + (exchange.output?.readableBytes ?? 0) + 512
        let accepted = queue.withLockedValue { queue in
            guard !queue.stopped, queue.bytes + size <= queueLimit else { return false }
            queue.pending.append(exchange)
            queue.bytes += size
            return true
        }
        if !accepted { metrics.count("mlgate_collect_dropped_total", ["reason": "queue_full"]) }
    }

    /// Writes what is queued, syncs the files and stops the writer (on shutdown).
    func stop() {
        queue.withLockedValue { $0.stopped = true }
        wake.lock()
        wake.unlock(withValue: 1)
        finished.lock(whenValue: 1)
        finished.unlock()
    }

    // MARK: - Writing

    private final class OpenFile {
        let path: String
        let fd: Int32
        var size: Int
        init(path: String, fd: Int32, size: Int) {
            self.path = path
            self.fd = fd
            self.size = size
        }
    }

    private func writeLoop() {
        var files: [String: OpenFile] = [:]
        var warned = false
        while true {
            if wake.lock(whenValue: 1, timeoutSeconds: 1) { wake.unlock(withValue: 0) }
            let (batch, stopped) = queue.withLockedValue { queue in
                defer {
                    queue.pending.removeAll(keepingCapacity: true)
                    queue.bytes = 0
                }
                return (queue.pending, queue.stopped)
            }
            for exchange in batch {
                for (kind, body) in [("model_inputs", exchange.input), ("model_outputs", exchange.output)] {
                    guard let body else { continue }
                    let line = Self.record(exchange, kind: kind, body: body) + "\n"
                    if !append(line, kind: kind, exchange: exchange, files: &files) {
                        metrics.count("mlgate_collect_dropped_total", ["reason": "write_failed"])
                        if !warned {
                            warned = true
                            FileHandle.standardError.write(Data("mlgate-server: cannot write collected data under \(root): \(String(cString: strerror(errno))); records are dropped (mlgate_collect_dropped_total).\n".utf8))
                        }
                    } else {
                        metrics.count("mlgate_collected_records_total", ["deployment": exchange.deployment, "collection": kind])
                    }
                }
            }
            if stopped {
                for file in files.values {
                    fsync(file.fd)
                    close(file.fd)
                }
                finished.lock()
                finished.unlock(withValue: 1)
                return
            }
        }
    }

    /// Appends `line` to the current file of the exchange's hour, opening (and rotating) files as needed.
    private func append(_ line: String, kind: String, exchange: Exchange, files: inout [String: OpenFile]) -> Bool {
        let hour = CollectedData.hourFolder(exchange.time)
        let folder = "\(root)/\(exchange.endpoint)/\(exchange.deployment)/\(kind)/\(hour)"
        let key = "\(exchange.deployment)/\(kind)"
        if let open = files[key], !open.path.hasPrefix(folder + "/") || open.size >= Self.rotateBytes {
            fsync(open.fd)
            close(open.fd)
            files[key] = nil
        }
        if files[key] == nil {
            guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil else { return false }
            var path = "\(folder)/\(instance).jsonl"
            var part = 1
            while let attributes = try? FileManager.default.attributesOfItem(atPath: path), (attributes[.size] as? Int ?? 0) >= Self.rotateBytes {
                part += 1
                path = "\(folder)/\(instance)-\(part).jsonl"
            }
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return false }
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
            files[key] = OpenFile(path: path, fd: fd, size: size)
        }
        guard let file = files[key] else { return false }
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { write(file.fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { return false }
        file.size += bytes.count
        return true
    }

    /// One record line in Azure's collector format; a JSON body goes in `data` as JSON (an object holding one list,
    /// such as `{"rows": [...]}`, as that list of rows), anything else as a string.
    static func record(_ exchange: Exchange, kind: String, body: ByteBuffer) -> String {
        let bytes = Data(body.readableBytesView)
        var data: String
        if let object = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]) {
            var value: Any = object
            if let dictionary = object as? [String: Any], dictionary.count == 1, let rows = dictionary.values.first as? [Any] { value = rows }
            data = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        } else {
            data = JSONText.quoted(String(decoding: bytes, as: UTF8.self))
        }
        let fields: [(String, String)] = [
            ("specversion", "\"1.0\""), ("id", JSONText.quoted(UUID().uuidString.lowercased())),
            ("source", JSONText.quoted("/endpoints/\(exchange.endpoint)/deployments/\(exchange.deployment)")),
            ("type", JSONText.quoted("azureml.inference.\(kind)")), ("datacontenttype", "\"application/json\""),
            ("time", JSONText.quoted(CollectedData.timestamp(exchange.time))), ("data", data),
            ("correlationid", JSONText.quoted(exchange.requestID)), ("xrequestid", JSONText.quoted(exchange.requestID)),
            ("modelversion", JSONText.quoted(exchange.version)), ("collectdatatype", "\"application/json\""),
            ("agent", JSONText.quoted("mlgate/\(MLGateVersion.current)")), ("contentrange", "\"bytes 0-\(max(bytes.count - 1, 0))/\(bytes.count)\""),
            ("path", JSONText.quoted(exchange.path)), ("method", JSONText.quoted(exchange.method)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
