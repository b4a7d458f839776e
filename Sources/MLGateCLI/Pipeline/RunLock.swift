import Foundation
import MLGateHooks
import MLGateStore
#if canImport(Glibc)
import Glibc
#endif

/// One `mlgate run` at a time per worktree: an exclusive `flock` on a file in `.mlgate/locks/` that says
/// who holds it. The kernel releases it when the holder exits, even by `kill -9`, so it never goes stale.
final class RunLock {
    private let fd: Int32
    /// The lock file.
    let path: String

    /// Takes the lock for the worktree at `root`; when another run holds it, prints who and waits (or,
    /// with `wait: false`, throws naming the holder).
    init(layout: StoreLayout, root: String, wait: Bool, describe holder: String) throws {
        let directory = layout.directory + "/locks"
        if mkdir(directory, 0o755) != 0, errno != EEXIST { throw FileError("create", directory) }
        path = directory + "/run-" + ContentHash.of(Array(root.utf8)).prefix(16) + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError("open", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let current = Files.read(path)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let who = current.isEmpty ? "another mlgate run" : current
            guard wait else {
                close(fd)
                throw EnvironmentError("another run holds \(root): \(who). Wait for it, or stop it, and try again.")
            }
            printError("mlgate: waiting for \(who) to finish…")
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    close(fd)
                    throw FileError("lock", path)
                }
            }
        }
        ftruncate(fd, 0)
        _ = Files.writeAll(fd, Array((holder + "\n").utf8))
    }

    deinit {
        ftruncate(fd, 0)
        close(fd)
    }
}
