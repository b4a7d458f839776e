import Foundation
import MLGateConfig
import MLGateCore
package import MLGateWorkspace
import MLGateSystem
import MLGateHooks
package import MLGateStore

/// The objects something still needs: what runs, the run cache and `mlgate.lock` name, with each directory
/// manifest's files added. `gc` keeps these, `fsck` checks the required ones exist, `push` copies them.
package struct ObjectReferences {
    /// Object hash → who refers to it (for messages).
    private(set) var owners: [String: String] = [:]
    /// Objects only the run cache names: kept when present, but their absence is no damage (a pulled
    /// run-cache entry whose outputs were never fetched only means that stage cannot be restored).
    private(set) var optional: Set<String> = []

    /// Everything `workspace`'s store and lock refer to.
    package init(workspace: Workspace, store: Store) throws {
        for hash in try store.objectsReferencedByRunCache() { owners[hash] = "the run cache" }
        optional = Set(owners.keys)
        for hash in try store.objectsReferencedByRuns() {
            owners[hash] = "a recorded run"
            optional.remove(hash)
        }
        for (hash, uri) in try store.objectsReferencedByRegistry() {
            owners[hash] = "the registered version \(uri)"
            optional.remove(hash)
        }
        let lock = try LockReader.load(path: workspace.lockPath)
        for (stage, entry) in lock.stages {
            for output in entry.outputs where output.cache {
                owners[output.hash] = "output \(output.path) of stage '\(stage)' in mlgate.lock"
                optional.remove(output.hash)
            }
        }
        expandTrees(in: workspace.objects)
    }

    /// Objects named only by `mlgate.lock`, with their manifests' files.
    static func lockOutputs(workspace: Workspace) throws -> ObjectReferences {
        var references = ObjectReferences()
        for (stage, entry) in try LockReader.load(path: workspace.lockPath).stages {
            for output in entry.outputs where output.cache { references.owners[output.hash] = "output \(output.path) of stage '\(stage)'" }
        }
        return references
    }

    private init() {}

    /// Adds the files listed by every referenced manifest found in `objects`.
    mutating func expandTrees(in objects: ObjectStore) {
        for (hash, owner) in owners where objects.contains(hash) {
            guard let tree = try? objects.tree(hash) else { continue }
            for entry in tree.entries where owners[entry.hash] == nil {
                owners[entry.hash] = "\(entry.path) in \(owner)"
                if optional.contains(hash) { optional.insert(entry.hash) }
            }
        }
    }

    /// The referenced hashes.
    package var hashes: Set<String> { Set(owners.keys) }

    /// The hashes that must be present.
    package var required: [(hash: String, owner: String)] {
        owners.filter { !optional.contains($0.key) }.map { ($0.key, $0.value) }.sorted { $0.hash < $1.hash }
    }
}
