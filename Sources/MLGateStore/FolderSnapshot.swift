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
            guard let fd = Self.openUnchanged(path, root: folder.path.isEmpty, inode: folder.inode, mtime: folder.mtimeNanoseconds,
                                              ctime: folder.ctimeNanoseconds) else { return nil }
            defer { close(fd) }
            var entries = Array(repeating: stat(), count: folder.files.count)
            entries.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let out = buffer  // each lane writes only its own indices
                Self.inLanes(folder.files.count) { index in
                    if folder.files[index].name.withCString({ fstatat(fd, $0, &out[index], AT_SYMLINK_NOFOLLOW) }) != 0 { out[index].st_mode = 0 }
                }
            }
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

    /// The folder at `path` open for `fstatat`, or nil when it is not the folder with `inode`, `mtime` and `ctime` (then
    /// its list of entries may have changed). The scanned folder itself (`root`) may be reached through a link (its path
    /// was confined by the caller); a subfolder was a real folder at the scan, and its parent's unchanged facts say it
    /// still is, so it is opened without following links.
    static func openUnchanged(_ path: String, root: Bool, inode: Int64, mtime: Int64, ctime: Int64) -> Int32? {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (root ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { return nil }
        var info = stat()
        if fstat(fd, &info) == 0, Int64(info.st_ino) == inode, Self.times(info) == (mtime, ctime) { return fd }
        close(fd)
        return nil
    }

    /// Runs `body` for each index below `count`, a big count split over the machine's cores: the `fstatat`s of an
    /// unchanged folder are its whole cost, and each is a system call on its own. (Threads of its own instead of
    /// Dispatch's pool measured no faster.)
    static func inLanes(_ count: Int, _ body: @Sendable (Int) -> Void) {
        let lanes = count >= 512 ? min(4, max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) : 1  // sysconf reads /sys: only when needed
        guard lanes > 1 else {
            for index in 0..<count { body(index) }
            return
        }
        let chunk = (count + lanes - 1) / lanes
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            for index in (lane * chunk)..<min(count, (lane + 1) * chunk) { body(index) }
        }
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

/// The bytes of a `folder_state` row, all integers little-endian, texts as a 64-bit length and UTF-8:
///
///     "mlgate-folder 2\n"  plain: u8  manifestHash: text  folders: u64
///     per folder: path: text  inode, mtime, ctime: i64  trusted: u8  files: u64
///                 files × record: inode, size, mtime, ctime: i64  nameOffset: u32  flags: u8 (1 executable, 2 trusted)
///                 names: u64 length, then each name and a NUL, at its nameOffset
///                 hashes: u64 length, then each file's hash as a text
///
/// The records have a fixed size and the names end in NUL so that `unchangedHash` can check a folder in place,
/// handing each name to `fstatat` straight from the row; the hashes come last, skipped unless a file changed.
extension FolderSnapshot {
    /// The first bytes of an encoded snapshot; a row without them (another version) is ignored.
    static let magic = Array("mlgate-folder 2\n".utf8)
    /// The size of one file's record.
    static let recordSize = 4 * 8 + 4 + 1

    /// The snapshot as the bytes of a `folder_state` row.
    public var encoded: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(64 + folders.reduce(0) { $0 + 64 + $1.files.count * (Self.recordSize + 96) })
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
            var nameOffset: UInt32 = 0
            for file in folder.files {
                integer(file.inode); integer(file.size); integer(file.mtimeNanoseconds); integer(file.ctimeNanoseconds)
                withUnsafeBytes(of: nameOffset.littleEndian) { out.append(contentsOf: $0) }
                out.append((file.executable ? 1 : 0) | (file.trusted ? 2 : 0))
                nameOffset += UInt32(file.name.utf8.count + 1)
            }
            integer(Int64(nameOffset))
            for file in folder.files {
                out.append(contentsOf: file.name.utf8)
                out.append(0)
            }
            integer(Int64(folder.files.reduce(0) { $0 + 8 + $1.hash.utf8.count }))
            for file in folder.files { text(file.hash) }
        }
        return out
    }

    /// Decodes `bytes`; nil when they are not a snapshot of this version or are cut short (a cache miss, not an error).
    public init?(encoded bytes: [UInt8]) {
        let decoded: FolderSnapshot? = bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            guard reader.skip(Self.magic), let plainByte = reader.byte(), let manifestHash = reader.text(), let count = reader.count() else {
                return nil
            }
            var folders: [Folder] = []
            folders.reserveCapacity(count)
            for _ in 0..<count {
                guard let header = reader.folder(), let names = reader.block(), let hashes = reader.block() else { return nil }
                var hashReader = ByteReader(hashes)
                var files: [File] = []
                files.reserveCapacity(header.records.count)
                for record in header.records.indices {
                    let facts = header.records[record]
                    guard let name = names.name(at: facts.nameOffset), let hash = hashReader.text() else { return nil }
                    files.append(File(name: name, inode: facts.inode, size: facts.size, mtimeNanoseconds: facts.mtime, ctimeNanoseconds: facts.ctime,
                                      executable: facts.flags & 1 != 0, hash: hash, trusted: facts.flags & 2 != 0))
                }
                guard hashReader.atEnd else { return nil }
                folders.append(Folder(path: header.path, inode: header.inode, mtimeNanoseconds: header.mtime, ctimeNanoseconds: header.ctime,
                                      trusted: header.trusted, files: files))
            }
            guard reader.atEnd else { return nil }
            return FolderSnapshot(folders: folders, manifestHash: manifestHash, plain: plainByte == 1)
        }
        guard let decoded else { return nil }
        self = decoded
    }

    /// The manifest hash recorded in `encoded` when the tree at `directory` is exactly as recorded and every fact
    /// was old enough to trust: what `refresh` would answer when nothing changed, checked in place, with no snapshot
    /// decoded and no string made (a no-op run's whole cost for a big dependency folder is then its `fstatat`s).
    /// Nil means "decode and refresh": something changed or is untrusted, or the bytes are not of this version.
    public static func unchangedHash(encoded: [UInt8], directory: String) -> String? {
        encoded.withUnsafeBytes { buffer -> String? in
            var reader = ByteReader(buffer)
            guard reader.skip(magic), reader.byte() == 1, let manifestHash = reader.text(), let count = reader.count() else { return nil }
            var entries: [stat] = []
            for _ in 0..<count {
                guard let header = reader.folder(), header.trusted, let names = reader.block(), reader.block() != nil else { return nil }
                let records = header.records
                // Every name must end inside the block, for fstatat to read it from there.
                guard records.isEmpty || names.last == 0, let base = names.baseAddress?.assumingMemoryBound(to: CChar.self),
                      records.allSatisfy({ $0.flags & 2 != 0 && Int($0.nameOffset) < names.count }) else { return nil }
                let path = header.path.isEmpty ? directory : directory + "/" + header.path
                guard let fd = openUnchanged(path, root: header.path.isEmpty, inode: header.inode, mtime: header.mtime, ctime: header.ctime) else {
                    return nil
                }
                defer { close(fd) }
                if entries.count < records.count { entries = Array(repeating: stat(), count: records.count) }
                let unchanged = entries.withUnsafeMutableBufferPointer { out -> Bool in
                    nonisolated(unsafe) let out = out  // each lane writes only its own indices
                    nonisolated(unsafe) let base = base  // the row outlives the lanes
                    inLanes(records.count) { index in
                        if fstatat(fd, base + Int(records[index].nameOffset), &out[index], AT_SYMLINK_NOFOLLOW) != 0 { out[index].st_mode = 0 }
                    }
                    return records.indices.allSatisfy { index in
                        let entry = out[index], facts = records[index]
                        return (entry.st_mode & S_IFMT) == S_IFREG && Int64(entry.st_ino) == facts.inode && Int64(entry.st_size) == facts.size
                            && times(entry) == (facts.mtime, facts.ctime)
                    }
                }
                guard unchanged else { return nil }
            }
            return reader.atEnd ? manifestHash : nil
        }
    }
}

