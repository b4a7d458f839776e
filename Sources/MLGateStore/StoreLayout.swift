import Foundation
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
    /// What `mlgate hooks install` did, so `uninstall` can undo it exactly.
    public var hookInstallRecord: String { directory + "/hooks.json" }

    /// Whether the directory exists.
    public var exists: Bool {
        var info = stat()
        return stat(directory, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates the directory and its self-ignoring `.gitignore` if missing; returns true when it created them.
    @discardableResult
    public func create() throws(StoreError) -> Bool {
        if exists { return false }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("# Written by mlgate: local state, never committed.\n*\n".utf8)
                .write(to: URL(fileURLWithPath: directory + "/.gitignore"), options: .atomic)
        } catch {
            throw StoreError.file(path: directory, operation: "create", message: Self.reason(error))
        }
        return true
    }

    /// A warning when the directory is on a network filesystem, where SQLite's locking is unreliable.
    public func networkFilesystemWarning() -> String? {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return nil }
        let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        // The longest mount point that contains the directory decides its filesystem type.
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1]
            let contains = resolved == point || point == "/" || resolved.hasPrefix(point + "/")
            if contains, point.count >= (best?.point.count ?? 0) { best = (point, fields[2]) }
        }
        guard let type = best?.type,
              ["nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p"].contains(type) else { return nil }
        return "warning: \(directory) is on a \(type) filesystem; SQLite locking is unreliable there, so concurrent mlgate runs may conflict. Keep the repository on a local disk."
    }

    /// The text of a Foundation or POSIX error, without the framework's boilerplate.
    static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return error.localizedDescription
    }
}

private extension CocoaError {
    var underlying: (any Error)? { userInfo[NSUnderlyingErrorKey] as? any Error }
}
