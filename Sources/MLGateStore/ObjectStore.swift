import MLGateCore
import MLGateSystem
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed files under `.mlgate/objects/` (or a remote directory): each object is named by the
/// SHA-256 of its bytes, a directory is stored as a manifest object listing its files.
///
/// Writes never leave a torn object under its final name: bytes go to a temp file inside the store, are
/// fsynced and read back to check the hash, then renamed into place and the directory fsynced. Temp files
/// of dead writers are swept when the store is opened. Every read checks the hash again.
public struct ObjectStore: Sendable {
    /// The store's directory.
    public let root: String

    /// A store at `root` (created on first write).
    public init(root: String) { self.root = root }

    /// Where temp files live: inside the store, so rename never crosses filesystems.
    var temporaryDirectory: String { root + "/tmp" }

    /// The file of object `hash`, which must be well-formed (`ContentDigest.isWellFormed`); every reading and
    /// writing method here checks that first, with `file(of:)`.
    public func path(of hash: String) -> String {
        "\(root)/\(hash.prefix(2))/\(hash.dropFirst(2))"
    }

    /// The file of object `hash`, refusing a reference that is not a content hash before any path is built.
    func file(of hash: String) throws(ObjectStoreError) -> String {
        guard ContentDigest.isWellFormed(hash) else { throw .malformedHash(hash) }
        return path(of: hash)
    }

    /// Whether object `hash` is present (not checked); false for anything that is not a content hash.
    public func contains(_ hash: String) -> Bool { ContentDigest.isWellFormed(hash) && access(path(of: hash), F_OK) == 0 }