/// Reads the little-endian integers, texts and blocks of an encoded snapshot in place, nil past the end.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    /// Moves past `prefix` when the bytes start with it here.
    mutating func skip(_ prefix: [UInt8]) -> Bool {
        guard bytes.count - offset >= prefix.count, bytes[offset..<(offset + prefix.count)].elementsEqual(prefix) else { return false }
        offset += prefix.count
        return true
    }

    mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func integer() -> Int64? {
        guard bytes.count - offset >= 8 else { return nil }
        defer { offset += 8 }
        return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    mutating func count() -> Int? {
        guard let value = integer(), value >= 0, value <= Int64(bytes.count) else { return nil }
        return Int(value)
    }

    /// A length and that many bytes, in place.
    mutating func block() -> UnsafeRawBufferPointer? {
        guard let length = count(), bytes.count - offset >= length else { return nil }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }

    mutating func text() -> String? {
        block().map { String(decoding: $0, as: UTF8.self) }
    }

    /// A folder's header and its file records (up to the names).
    mutating func folder() -> (path: String, inode: Int64, mtime: Int64, ctime: Int64, trusted: Bool, records: Records)? {
        guard let path = text(), let inode = integer(), let mtime = integer(), let ctime = integer(), let trusted = byte(),
              let files = count(), files <= (bytes.count - offset) / FolderSnapshot.recordSize else { return nil }
        let records = Records(bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + files * FolderSnapshot.recordSize)]))
        offset += files * FolderSnapshot.recordSize
        return (path, inode, mtime, ctime, trusted == 1, records)
    }
}

/// A folder's fixed-size file records, read in place.
private struct Records: RandomAccessCollection, @unchecked Sendable {
    /// One file's facts as recorded.
    struct Facts {
        var inode: Int64, size: Int64, mtime: Int64, ctime: Int64
        var nameOffset: UInt32
        var flags: UInt8
    }

    let bytes: UnsafeRawBufferPointer
    var startIndex: Int { 0 }
    var endIndex: Int { bytes.count / FolderSnapshot.recordSize }

    subscript(index: Int) -> Facts {
        let at = index * FolderSnapshot.recordSize
        func integer(_ field: Int) -> Int64 { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + field * 8, as: Int64.self)) }
        return Facts(inode: integer(0), size: integer(1), mtime: integer(2), ctime: integer(3),
                     nameOffset: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 32, as: UInt32.self)), flags: bytes[at + 36])
    }
}

private extension UnsafeRawBufferPointer {
    /// The NUL-terminated name at `offset` of a names block, nil when it does not end inside the block.
    func name(at offset: UInt32) -> String? {
        let start = Int(offset)
        guard start < count, let end = self[start...].firstIndex(of: 0) else { return nil }
        return String(decoding: self[start..<end], as: UTF8.self)
    }
}
