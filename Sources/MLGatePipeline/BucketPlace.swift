import MLGateCore
import MLGateS3
import MLGateStore

/// A remote that is an S3-compatible bucket: object `HASH` under `objects/HA/SH…` (the layout of `.mlgate/objects`),
/// entry `MEMO` under `runcache/MEMO.json`; transfers run several at once.
struct BucketPlace: ObjectPlace {
    let bucket: S3Bucket

    init(location: S3Location, settings: S3Settings) throws {
        do { bucket = try S3Bucket(location: location, settings: settings) } catch { throw EnvironmentError(error.description) }
    }

    static func key(_ hash: String) -> String { "objects/\(hash.prefix(2))/\(hash.dropFirst(2))" }

    func prepare() throws {}

    func missing(_ hashes: [String]) throws -> [String] {
        var present = Array(repeating: false, count: hashes.count)
        try present.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer  // each lane writes only its own indices
            try run { try S3Bucket.inLanes(hashes.count) { index throws(S3Error) in out[index] = try bucket.size(Self.key(hashes[index])) != nil } }
        }
        return zip(hashes, present).filter { !$0.1 }.map(\.0)
    }

    func send(_ hashes: [String], from local: ObjectStore) throws {
        try run { try S3Bucket.inLanes(hashes.count) { index throws(S3Error) in try bucket.upload(Self.key(hashes[index]), file: local.path(of: hashes[index])) } }
    }

    func fetch(_ hashes: [String], into local: ObjectStore) throws -> [String] {
        var found = Array(repeating: true, count: hashes.count)
        try found.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer  // each lane writes only its own indices
            try run {
                try S3Bucket.inLanes(hashes.count) { (index) throws(any Error) in
                    do {
                        // Stored only when the bytes hash to the name: a damaged download never gets one.
                        try local.receive(hashes[index]) { temp in
                            guard try bucket.download(Self.key(hashes[index]), to: temp) else { throw Absent() }
                        }
                    } catch is Absent {
                        out[index] = false
                    }
                }
            }
        }
        return zip(hashes, found).filter { !$0.1 }.map(\.0)
    }

    func writeCacheEntry(_ memo: String, _ body: [UInt8]) throws -> Bool {
        try run {
            guard try bucket.size("runcache/\(memo).json") == nil else { return false }
            try bucket.put("runcache/\(memo).json", bytes: body)
            return true
        }
    }

    func cacheEntries() throws -> [(memo: String, body: [UInt8])] {
        try run {
            let names = try bucket.list("runcache").filter { $0.hasSuffix(".json") }
            var bodies = Array(repeating: [UInt8]?.none, count: names.count)
            try bodies.withUnsafeMutableBufferPointer { (buffer) throws(S3Error) in
                nonisolated(unsafe) let out = buffer  // each lane writes only its own indices
                try S3Bucket.inLanes(names.count) { index throws(S3Error) in out[index] = try bucket.get(names[index]) }
            }
            return zip(names, bodies).compactMap { name, body in
                body.map { (String(name.dropFirst("runcache/".count).dropLast(5)), $0) }
            }
        }
    }

    /// `work`, with an S3 failure as the environment error the CLI turns into exit 3.
    private func run<T>(_ work: () throws -> T) throws -> T {
        do { return try work() } catch let error as S3Error { throw EnvironmentError(error.description) }
    }

    /// A download found nothing under the key.
    private struct Absent: Error {}
}
