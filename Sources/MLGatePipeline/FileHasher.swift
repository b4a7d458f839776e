package import MLGateCore
import MLGateWorkspace
import MLGateSystem
package import MLGateStore
#if canImport(Glibc)
import Glibc
#endif

/// Hashes the files and folders stages read and write, re-reading only those whose inode, size, mtime or
/// ctime changed since the last time (the cache lives in the store's `file_state` table).
package final class FileHasher {
    private let store: Store
    private var known: [String: FileState] = [:]
    private var fresh: [String: FileState] = [:]
    /// How recent a modification must be for its hash not to be cached: a file rewritten within the kernel's
    /// timestamp granularity could keep the same mtime and size.
    private static let racyNanoseconds: Int64 = 50_000_000

    /// A hasher whose cache is `store`.
    package init(store: Store) { self.store = store }

    /// Loads the cached states of every file under `root` in one query.
    func preload(root: String) {
        known.merge((try? store.fileStates(under: root)) ?? [:]) { $1 }
    }

    /// The hash of `spec` under `root`: a file's content, or a folder's manifest; nil when it does not exist.
    /// Nothing is read through a symbolic link that leads out of `root`.
    package func hash(_ spec: PathSpec, root: String) throws -> HashedPath? {
        let full = root + "/" + spec.path
        try ConfinedPath.check(spec.path, under: root, what: "'\(spec.path)'")
        guard let (info, isDirectory) = FileInfo.of(full) else { return nil }
        if isDirectory {
            let manifest = try TreeManifest.scan(full, confinedTo: root) { (file, info) throws(ObjectStoreError) in try self.fileHash(file, info: info) }
            return HashedPath(path: spec.path, hash: ContentHash.of(Array(manifest.text.utf8)))
        }
        return HashedPath(path: spec.path, hash: try fileHash(full, info: info))
    }

    private func fileHash(_ path: String, info: FileInfo) throws(ObjectStoreError) -> String {
        var state = FileState(inode: info.inode, size: info.size, mtimeNanoseconds: info.mtimeNanoseconds,
                              ctimeNanoseconds: info.ctimeNanoseconds, hash: "")
        if let cached = fresh[path] ?? known[path], cached.sameFile(as: state) { return cached.hash }
        state.hash = try ContentHash.file(path).hash
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowNanoseconds = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        if max(info.mtimeNanoseconds, info.ctimeNanoseconds) < nowNanoseconds - Self.racyNanoseconds { fresh[path] = state }
        return state.hash
    }

    /// Saves the states hashed since the last save.
    func save() {
        guard !fresh.isEmpty else { return }
        // A cache that cannot be written only costs a re-hash next time.
        try? store.saveFileStates(fresh)
        known.merge(fresh) { $1 }
        fresh.removeAll()
    }
}
