import Foundation
import MLGateCore
package import MLGateWorkspace
import MLGateSystem
package import MLGateStore

/// The remote object store: a directory holding `objects/` (the same layout as `.mlgate/objects`) and
/// `runcache/<memo>.json`.
package struct RemoteObjects {
    package let root: String
    let objects: ObjectStore

    package init(workspace: Workspace, override: String?) throws {
        guard let configured = try override ?? workspace.configuration().remote.objects else {
            throw UsageError("no remote object store: set 'remote.objects' in mlgate.yaml to a directory (a mounted volume), or pass --to/--from DIR.")
        }
        let path = configured.hasPrefix("/") ? configured : workspace.root + "/" + configured
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EnvironmentError("the remote object store \(path) is not a directory that exists; mount it or create it.")
        }
        root = path
        objects = ObjectStore(root: path + "/objects")
    }

    /// Copies the objects runs, the run cache and mlgate.lock refer to, and the run cache itself; returns how many
    /// objects and entries were new there.
    package func push(from workspace: Workspace, store: Store) throws -> (objects: Int, entries: Int) {
        try objects.prepare(sharedAfter: 3600)
        let references = try ObjectReferences(workspace: workspace, store: store)
        var copied = 0
        for hash in references.hashes.sorted() where workspace.objects.contains(hash) && !objects.contains(hash) {
            try workspace.objects.copy(hash, to: objects)
            copied += 1
        }
        return (copied, try writeCacheEntries(try store.cacheEntries()))
    }

    /// Imports the run cache, then fetches what mlgate.lock names, the `extra` objects, and with `all` every
    /// output the run cache names (a folder's files with it). Returns what was fetched, imported, and missing here too.
    package func pull(into workspace: Workspace, store: Store, all: Bool, extra: Set<String> = []) throws -> (fetched: Int, imported: Int, missing: [String]) {
        let entries = cacheEntries()
        let imported = try store.importCacheEntries(entries)
        var hashes = try ObjectReferences.lockOutputs(workspace: workspace).hashes.union(extra)
        if all { for entry in entries { for output in entry.outputs where output.cache { hashes.insert(output.hash) } } }
        // Fetch manifests first, then the files they list.
        var fetched = 0
        var missing: [String] = []
        var queue = Array(hashes).sorted()
        var seen = Set<String>()
        while let hash = queue.popLast() {
            guard seen.insert(hash).inserted else { continue }
            if !workspace.objects.contains(hash) || workspace.objects.damage(hash) != nil {
                guard objects.contains(hash) else {
                    missing.append(hash)
                    continue
                }
                try objects.copy(hash, to: workspace.objects, replacingDamaged: true)
                fetched += 1
            }
            if let tree = try workspace.objects.tree(hash) { queue += tree.entries.map(\.hash) }
        }
        return (fetched, imported, missing)
    }

    /// Writes the entries the remote lacks; returns how many.
    func writeCacheEntries(_ entries: [(memo: String, stage: String, outputs: [LockedOutput])]) throws -> Int {
        let directory = root + "/runcache"
        try FileAccess.createDirectory(directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var written = 0
        for entry in entries {
            let path = directory + "/\(entry.memo).json"
            if FileManager.default.fileExists(atPath: path) { continue }
            let body = CacheEntryFile(stage: entry.stage, outputs: entry.outputs)
            try AtomicFile.write(String(decoding: try encoder.encode(body), as: UTF8.self), to: path)
            written += 1
        }
        return written
    }

    func cacheEntries() -> [(memo: String, stage: String, outputs: [LockedOutput])] {
        let directory = root + "/runcache"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory + "/" + name),
                  let entry = try? JSONDecoder().decode(CacheEntryFile.self, from: data) else { return nil }
            return (String(name.dropLast(5)), entry.stage, entry.outputs)
        }
    }

    struct CacheEntryFile: Codable {
        var stage: String
        var outputs: [LockedOutput]
    }
}
