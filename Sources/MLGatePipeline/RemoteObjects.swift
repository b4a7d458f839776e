import Foundation
import MLGateCore
package import MLGateWorkspace
import MLGateSystem
package import MLGateStore

/// The remote object store `mlgate push` and `mlgate pull` copy to and from: a directory (a mounted volume) or an
/// S3-compatible bucket (`s3://bucket/prefix`), both holding `objects/` (the layout of `.mlgate/objects`) and
/// `runcache/<memo>.json`.
package struct RemoteObjects {
    /// Where it is, for messages: the directory or the `s3://` URL.
    package let root: String
    private let place: any ObjectPlace

    package init(workspace: Workspace, override: String?) throws {
        let remote = try workspace.configuration().remote
        guard let configured = override ?? remote.objects else {
            throw UsageError("no remote object store: set 'remote.objects' in mlgate.yaml to a directory (a mounted volume) or s3://bucket/prefix, or pass --to/--from DIR.")
        }
        if configured.hasPrefix("s3://") {
            guard let location = S3Location(configured) else {
                throw UsageError("'\(configured)' is not a usable s3:// URL: write s3://BUCKET or s3://BUCKET/PREFIX.")
            }
            place = try BucketPlace(location: location, settings: remote.s3)
            root = location.description
            return
        }
        let path = configured.hasPrefix("/") ? configured : workspace.root + "/" + configured
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EnvironmentError("the remote object store \(path) is not a directory that exists; mount it or create it.")
        }
        root = path
        place = DirectoryPlace(root: path)
    }

    /// Copies the objects runs, the run cache and mlgate.lock refer to, and the run cache itself; returns how many
    /// objects and entries were new there.
    package func push(from workspace: Workspace, store: Store) throws -> (objects: Int, entries: Int) {
        try place.prepare()
        let references = try ObjectReferences(workspace: workspace, store: store)
        let wanted = references.hashes.sorted().filter { workspace.objects.contains($0) }
        let missing = try place.missing(wanted)
        try place.send(missing, from: workspace.objects)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var written = 0
        for entry in try store.cacheEntries() {
            let body = Array(try encoder.encode(CacheEntryFile(stage: entry.stage, outputs: entry.outputs)))
            if try place.writeCacheEntry(entry.memo, body) { written += 1 }
        }
        return (missing.count, written)
    }

    /// Imports the run cache, then fetches what mlgate.lock names, the `extra` objects, and with `all` every
    /// output the run cache names (a folder's files with it). Returns what was fetched, imported, and missing here too.
    package func pull(into workspace: Workspace, store: Store, all: Bool, extra: Set<String> = []) throws -> (fetched: Int, imported: Int, missing: [String]) {
        let entries = try place.cacheEntries().compactMap { entry -> (memo: String, stage: String, outputs: [LockedOutput])? in
            guard let file = try? JSONDecoder().decode(CacheEntryFile.self, from: Data(entry.body)) else { return nil }
            return (entry.memo, file.stage, file.outputs)
        }
        let imported = try store.importCacheEntries(entries)
        var hashes = try ObjectReferences.lockOutputs(workspace: workspace).hashes.union(extra)
        if all { for entry in entries { for output in entry.outputs where output.cache { hashes.insert(output.hash) } } }
        let (fetched, missing) = try fetch(hashes, into: workspace.objects)
        return (fetched, imported, missing)
    }

    /// Copies the objects `hashes` and, level by level, the files of the folders among them from the remote into
    /// `objects` (those it holds already, undamaged, are not fetched again); returns how many were fetched and the
    /// hashes the remote lacks.
    package func fetch(_ hashes: Set<String>, into objects: ObjectStore) throws -> (fetched: Int, missing: [String]) {
        var fetched = 0
        var missing: [String] = []
        var seen = Set<String>()
        var level = hashes.sorted()
        while !level.isEmpty {
            level = level.filter { seen.insert($0).inserted }
            let needed = level.filter { !objects.contains($0) || objects.damage($0) != nil }
            let absent = try place.fetch(needed, into: objects)
            missing += absent
            fetched += needed.count - absent.count
            let absentSet = Set(absent)
            var next: [String] = []
            for hash in level where !absentSet.contains(hash) {
                if let tree = try objects.tree(hash) { next += tree.entries.map(\.hash) }
            }
            level = next
        }
        return (fetched, missing.sorted())
    }

    struct CacheEntryFile: Codable {
        var stage: String
        var outputs: [LockedOutput]
    }
}

/// What push and pull need of a remote: objects by hash and run-cache entries by memo.
protocol ObjectPlace {
    /// Creates what the remote needs before objects are written (folders; nothing for a bucket).
    func prepare() throws
    /// Which of `hashes` the remote does not hold.
    func missing(_ hashes: [String]) throws -> [String]
    /// Copies `hashes` from `local` to the remote.
    func send(_ hashes: [String], from local: ObjectStore) throws
    /// Copies `hashes` from the remote into `local`, each checked against its hash; returns those the remote lacks.
    func fetch(_ hashes: [String], into local: ObjectStore) throws -> [String]
    /// Writes the run-cache entry unless the remote has it; returns whether it was written.
    func writeCacheEntry(_ memo: String, _ body: [UInt8]) throws -> Bool
    /// Every run-cache entry of the remote, by memo, in memo order.
    func cacheEntries() throws -> [(memo: String, body: [UInt8])]
}

/// A remote that is a directory: `objects/` is an `ObjectStore`, `runcache/` holds one JSON file per entry.
struct DirectoryPlace: ObjectPlace {
    let root: String
    var objects: ObjectStore { ObjectStore(root: root + "/objects") }

    func prepare() throws { try objects.prepare(sharedAfter: 3600) }

    func missing(_ hashes: [String]) throws -> [String] { hashes.filter { !objects.contains($0) } }

    func send(_ hashes: [String], from local: ObjectStore) throws {
        for hash in hashes { try local.copy(hash, to: objects) }
    }

    func fetch(_ hashes: [String], into local: ObjectStore) throws -> [String] {
        var absent: [String] = []
        for hash in hashes {
            guard objects.contains(hash) else {
                absent.append(hash)
                continue
            }
            try objects.copy(hash, to: local, replacingDamaged: true)
        }
        return absent
    }

    func writeCacheEntry(_ memo: String, _ body: [UInt8]) throws -> Bool {
        let directory = root + "/runcache"
        try FileAccess.createDirectory(directory)
        let path = directory + "/\(memo).json"
        if FileManager.default.fileExists(atPath: path) { return false }
        try AtomicFile.write(String(decoding: body, as: UTF8.self), to: path)
        return true
    }

    func cacheEntries() throws -> [(memo: String, body: [UInt8])] {
        let directory = root + "/runcache"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            FileManager.default.contents(atPath: directory + "/" + name).map { (String(name.dropLast(5)), Array($0)) }
        }
    }
}
