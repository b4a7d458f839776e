public import MLGateCore
#if canImport(Glibc)
import Glibc
#endif

/// A file under `.mlgate/` (or one of git's) that could not be read or written.
public struct FileError: MLGateError, Equatable {
    /// The file.
    public var path: String
    /// What mlgate was doing: "append to", "create", "lock" …
    public var operation: String
    /// The system's reason (`strerror`).
    public var reason: String

    /// Captures `errno` for a failed `operation` on `path`.
    public init(_ operation: String, _ path: String, reason: String? = nil) {
        self.path = path
        self.operation = operation
        self.reason = reason ?? String(cString: strerror(errno))
    }

    public var category: FailureCategory { .environment }
    public var description: String { "could not \(operation) \(path): \(reason)" }
}

/// Small POSIX file helpers for code that must not pay for Foundation.
public enum Files {
    /// Whether `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A whole file as UTF-8, or nil when it is missing, unreadable or larger than `limit` bytes.
    public static func read(_ path: String, limit: Int = 1 << 16) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let bytes = readAll(fd, limit: limit) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Everything left on a descriptor, or nil on an error or past `limit` bytes.
    public static func readAll(_ fd: Int32, limit: Int = .max) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            if bytes.count > limit { return nil }
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes; false on an error.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// Creates `path` and the folders above it that are missing (`mkdir -p`).
    public static func makeDirectories(_ path: String) throws(FileError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0, errno != EEXIST { throw FileError("create the folder", prefix) }
        }
        guard isDirectory(path) else { throw FileError("create the folder", path, reason: "something that is not a folder is in the way") }
    }

    /// `path` as an absolute path: as it is when it starts with `/`, else under the current directory.
    public static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : currentDirectory() + "/" + path
    }

    /// The current directory.
    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(cString: buffer)
    }
}
