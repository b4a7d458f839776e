public import MLGateCore
public import MLGateSystem
#if canImport(Glibc)
import Glibc
#endif

/// The append-only file the hooks write lineage events to: one JSON object per line.
///
/// Appends take a shared `flock` and write each line with one `write(2)` on an `O_APPEND` descriptor, so
/// concurrent hooks (eight worktrees committing at once) never interleave or lose lines. Draining takes
/// the exclusive lock, hands every complete line to the caller and truncates the file only after the
/// caller has stored them; a crash in between re-delivers lines, which the store ignores as duplicates.
public struct LineageJournal: Sendable {
    /// The journal file.
    public let path: String

    /// A journal at `path`.
    public init(path: String) { self.path = path }

    /// Appends one entry as one line, with a single `write(2)`.
    public func append(_ entry: JournalEntry) throws(FileError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError("open", path) }
        defer { close(fd) }
        guard flock(fd, LOCK_SH) == 0 else { throw FileError("lock", path) }
        guard Files.writeAll(fd, Array((entry.jsonLine + "\n").utf8)) else { throw FileError("append to", path) }
    }

    /// Reads every line under the exclusive lock, passes them to `store`, and empties the journal once
    /// `store` returns. When `store` throws, the journal is left as it was.
    public func drain<T>(into store: ([String]) throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError("open", path) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw FileError("lock", path) }
        guard let bytes = Files.readAll(fd) else { throw FileError("read", path) }
        let lines = bytes.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        let result = try store(lines)
        if !bytes.isEmpty, ftruncate(fd, 0) != 0 { throw FileError("truncate", path) }
        return result
    }
}

/// Appends timestamped lines to `.mlgate/log`, where hooks report failures instead of printing them.
public struct HookLog: Sendable {
    /// The log file.
    public let path: String

    /// A log at `path`.
    public init(path: String) { self.path = path }

    /// Appends `message` with a UTC timestamp; returns false when even the log cannot be written.
    @discardableResult
    public func append(_ message: String) -> Bool {
        let line = Timestamp.iso8601(Int64(time(nil))) + " " + message.split(separator: "\n").joined(separator: " | ") + "\n"
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return Files.writeAll(fd, Array(line.utf8))
    }
}
