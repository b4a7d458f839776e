import Foundation  // DispatchQueue.concurrentPerform only
import MLGateCore
import MLGateSystem
#if canImport(Glibc)
import Glibc
#endif

/// A folder's last scan, kept whole (one row of `folder_state`) so that the next hash of an unchanged folder costs
/// one `fstat` per folder and one `fstatat` per file: no `readdir`, no sorting, no per-file SQL, no manifest text.
///
/// Why `refresh` may answer without listing a folder again, and what it still checks:
///
/// - **Entries.** Creating, removing or renaming an entry (a file, a folder, a link) updates the folder's own mtime
///   and ctime. So a folder whose inode, mtime and ctime are what the scan recorded holds the entries it held then,
///   each of the same kind: a file cannot become a folder or a link without being removed first. Every folder of the
///   tree is checked, parents before children, so a subfolder swapped for another is seen at its parent.
/// - **Contents.** Writing to a file changes the file's mtime and ctime, not its folder's, so every file is still
///   `fstatat`'d and its inode, size, mtime, ctime and mode compared: any difference re-hashes that file alone.
///   Touching a file back to its old mtime (`touch -d`, `utimensat`) sets its ctime to now, which no call can set back.
/// - **Racy timestamps.** A change made within the file system's timestamp granularity of the scan may leave the same
///   facts (the racy-git problem). Facts are trusted only when both times are older than the scan's start by more
///   than that granularity (`racyWindow`: 50 ms for nanosecond timestamps, 2 s when they look whole-second, as on
///   FAT or some network file systems); a file or folder too recent to trust is hashed or listed again next time.
/// - **Links.** A tree with a symbolic link, or anything `stat` or `opendir` refused, is never refreshed this way:
///   what a link leads to can change without any folder of the tree changing, so such a tree is walked whole, with
///   the repository confinement check, every time.
///
/// What it cannot see: a change that keeps size, inode, mtime and ctime (a clock set back before the write,
/// or a file system that stores no ctime); the stat cache of every file had that limit already, as git's index does.
public struct FolderSnapshot: Sendable, Equatable {
    /// One folder of the tree and the facts that vouch for its list of entries.
    public struct Folder: Sendable, Equatable {
        /// Relative to the scanned folder, `/`-separated; empty for the scanned folder itself.
        public var path: String
        /// Its inode, mtime and ctime (nanoseconds) when listed.
        public var inode: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64
        /// Whether those times were old enough at the scan to vouch for the listing.
        public var trusted: Bool
        /// The regular files directly inside it, by name.
        public var files: [File]
    }

    /// One regular file and the facts its hash was taken at.
    public struct File: Sendable, Equatable {
        /// Its name in its folder.
        public var name: String
        /// Its inode, size, mtime and ctime (nanoseconds).
        public var inode: Int64, size: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64
        /// Whether the owner may execute it (part of the manifest).
        public var executable: Bool
        /// Its content hash.
        public var hash: String
        /// Whether its facts were old enough at the scan to vouch for `hash` next time.
        public var trusted: Bool
    }

    /// The folders, each parent before its children.
    public var folders: [Folder]
    /// The hash of the folder's manifest (`TreeManifest`), the folder's hash.
    public var manifestHash: String
    /// Whether the tree held only folders and regular files, all readable: the condition for `refresh`.
    public var plain: Bool

    // MARK: Scanning

