import MLGateCore
#if canImport(Glibc)
import Glibc
#endif

/// Where mlgate keeps its local state: `.mlgate/` at the main worktree's root, shared by every linked
/// worktree. The directory ignores itself (`.mlgate/.gitignore` holds `*`), so it never dirties a tree
/// even where `mlgate init` did not add it to the repository's `.gitignore`.
public struct StoreLayout: Sendable, Hashable {
    /// The `.mlgate` directory.
    public let directory: String

    /// The layout for a repository whose main worktree is at `repositoryRoot`.
    public init(repositoryRoot: String) {
        self.directory = repositoryRoot + "/.mlgate"
    }

    /// The SQLite store.
    public var database: String { directory + "/store.sqlite" }
    /// The lineage journal the hooks append to.
    public var journal: String { directory + "/journal" }
    /// The log hooks write their failures to.
    public var log: String { directory + "/log" }

    /// Whether the directory exists.
    public var exists: Bool { Files.isDirectory(directory) }

    /// Creates the directory and its self-ignoring `.gitignore` if missing; returns true when it did.
    @discardableResult
    public func create() throws(FileError) -> Bool {
        if exists { return false }
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else { throw FileError("create", directory) }
        let ignore = directory + "/.gitignore"
        let fd = open(ignore, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError("create", ignore) }
        defer { close(fd) }
        guard Files.writeAll(fd, Array("# Written by mlgate: local state, never committed.\n*\n".utf8)) else {
            throw FileError("write", ignore)
        }
        return true
    }

    /// A warning when the directory is on a network filesystem, where SQLite's locking is unreliable.
    public func networkFilesystemWarning() -> String? {
        guard let mounts = Files.read("/proc/mounts", limit: 1 << 22) else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let resolved = realpath(directory, &buffer) != nil ? String(cString: buffer) : directory
        // The longest mount point that contains the directory decides its filesystem type.
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1]
            let contains = resolved == point || point == "/" || resolved.hasPrefix(point + "/")
            if contains, point.count >= (best?.point.count ?? 0) { best = (point, fields[2]) }
        }
        guard let type = best?.type, ["nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p"].contains(type) else { return nil }
        return "warning: \(directory) is on a \(type) filesystem; SQLite locking is unreliable there, so concurrent mlgate runs may conflict. Keep the repository on a local disk."
    }
}
