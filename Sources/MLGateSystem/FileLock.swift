#if canImport(Glibc)
import Glibc
#endif

/// An open file with a `flock` held until it is released (the kernel releases it when the process dies).
public final class FileLock {
    private let fd: Int32

    /// Opens (creating) `path` and takes `operation` (LOCK_SH / LOCK_EX, optionally LOCK_NB); throws when it cannot.
    public init(path: String, operation: Int32) throws(FileError) {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try Files.makeDirectories(String(path[..<slash])) }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError("open", path) }
        while flock(fd, operation) != 0 {
            if errno == EINTR { continue }
            let error = FileError("lock", path)
            close(fd)
            throw error
        }
    }

    /// Replaces the file's content with `text` (who holds the lock, for whoever waits for it).
    public func record(_ text: String) {
        ftruncate(fd, 0)
        _ = Files.writeAll(fd, Array(text.utf8))
    }

    /// The lock on `.mlgate/locks/objects.lock`: shared while a run writes objects, exclusive while `gc`
    /// deletes them, so garbage collection never removes an object a stage just stored but not yet recorded.
    public static func objects(_ layout: StoreLayout, exclusive: Bool) throws -> FileLock {
        try FileLock(path: layout.directory + "/locks/objects.lock", operation: exclusive ? LOCK_EX : LOCK_SH)
    }

    deinit { close(fd) }
}
