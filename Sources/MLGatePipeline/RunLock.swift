import MLGateCore
import MLGateWorkspace
import Foundation
import MLGateSystem
import MLGateHooks
import MLGateStore
#if canImport(Glibc)
import Glibc
#endif

/// One `mlgate run` at a time per worktree: an exclusive `flock` on a file in `.mlgate/locks/` that says
/// who holds it. The kernel releases it when the holder exits, even by `kill -9`, so it never goes stale.
package final class RunLock {
    private let lock: FileLock
    /// The lock file.
    let path: String

    /// Takes the lock for the worktree at `root`; when another run holds it, prints who and waits (or,
    /// with `wait: false`, throws naming the holder).
    init(layout: StoreLayout, root: String, wait: Bool, reporter: any Reporter, describe holder: String) throws {
        path = layout.directory + "/locks/run-" + ContentHash.of(Array(root.utf8)).prefix(16) + ".lock"
        if let free = try? FileLock(path: path, operation: LOCK_EX | LOCK_NB) {
            lock = free
        } else {
            let current = Files.read(path)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let who = current.isEmpty ? "another mlgate run" : current
            guard wait else { throw EnvironmentError("another run holds \(root): \(who). Wait for it, or stop it, and try again.") }
            reporter.progress("mlgate: waiting for \(who) to finish…")
            lock = try FileLock(path: path, operation: LOCK_EX)
        }
        lock.record(holder + "\n")
    }

    deinit { lock.record("") }
}