    /// Walks `directory` as `TreeManifest.scan` does (sorted, following links, refusing those that leave `confinedTo`)
    /// and records what it saw. A file whose facts equal those in `previous` (same relative path) or in `fileStates`
    /// (absolute path, the per-file cache) keeps its hash; any other is read. `now` is the clock before the walk.
    public static func scan(_ directory: String, confinedTo root: String?, previous: FolderSnapshot?,
                            fileStates: [String: FileState] = [:], now: Int64) throws(ObjectStoreError) -> FolderSnapshot {
        var known: [String: File] = [:]
        for folder in previous?.folders ?? [] {
            for file in folder.files where file.trusted { known[folder.path.isEmpty ? file.name : folder.path + "/" + file.name] = file }
        }
        var snapshot = FolderSnapshot(folders: [], manifestHash: "", plain: true)
        var entries: [TreeManifest.Entry] = []
        try snapshot.walk(directory, relative: "", realRoot: root.flatMap(ConfinedPath.realPath), now: now) { (relative, full, info) throws(ObjectStoreError) in
            var file = File(name: "", info: info, hash: "", now: now)
            if let cached = known[relative] ?? fileStates[full].map({ File(name: "", state: $0) }), cached.sameFacts(as: file) {
                file.hash = cached.hash
            } else {
                file.hash = try ContentHash.file(full).hash
            }
            entries.append(TreeManifest.Entry(path: relative, hash: file.hash, size: file.size, executable: file.executable))
            return file
        }
        snapshot.manifestHash = ContentHash.of(Array(TreeManifest(entries: entries).text.utf8))
        return snapshot
    }

    /// Lists `directory` (relative to the scanned folder), then its subfolders depth first, as `TreeManifest.walk`.
    private mutating func walk(_ directory: String, relative: String, realRoot: String?, now: Int64,
                               _ visit: (String, String, stat) throws(ObjectStoreError) -> File) throws(ObjectStoreError) {
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { throw .notFound(directory) }
        let times = Self.times(info)
        let position = folders.count
        folders.append(Folder(path: relative, inode: Int64(info.st_ino), mtimeNanoseconds: times.mtime, ctimeNanoseconds: times.ctime,
                              trusted: Self.trusted(times, now: now), files: []))
        guard let names = Self.names(in: directory) else {
            plain = false  // unreadable: listed as empty, as the manifest always did, but never refreshed
            return
        }
        for name in names.sorted() {
            let full = directory + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            var link = stat()
            if lstat(full, &link) == 0, (link.st_mode & S_IFMT) == S_IFLNK {
                plain = false
                if let realRoot {
                    guard let resolved = ConfinedPath.realPath(full) else { continue }  // dangling: nothing to read
                    guard ConfinedPath.allows(resolved, root: realRoot) else { throw .linkLeaves(path: full, target: resolved) }
                }
            }
            var entry = stat()
            guard stat(full, &entry) == 0 else {
                plain = false
                continue
            }
            switch entry.st_mode & S_IFMT {
            case S_IFDIR: try walk(full, relative: path, realRoot: realRoot, now: now, visit)
            case S_IFREG:
                var file = try visit(path, full, entry)
                file.name = name
                folders[position].files.append(file)
            default: continue
            }
        }
    }

    // MARK: Refreshing