    /// Creates the directories and removes temp files left by writers that died; returns how many it removed.
    ///
    /// Temp names start with the writer's pid, so on a store only this machine writes, a file whose writer
    /// is gone is swept at once. A store other machines share (a remote) passes `sharedAfter`: there a pid
    /// says nothing, so only temp files older than that many seconds are swept.
    @discardableResult
    public func prepare(sharedAfter seconds: Int? = nil) throws(ObjectStoreError) -> Int {
        try makeDirectory(root)
        try makeDirectory(temporaryDirectory)
        var removed = 0
        let now = time(nil)
        for name in Self.entries(of: temporaryDirectory) {
            let path = temporaryDirectory + "/" + name
            let stale: Bool
            if let seconds {
                var info = stat()
                stale = stat(path, &info) == 0 && Int(now - info.st_mtim.tv_sec) > seconds
            } else {
                let pid = Int32(name.split(separator: "-").first ?? "") ?? 0
                stale = !(pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
            }
            if stale, unlink(path) == 0 { removed += 1 }
        }
        return removed
    }

    // MARK: Writing

    /// Stores the file at `source`; returns its hash and size. Storing an object that exists is a no-op.
    @discardableResult
    public func put(file source: String) throws(ObjectStoreError) -> (hash: String, size: Int64) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw errno == ENOENT ? .notFound(source) : .io("read", source, errno) }
        defer { close(input) }
        return try write { (fd, temp) throws(ObjectStoreError) in
            try ContentHash.stream(input, path: source) { (chunk) throws(ObjectStoreError) in
                try Self.writeAll(fd, chunk, path: temp)
            }
        }
    }

    /// Stores `bytes`; returns their hash.
    @discardableResult
    public func put(bytes: [UInt8]) throws(ObjectStoreError) -> String {
        try write { (fd, temp) throws(ObjectStoreError) in
            var failure: ObjectStoreError?
            bytes.withUnsafeBytes { buffer in
                do throws(ObjectStoreError) { try Self.writeAll(fd, buffer, path: temp) } catch { failure = error }
            }
            if let failure { throw failure }
            return (ContentHash.of(bytes), Int64(bytes.count))
        }.hash
    }

    /// Stores every file under `directory` and its manifest; returns the manifest's hash (the directory's hash).
    /// With `confinedTo`, a symbolic link inside that leads out of that folder is refused, not followed.
    @discardableResult
    public func put(directory: String, confinedTo root: String? = nil) throws(ObjectStoreError) -> String {
        let manifest = try TreeManifest.scan(directory, confinedTo: root) { (path, _) throws(ObjectStoreError) in try put(file: path).hash }
        return try put(bytes: Array(manifest.text.utf8))
    }

    /// Copies object `hash` into `other` (verifying it on the way) unless `other` has it — intact, when
    /// `replacingDamaged` asks to re-hash the copy already there.
    public func copy(_ hash: String, to other: ObjectStore, replacingDamaged: Bool = false) throws(ObjectStoreError) {
        let source = try file(of: hash)
        if other.contains(hash), !replacingDamaged || other.damage(hash) == nil { return }
        guard contains(hash) else { throw .missing(hash: hash, what: "needed for the copy to \(other.root)") }
        let stored = try other.put(file: source)
        guard stored.hash == hash else {
            other.remove(stored.hash)
            throw .corrupt(hash: hash, path: source, found: stored.hash)
        }
    }

    /// Stores object `hash` from bytes `fill` writes to a new file at the path it is given (a temp file inside the
    /// store): the file is stored only when its bytes hash to `hash`, so a wrong or torn download never gets a name.
    public func receive(_ hash: String, _ fill: (String) throws -> Void) throws {
        _ = try file(of: hash)
        try makeDirectory(root)
        try makeDirectory(temporaryDirectory)
        let temp = "\(temporaryDirectory)/\(getpid())-download-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(temp) }
        try fill(temp)
        let stored = try put(file: temp)
        guard stored.hash == hash else {
            remove(stored.hash)
            throw ObjectStoreError.corrupt(hash: hash, path: temp, found: stored.hash)
        }
    }

    /// Writes a temp file with `fill`, syncs it, checks the hash by reading it back, and renames it into place.
    private func write(_ fill: (Int32, String) throws(ObjectStoreError) -> (hash: String, size: Int64))
        throws(ObjectStoreError) -> (hash: String, size: Int64) {
        try makeDirectory(root)
        try makeDirectory(temporaryDirectory)
        let temp = "\(temporaryDirectory)/\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw .io("create", temp, errno) }
        var keep = false
        defer { if !keep { unlink(temp) } }
        let written: (hash: String, size: Int64)
        do throws(ObjectStoreError) {
            written = try fill(fd, temp)
            guard fsync(fd) == 0 else { throw ObjectStoreError.io("sync", temp, errno) }
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        // Read back: a write the kernel reported but never did (or storage that lies) is caught here.
        let readBack = try ContentHash.file(temp)
        guard readBack.hash == written.hash, readBack.size == written.size else {
            throw .corrupt(hash: written.hash, path: temp, found: readBack.hash)
        }
        let final = path(of: written.hash)
        let shard = String(final.dropLast(written.hash.count - 2 + 1))
        try makeDirectory(shard)
        // An intact object under this name stays; a damaged one is replaced by the good bytes.
        if contains(written.hash), damage(written.hash) == nil { return written }
        guard rename(temp, final) == 0 else { throw .io("rename into", final, errno) }
        keep = true
        try Self.syncDirectory(shard)
        return written
    }

    // MARK: Reading

    /// The bytes of object `hash`, checked against the hash.
    public func bytes(_ hash: String, what: String = "an object") throws(ObjectStoreError) -> [UInt8] {
        let file = try file(of: hash)
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errno == ENOENT ? .missing(hash: hash, what: what) : .io("read", file, errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        let found = try ContentHash.stream(fd, path: file) { (chunk) throws(ObjectStoreError) in bytes.append(contentsOf: chunk) }
        guard found.hash == hash else { throw .corrupt(hash: hash, path: file, found: found.hash) }
        return bytes
    }

    /// The manifest of directory object `hash`, or nil when the object is a plain file.
    public func tree(_ hash: String) throws(ObjectStoreError) -> TreeManifest? {
        let file = try file(of: hash)
        // Peek at the header before reading a possibly large file.
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw errno == ENOENT ? .missing(hash: hash, what: "a directory manifest") : .io("read", file, errno) }
        var header = [UInt8](repeating: 0, count: TreeManifest.header.utf8.count)
        let count = read(fd, &header, header.count)
        close(fd)
        guard count == header.count, header.elementsEqual(TreeManifest.header.utf8) else { return nil }
        return try TreeManifest(text: String(decoding: try bytes(hash, what: "a directory manifest"), as: UTF8.self), hash: hash)
    }

    /// Writes object `hash` to `destination` (a file, or a directory for a manifest), replacing what is there.
    /// The content is checked while copying; nothing is replaced when it does not match.
    public func checkout(_ hash: String, to destination: String) throws(ObjectStoreError) {
        if let tree = try tree(hash) {
            let staging = destination + ".mlgate-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            Self.removeTree(staging)
            defer { Self.removeTree(staging) }
            try makeDirectory(staging)
            for entry in tree.entries {
                let target = staging + "/" + entry.path
                try makeParents(of: target)
                try copyOut(entry.hash, to: target, mode: entry.executable ? 0o755 : 0o644)
            }
            let previous = destination + ".mlgate-old-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            let hadPrevious = access(destination, F_OK) == 0
            if hadPrevious, rename(destination, previous) != 0 { throw .io("replace", destination, errno) }
            guard rename(staging, destination) == 0 else {
                let code = errno
                if hadPrevious { rename(previous, destination) }
                throw .io("replace", destination, code)
            }
            Self.removeTree(previous)
        } else {
            try makeParents(of: destination)
            try copyOut(hash, to: destination, mode: 0o644)
        }
    }

    private func copyOut(_ hash: String, to destination: String, mode: mode_t) throws(ObjectStoreError) {
        let source = try file(of: hash)
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw errno == ENOENT ? .missing(hash: hash, what: "for \(destination)") : .io("read", source, errno) }
        defer { close(input) }
        // A fresh name, created exclusively and never through a link: a file or link planted under a guessable
        // name (a fork's checkout can hold anything) is never written through.
        let temp = destination + ".mlgate-tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let output = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard output >= 0 else { throw .io("create", temp, errno) }
        var done = false
        defer { if !done { unlink(temp) } }
        let found: (hash: String, size: Int64)
        do throws(ObjectStoreError) {
            found = try ContentHash.stream(input, path: source) { (chunk) throws(ObjectStoreError) in try Self.writeAll(output, chunk, path: temp) }
        } catch {
            close(output)
            throw error
        }
        close(output)
        guard found.hash == hash else { throw .corrupt(hash: hash, path: source, found: found.hash) }
        fchmodat(AT_FDCWD, temp, mode, 0)
        guard rename(temp, destination) == 0 else { throw .io("write", destination, errno) }
        done = true
    }

    // MARK: Maintenance

    /// Every object's hash.
    public func allObjects() -> [String] {
        var result: [String] = []
        for shard in Self.entries(of: root) where shard.utf8.count == 2 {
            for rest in Self.entries(of: root + "/" + shard) where rest.utf8.count == 62 {
                result.append(shard + rest)
            }
        }
        return result.sorted()
    }

    /// Re-hashes object `hash`: nil when intact, else what it hashes to now ("missing" when absent).
    public func damage(_ hash: String) -> String? {
        do {
            let found = try ContentHash.file(try file(of: hash))
            return found.hash == hash ? nil : found.hash
        } catch {
            return "unreadable (\(error.description))"
        }
    }

    /// Deletes object `hash`.
    public func remove(_ hash: String) {
        guard let file = try? file(of: hash) else { return }
        unlink(file)
    }

    /// The size of object `hash` in bytes, or 0.
    public func size(of hash: String) -> Int64 {
        guard let file = try? file(of: hash) else { return 0 }
        var info = stat()
        return stat(file, &info) == 0 ? Int64(info.st_size) : 0
    }

    // MARK: Files

    private func makeDirectory(_ path: String) throws(ObjectStoreError) {
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw .io("create the folder", path, errno) }
    }

    /// Creates the folders above `path` that are missing.
    private func makeParents(of path: String) throws(ObjectStoreError) {
        var prefix = ""
        for part in path.split(separator: "/").dropLast() {
            prefix += (prefix.isEmpty && !path.hasPrefix("/") ? "" : "/") + part
            try makeDirectory(prefix)
        }
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(ObjectStoreError) {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            let count = Glibc.write(fd, base + offset, buffer.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw .io("write", path, errno)
            }
            offset += count
        }
    }

    static func syncDirectory(_ path: String) throws(ObjectStoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("open", path, errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io("sync", path, errno) }
    }

    /// The names in a directory, without `.` and `..`; empty when it cannot be read.
    static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file or a directory tree, ignoring what is not there.
    public static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in entries(of: path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
