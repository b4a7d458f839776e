import MLGateCore
import MLGateSystem
#if canImport(Glibc)
import Glibc
#endif

/// A directory as the object store keeps it: one line per file (hash, size, mode, path), sorted by path.
/// The directory's hash is the hash of this text, so two folders with the same files hash the same.
public struct TreeManifest: Hashable, Sendable {
    /// The first line of every manifest.
    static let header = "mlgate-tree 1\n"

    /// One file in the directory.
    public struct Entry: Hashable, Sendable {
        /// Path relative to the directory, with `/` separators.
        public var path: String
        /// The file's hash.
        public var hash: String
        /// Its size in bytes.
        public var size: Int64
        /// Whether it is executable.
        public var executable: Bool
    }

    /// The files, sorted by path.
    public var entries: [Entry]

    /// The manifest's text.
    public var text: String {
        Self.header + entries.map { "\($0.hash) \($0.size) \($0.executable ? "755" : "644") \(JSONText.quoted($0.path))\n" }.joined()
    }

    /// Parses the text of manifest object `hash`. The hash check guards the text against damage, not against
    /// a manifest made to escape its folder, so every entry must name a file inside it (no `..`, `.`, empty or
    /// absolute parts) by a well-formed hash; any other line refuses the whole manifest.
    init(text: String, hash: String) throws(ObjectStoreError) {
        var entries: [Entry] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count == 4, let size = Int64(fields[1]), size >= 0, fields[3].count >= 2, ContentDigest.isWellFormed(fields[0]) else {
                throw .unsafeManifest(hash: hash, entry: String(line))
            }
            let path = Self.unquoted(fields[3].dropFirst().dropLast())
            guard Self.isInside(path) else { throw .unsafeManifest(hash: hash, entry: path) }
            entries.append(Entry(path: path, hash: String(fields[0]), size: size, executable: fields[2] == "755"))
        }
        self.entries = entries
    }

    /// Whether `path` names a file inside its folder: relative, no empty, `.` or `..` part, no NUL.
    static func isInside(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.utf8.contains(0)
            && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    init(entries: [Entry]) { self.entries = entries.sorted { $0.path < $1.path } }

    /// Scans `directory` recursively (following symbolic links), hashing each regular file with `hash`, which gets
    /// the file's path and the stat facts the walk already read. With `confinedTo`, a symbolic link that leads
    /// outside that folder (the repository) is refused instead of followed.
    public static func scan(_ directory: String, confinedTo root: String? = nil,
                            hash: (String, FileInfo) throws(ObjectStoreError) -> String) throws(ObjectStoreError) -> TreeManifest {
        var entries: [Entry] = []
        try walk(directory, prefix: "", confinedTo: root.flatMap(ConfinedPath.realPath)) { (relative, info) throws(ObjectStoreError) in
            let facts = FileInfo(info)
            entries.append(Entry(path: relative, hash: try hash(directory + "/" + relative, facts), size: facts.size,
                                 executable: facts.executable))
        }
        return TreeManifest(entries: entries)
    }

    /// The regular files under `directory`, as sorted relative paths (following links); empty when it is no folder.
    public static func files(under directory: String) -> [String] {
        var found: [String] = []
        try? walk(directory, prefix: "") { (relative, _) throws(ObjectStoreError) in found.append(relative) }
        return found
    }

    /// Calls `visit` with each regular file under `directory` (relative path, stat), in sorted order, following
    /// links (refusing those that leave `confinedTo`, a resolved folder, when given).
    static func walk(_ directory: String, prefix: String, confinedTo realRoot: String? = nil,
                     _ visit: (String, stat) throws(ObjectStoreError) -> Void) throws(ObjectStoreError) {
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { throw .notFound(directory) }
        for name in ObjectStore.entries(of: directory).sorted() {
            let full = directory + "/" + name
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            if let realRoot {
                var link = stat()
                if lstat(full, &link) == 0, (link.st_mode & S_IFMT) == S_IFLNK {
                    guard let resolved = ConfinedPath.realPath(full) else { continue }  // dangling: nothing to read
                    guard ConfinedPath.allows(resolved, root: realRoot) else { throw .linkLeaves(path: full, target: resolved) }
                }
            }
            var entry = stat()
            guard stat(full, &entry) == 0 else { continue }
            switch entry.st_mode & S_IFMT {
            case S_IFDIR: try walk(full, prefix: relative, confinedTo: realRoot, visit)
            case S_IFREG: try visit(relative, entry)
            default: continue
            }
        }
    }

    private static func unquoted(_ text: Substring) -> String {
        var result = ""
        var escaped = false
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            if escaped {
                switch scalar {
                case "n": result += "\n"
                case "r": result += "\r"
                case "t": result += "\t"
                case "u":
                    var hex = ""
                    for _ in 0..<4 { if let next = iterator.next() { hex.unicodeScalars.append(next) } }
                    if let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) { result.unicodeScalars.append(decoded) }
                default: result.unicodeScalars.append(scalar)
                }
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// What `stat` says about a regular file, as the hashing cache compares it.
public struct FileInfo: Hashable, Sendable {
    /// The inode number.
    public var inode: Int64
    /// The size in bytes.
    public var size: Int64
    /// Modification time, nanoseconds since 1970.
    public var mtimeNanoseconds: Int64
    /// Status-change time, nanoseconds since 1970.
    public var ctimeNanoseconds: Int64
    /// Whether the owner may execute it.
    public var executable: Bool

    init(_ info: stat) {
        inode = Int64(info.st_ino)
        size = Int64(info.st_size)
        mtimeNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        ctimeNanoseconds = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        executable = info.st_mode & 0o100 != 0
    }

    /// The facts of the file at `path` (following links), or nil when it does not exist; `isDirectory` tells a folder.
    public static func of(_ path: String) -> (info: FileInfo, isDirectory: Bool)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (FileInfo(info), (info.st_mode & S_IFMT) == S_IFDIR)
    }
}
