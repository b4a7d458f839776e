package import MLGateCore
import MLGateWorkspace
import MLGateSystem
package import MLGateStore
#if canImport(Glibc)
import Glibc
#endif

/// Hashes the files and folders stages read and write, re-reading only what changed since the last time.
///
/// A file's hash is cached with its inode, size, mtime and ctime (`file_state`). A folder's last scan is cached
/// whole (`folder_state`, a `FolderSnapshot`): when every folder of the tree still has the inode, mtime and ctime
/// of that scan, its entries are the same, so it is checked with one `fstatat` per file and no listing, sorting or
/// per-file query, and its hash is the scan's unless a file's facts changed (then only that file is read again).
/// When nothing changed, the check runs in the saved row's bytes (`FolderSnapshot.unchangedHash`): nothing is decoded.
/// `FolderSnapshot` spells out why that is safe (racy timestamps, links).
package final class FileHasher {
    private let store: Store
    private var known: [String: FileState] = [:]
    private var fresh: [String: FileState] = [:]
    /// The latest scan of each folder hashed in this process, and those to save.
    private var folders: [String: FolderSnapshot] = [:]
    private var freshFolders: [String: FolderSnapshot] = [:]
    /// How recent a modification must be for its hash not to be cached: a file rewritten within the kernel's
    /// timestamp granularity could keep the same mtime and size.
    private static let racyNanoseconds: Int64 = 50_000_000

    /// A hasher whose cache is `store`.
    package init(store: Store) { self.store = store }

    /// The hash of `spec` under `root`: a file's content, or a folder's manifest; nil when it does not exist.
    /// Nothing is read through a symbolic link that leads out of `root`.
    package func hash(_ spec: PathSpec, root: String) throws -> HashedPath? {
        let full = root + "/" + spec.path
        try ConfinedPath.check(spec.path, under: root, what: "'\(spec.path)'")
        guard let (info, isDirectory) = FileInfo.of(full) else { return nil }
        if isDirectory { return HashedPath(path: spec.path, hash: try folderHash(full, root: root)) }
        return HashedPath(path: spec.path, hash: try fileHash(full, info: info))
    }

    /// A folder's manifest hash, from its cached scan when that is still good, else from a new scan.
    private func folderHash(_ full: String, root: String) throws(ObjectStoreError) -> String {
        // The clock before anything is read: facts must be older than this (by the racy window) to be trusted.
        let now = FolderSnapshot.now()
        var previous = folders[full]
        if previous == nil, let encoded = (try? store.encodedFolderSnapshot(full)) ?? nil {
            // The common case, a folder as it was: checked in the saved bytes, nothing decoded.
            if let hash = FolderSnapshot.unchangedHash(encoded: encoded, directory: full) { return hash }
            previous = FolderSnapshot(encoded: encoded)
        }
        if let previous, let refreshed = try previous.refresh(full, now: now) {
            if refreshed != previous { remember(refreshed, at: full) }
            return refreshed.manifestHash
        }
        // No usable scan: walk the folder. The first time, the per-file cache of earlier versions saves re-reading.
        let states = previous == nil ? ((try? store.fileStates(under: full)) ?? [:]) : [:]
        let scanned = try FolderSnapshot.scan(full, confinedTo: root, previous: previous, fileStates: states, now: now)
        remember(scanned, at: full)
        return scanned.manifestHash
    }

    private func remember(_ snapshot: FolderSnapshot, at path: String) {
        folders[path] = snapshot
        freshFolders[path] = snapshot
    }

    private func fileHash(_ path: String, info: FileInfo) throws(ObjectStoreError) -> String {
        var state = FileState(inode: info.inode, size: info.size, mtimeNanoseconds: info.mtimeNanoseconds,
                              ctimeNanoseconds: info.ctimeNanoseconds, hash: "")
        if known[path] == nil, fresh[path] == nil, let cached = (try? store.fileState(path)) ?? nil { known[path] = cached }
        if let cached = fresh[path] ?? known[path], cached.sameFile(as: state) { return cached.hash }
        let now = FolderSnapshot.now()
        state.hash = try ContentHash.file(path).hash
        if max(info.mtimeNanoseconds, info.ctimeNanoseconds) < now - Self.racyNanoseconds { fresh[path] = state }
        return state.hash
    }

    /// Saves the states hashed since the last save.
    func save() {
        guard !fresh.isEmpty || !freshFolders.isEmpty else { return }
        // A cache that cannot be written only costs a re-hash next time.
        try? store.saveFileStates(fresh, folders: freshFolders)
        known.merge(fresh) { $1 }
        fresh.removeAll()
        freshFolders.removeAll()
    }
}
