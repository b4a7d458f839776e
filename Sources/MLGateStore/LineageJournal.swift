public import MLGateCore
import Foundation
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
    public func append(_ entry: JournalEntry) throws(StoreError) {
        let line = Array((entry.jsonLine + "\n").utf8)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw posixError("open") }
        defer { close(fd) }
        guard flock(fd, LOCK_SH) == 0 else { throw posixError("lock") }
        let failed = line.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
            guard let base = bytes.baseAddress else { return false }
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, base + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                offset += written
            }
            return false
        }
        if failed { throw posixError("append to") }
    }

    /// What a drain found: the entries, and how many lines could not be read (a torn or foreign line).
    public struct Contents: Sendable {
        /// Entries in the order they were appended.
        public var entries: [JournalEntry]
        /// Lines that were not valid entries; they are dropped.
        public var unreadableLines: Int
    }

    /// Reads every complete line under the exclusive lock, passes them to `store`, and empties the journal
    /// once `store` returns. When `store` throws, the journal is left as it was.
    public func drain<T>(into store: (Contents) throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw posixError("open") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw posixError("lock") }
        let data = try readAll(fd)
        let result = try store(Self.parse(data))
        if !data.isEmpty, ftruncate(fd, 0) != 0 { throw posixError("truncate") }
        return result
    }

    /// Parses journal bytes; a last line without its newline is a write still in flight or torn, so it
    /// counts as unreadable only when a later drain would not complete it (the lock rules that out).
    static func parse(_ data: Data) -> Contents {
        let decoder = JSONDecoder()
        var contents = Contents(entries: [], unreadableLines: 0)
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            if let entry = try? decoder.decode(JournalEntry.self, from: Data(line)) {
                contents.entries.append(entry)
            } else {
                contents.unreadableLines += 1
            }
        }
        return contents
    }

    private func readAll(_ fd: Int32) throws(StoreError) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw posixError("read")
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    private func posixError(_ operation: String) -> StoreError {
        StoreError.file(path: path, operation: operation, message: String(cString: strerror(errno)))
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
        let stamp = ISO8601DateFormatter().string(from: Date())
        let line = Array("\(stamp) \(message.replacingOccurrences(of: "\n", with: " | "))\n".utf8)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == line.count
    }
}