    /// This snapshot brought up to date with `directory` without listing it, or nil when that is not safe (a folder
    /// changed, was too recent to trust, or the tree is not plain) and the caller must `scan` again. Files whose
    /// facts changed are re-hashed, and the manifest hash recomputed, only when some did. `now` is the clock before.
    public func refresh(_ directory: String, now: Int64) throws(ObjectStoreError) -> FolderSnapshot? {
        guard plain else { return nil }
        var updated = self
        var changed = false
        for (index, folder) in folders.enumerated() {
            guard folder.trusted else { return nil }
            let path = folder.path.isEmpty ? directory : directory + "/" + folder.path
            // The scanned folder may be reached through a link (its path was confined by the caller); a subfolder was
            // a real folder at the scan, and its parent's unchanged facts say it still is.
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (folder.path.isEmpty ? 0 : O_NOFOLLOW))
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { return nil }
            let times = Self.times(info)
            guard Int64(info.st_ino) == folder.inode, times.mtime == folder.mtimeNanoseconds, times.ctime == folder.ctimeNanoseconds else {
                return nil
            }
            let entries = Self.statFiles(folder.files, in: fd)
            for (position, file) in folder.files.enumerated() {
                let entry = entries[position]
                guard (entry.st_mode & S_IFMT) == S_IFREG else { return nil }  // gone, or no longer a regular file
                if file.trusted, file.sameFacts(as: entry) { continue }
                var current = File(name: file.name, info: entry, hash: file.hash, now: now)
                current.hash = try ContentHash.file(path + "/" + file.name).hash
                updated.folders[index].files[position] = current
                changed = true
            }
        }
        if changed {
            let entries = updated.folders.flatMap { folder in
                folder.files.map { file in
                    TreeManifest.Entry(path: folder.path.isEmpty ? file.name : folder.path + "/" + file.name, hash: file.hash,
                                       size: file.size, executable: file.executable)
                }
            }
            updated.manifestHash = ContentHash.of(Array(TreeManifest(entries: entries).text.utf8))
        }
        return updated
    }

    /// `fstatat` (not following links) of each of `files` in the folder open as `fd`; a file that cannot be
    /// stat'ed gets an empty mode. A big folder is split over the machine's cores: the stats are the whole cost
    /// of an unchanged folder, and each is a system call on its own.
    static func statFiles(_ files: [File], in fd: Int32) -> [stat] {
        var results = Array(repeating: stat(), count: files.count)
        let cores = files.count >= 512 ? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) : 1  // sysconf reads /sys: only when needed
        let lanes = files.count >= 512 ? min(4, max(1, cores)) : 1
        results.withUnsafeMutableBufferPointer { buffer in
            // Each lane writes only its own slice of the buffer.
            nonisolated(unsafe) let out = buffer
            let chunk = (files.count + lanes - 1) / lanes
            let work: @Sendable (Int) -> Void = { lane in
                for index in (lane * chunk)..<min(files.count, (lane + 1) * chunk) {
                    if files[index].name.withCString({ fstatat(fd, $0, &out[index], AT_SYMLINK_NOFOLLOW) }) != 0 { out[index].st_mode = 0 }
                }
            }
            if lanes == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: lanes, execute: work) }
        }
        return results
    }

    // MARK: Facts

    /// How much older than the scan a timestamp must be to vouch for what was read: more than the file system's
    /// timestamp granularity. Linux's in-kernel clock for file times ticks every jiffy (1–10 ms); whole-second
    /// timestamps (FAT's are 2 s) get 2 s.
    static func racyWindow(mtime: Int64, ctime: Int64) -> Int64 {
        mtime % 1_000_000_000 == 0 && ctime % 1_000_000_000 == 0 ? 2_000_000_000 : 50_000_000
    }

    /// Whether times `(mtime, ctime)` are old enough, at `now`, to vouch for what was read after `now`.
    static func trusted(_ times: (mtime: Int64, ctime: Int64), now: Int64) -> Bool {
        max(times.mtime, times.ctime) < now - racyWindow(mtime: times.mtime, ctime: times.ctime)
    }

    static func times(_ info: stat) -> (mtime: Int64, ctime: Int64) {
        (Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
         Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
    }

    /// The clock as file times are compared with it, nanoseconds since 1970.
    public static func now() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The names in `directory` (without `.` and `..`), or nil when it cannot be listed.
    static func names(in directory: String) -> [String]? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        errno = 0
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return errno == 0 ? names : nil
    }
}

extension FolderSnapshot.File {
    /// The file `info` describes, with `hash`, trusted when its times are old enough at `now`.
    init(name: String, info: stat, hash: String, now: Int64) {
        let times = FolderSnapshot.times(info)
        self.init(name: name, inode: Int64(info.st_ino), size: Int64(info.st_size), mtimeNanoseconds: times.mtime,
                  ctimeNanoseconds: times.ctime, executable: info.st_mode & 0o100 != 0, hash: hash,
                  trusted: FolderSnapshot.trusted(times, now: now))
    }

    /// A file of the per-file cache (whose states were only ever saved when trusted).
    init(name: String, state: FileState) {
        self.init(name: name, inode: state.inode, size: state.size, mtimeNanoseconds: state.mtimeNanoseconds,
                  ctimeNanoseconds: state.ctimeNanoseconds, executable: false, hash: state.hash, trusted: true)
    }

