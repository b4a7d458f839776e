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

    init(bucket: S3Bucket) { self.bucket = bucket }

    static func key(_ hash: String) -> String { "objects/\(hash.prefix(2))/\(hash.dropFirst(2))" }

    func prepare() throws {}

    func missing(_ hashes: [String]) throws -> [String] {
        // Many objects: one listing (a request per 1,000 keys) is cheaper than a HEAD each.
        if hashes.count >= 64 {
            let present = Set(try run { try bucket.list("objects") })
            return hashes.filter { !present.contains(Self.key($0)) }
        }
        let present = try run { try S3Bucket.mapInLanes(hashes.count) { index throws(S3Error) in try bucket.size(Self.key(hashes[index])) != nil } }
        return zip(hashes, present).filter { !$0.1 }.map(\.0)
    }

    /// Objects up to a part's size go several at once; a larger one goes alone, its parts several at once (so at
    /// most `S3Bucket.lanes` parts are in memory).
    func send(_ hashes: [String], from local: ObjectStore) throws {
        let (small, large) = partition(hashes) { local.size(of: $0) }
        try run {
            try S3Bucket.inLanes(small.count) { index throws(S3Error) in try bucket.upload(Self.key(small[index]), file: local.path(of: small[index])) }
            for hash in large { try bucket.upload(Self.key(hash), file: local.path(of: hash)) }
        }
    }

    /// `hashes` split by `size` into those up to a part's size and those above it (a size of nil: none in the bucket).
    private func partition(_ hashes: [String], size: (String) -> Int64?) -> (small: [String], large: [String]) {
        var small: [String] = [], large: [String] = []
        for hash in hashes {
            if let bytes = size(hash), bytes > bucket.partSize { large.append(hash) } else { small.append(hash) }
        }
        return (small, large)
    }

    /// Sizes first (a HEAD each, several at once); then small objects several at once and large ones alone, as `send`.
    func fetch(_ hashes: [String], into local: ObjectStore) throws -> [String] {
        let sizes = try run { try S3Bucket.mapInLanes(hashes.count) { index throws(S3Error) in try bucket.size(Self.key(hashes[index])) } }
        let sizeOf = Dictionary(zip(hashes, sizes).compactMap { hash, size in size.map { (hash, $0) } }) { first, _ in first }
        let absent = hashes.filter { sizeOf[$0] == nil }
        let (small, large) = partition(hashes.filter { sizeOf[$0] != nil }) { sizeOf[$0] }
        let receive: @Sendable (String) throws -> Void = { hash in
            // Stored only when the bytes hash to the name: a damaged download never gets one.
            try local.receive(hash) { temp in _ = try bucket.download(Self.key(hash), to: temp, size: sizeOf[hash]) }
        }
        try run {
            try S3Bucket.inLanes(small.count) { (index) throws(any Error) in try receive(small[index]) }
            for hash in large { try receive(hash) }
        }
        return absent
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
            let bodies = try S3Bucket.mapInLanes(names.count) { index throws(S3Error) in try bucket.get(names[index]) }
            return zip(names, bodies).compactMap { name, body in
                body.map { (String(name.dropFirst("runcache/".count).dropLast(5)), $0) }
            }
        }
    }

    /// `work`, with an S3 failure as the environment error the CLI turns into exit 3.
    private func run<T>(_ work: () throws -> T) throws -> T {
        do { return try work() } catch let error as S3Error { throw EnvironmentError(error.description) }
    }
}