    /// Whether `info` has the stat facts that vouch for the content (checked without building a `File`: this is
    /// the whole per-file cost of an unchanged folder, besides the `fstatat`).
    func sameFacts(as info: stat) -> Bool {
        let times = FolderSnapshot.times(info)
        return inode == Int64(info.st_ino) && size == Int64(info.st_size) && mtimeNanoseconds == times.mtime && ctimeNanoseconds == times.ctime
    }

    /// Whether the stat facts that vouch for the content match (not the name, mode, hash or trust).
    func sameFacts(as other: Self) -> Bool {
        inode == other.inode && size == other.size && mtimeNanoseconds == other.mtimeNanoseconds && ctimeNanoseconds == other.ctimeNanoseconds
    }
}

// MARK: Encoding

extension FolderSnapshot {
    /// The first bytes of an encoded snapshot; a row without them (another version) is ignored.
    static let magic = Array("mlgate-folder 1\n".utf8)

    /// The snapshot as the bytes of a `folder_state` row.
    public var encoded: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(64 + folders.reduce(0) { $0 + 64 + $1.files.count * 120 })
        func integer(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func text(_ value: String) {
            integer(Int64(value.utf8.count))
            out.append(contentsOf: value.utf8)
        }
        out.append(plain ? 1 : 0)
        text(manifestHash)
        integer(Int64(folders.count))
        for folder in folders {
            text(folder.path)
            integer(folder.inode); integer(folder.mtimeNanoseconds); integer(folder.ctimeNanoseconds)
            out.append(folder.trusted ? 1 : 0)
            integer(Int64(folder.files.count))
            for file in folder.files {
                text(file.name)
                integer(file.inode); integer(file.size); integer(file.mtimeNanoseconds); integer(file.ctimeNanoseconds)
                out.append((file.executable ? 1 : 0) | (file.trusted ? 2 : 0))
                text(file.hash)
            }
        }
        return out
    }

    /// Decodes `bytes`; nil when they are not a snapshot of this version or are cut short (a cache miss, not an error).
    public init?(encoded bytes: [UInt8]) {
        var reader = ByteReader(bytes: bytes, offset: 0)
        guard bytes.starts(with: Self.magic) else { return nil }
        reader.offset = Self.magic.count
        guard let plainByte = reader.byte(), let manifestHash = reader.text(), let count = reader.count() else { return nil }
        var folders: [Folder] = []
        folders.reserveCapacity(count)
        for _ in 0..<count {
            guard let path = reader.text(), let inode = reader.integer(), let mtime = reader.integer(), let ctime = reader.integer(),
                  let trusted = reader.byte(), let fileCount = reader.count() else { return nil }
            var files: [File] = []
            files.reserveCapacity(fileCount)
            for _ in 0..<fileCount {
                guard let name = reader.text(), let inode = reader.integer(), let size = reader.integer(), let mtime = reader.integer(),
                      let ctime = reader.integer(), let flags = reader.byte(), let hash = reader.text() else { return nil }
                files.append(File(name: name, inode: inode, size: size, mtimeNanoseconds: mtime, ctimeNanoseconds: ctime,
                                  executable: flags & 1 != 0, hash: hash, trusted: flags & 2 != 0))
            }
            folders.append(Folder(path: path, inode: inode, mtimeNanoseconds: mtime, ctimeNanoseconds: ctime, trusted: trusted == 1, files: files))
        }
        guard reader.offset == bytes.count else { return nil }
        self.init(folders: folders, manifestHash: manifestHash, plain: plainByte == 1)
    }
}

/// Reads the little-endian integers and length-prefixed strings of an encoded snapshot, nil past the end.
private struct ByteReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func integer() -> Int64? {
        guard bytes.count - offset >= 8 else { return nil }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += 8
        return Int64(bitPattern: value)
    }

    mutating func count() -> Int? {
        guard let value = integer(), value >= 0, value <= Int64(bytes.count) else { return nil }
        return Int(value)
    }

    mutating func text() -> String? {
        guard let length = count(), bytes.count - offset >= length else { return nil }
        defer { offset += length }
        return String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
    }
}
