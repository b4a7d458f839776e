package import Foundation
package import MLGateCore
import MLGateSystem
import MLGateHooks

/// A file or folder mlgate could not read or write: the path, what it was doing, the system's reason and
/// what to do. A path that cannot work as given (a missing folder, a file where a folder should be) is a
/// malformed request (exit 2); permissions, a read-only or full disk are the environment (exit 3).
///
/// Raw Foundation errors (`NSCocoaErrorDomain …`) never reach the user: they are turned into this error,
/// at the call when mlgate knows what it was doing, or in `MLGateCommand.report` otherwise.
package struct FileAccessError: MLGateError {
    /// What mlgate was doing, as a verb phrase: `create the folder`, `write`, `read`.
    let operation: String
    /// The file or folder.
    let path: String
    /// The system's reason, in words.
    let reason: String
    /// What to do about it.
    let fix: String
    package let category: FailureCategory

    package var description: String { "could not \(operation) \(path): \(reason); \(fix)." }

    /// An error with every part given.
    init(operation: String, path: String, reason: String, fix: String, category: FailureCategory) {
        self.operation = operation
        self.path = path
        self.reason = reason
        self.fix = fix
        self.category = category
    }

    /// The error of a failed system call on `path`, from its `errno`.
    package init(_ operation: String, _ path: String, errno code: Int32) {
        let (category, fix) = Self.advice(errno: code)
        self.init(operation: operation, path: path, reason: String(cString: strerror(code)).lowercased(), fix: fix, category: category)
    }

    /// The error a Foundation call threw for `path` (the error's own path wins when it names one).
    init(_ operation: String, _ path: String, error: any Error) {
        let error = error as NSError
        let named = (error.userInfo[NSFilePathErrorKey] as? String) ?? path
        self.init(operation, named, errno: Self.posixCode(of: error))
    }

    /// An error that Foundation threw somewhere mlgate did not wrap, or nil when `error` is not a file error.
    package init?(unwrapped error: any Error) {
        let error = error as NSError
        guard error.domain == NSCocoaErrorDomain || error.domain == NSPOSIXErrorDomain else { return nil }
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path ?? "a file"
        let reading = error.domain == NSCocoaErrorDomain && (256..<512).contains(error.code)
        self.init(reading ? "read" : "write", path, error: error)
    }

    /// The POSIX code behind a Foundation error: its underlying error's, else the nearest to its Cocoa code.
    private static func posixCode(of error: NSError) -> Int32 {
        if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
        if let underlying = (error.userInfo[NSUnderlyingErrorKey] as? any Error).map({ $0 as NSError }), underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        switch CocoaError.Code(rawValue: error.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return ENOENT
        case .fileReadNoPermission, .fileWriteNoPermission: return EACCES
        case .fileWriteFileExists: return EEXIST
        case .fileWriteOutOfSpace: return ENOSPC
        case .fileWriteVolumeReadOnly: return EROFS
        case .fileReadInvalidFileName, .fileWriteInvalidFileName: return EINVAL
        default: return EIO
        }
    }

    /// The exit category and the fix for a POSIX error.
    private static func advice(errno code: Int32) -> (FailureCategory, String) {
        switch code {
        case ENOENT, ENOTDIR:
            (.invalidInput, "check the path: every folder above it must exist and be a folder")
        case EISDIR:
            (.invalidInput, "the path is a folder; name a file")
        case EEXIST:
            (.invalidInput, "something is already there; choose another path or remove it")
        case ENAMETOOLONG, EINVAL, ELOOP:
            (.invalidInput, "choose a shorter or simpler path")
        case EACCES, EPERM:
            (.environment, "check the permissions of the path and of its folder")
        case EROFS:
            (.environment, "the file system is read-only; choose a path on a writable one")
        case ENOSPC, EDQUOT:
            (.environment, "the disk (or quota) is full; free some space")
        default:
            (.environment, "check the disk and the path")
        }
    }
}

/// File operations that fail with a `FileAccessError` naming the path and the fix.
package enum FileAccess {
    /// Creates `path` and the folders above it, as needed.
    package static func createDirectory(_ path: String, permissions: Int? = nil) throws(FileAccessError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: permissions.map { [.posixPermissions: $0] })
        } catch {
            throw FileAccessError("create the folder", path, error: error)
        }
    }

    /// The whole text of a file mlgate (or a command it ran) wrote; refused when it is not UTF-8.
    package static func readText(_ path: String) throws(FileAccessError) -> String {
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw FileAccessError("read", path, error: error) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FileAccessError(operation: "read", path: path, reason: "it is not UTF-8 text",
                                  fix: "check that the path names the text file meant", category: .invalidInput)
        }
        return text
    }
}

/// Writes a file by writing a temp file beside it, syncing it and renaming it over the old one: a reader sees
/// the old file or the new one, never half of either.
package enum AtomicFile {
    /// Replaces `path` with `text`, with permission bits `mode`; creates the folders above it when `createFolders`.
    package static func write(_ text: String, to path: String, mode: mode_t = 0o644, createFolders: Bool = false) throws(FileAccessError) {
        if createFolders { try FileAccess.createDirectory((path as NSString).deletingLastPathComponent) }
        let temp = path + ".mlgate-tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileAccessError("create", path, errno: errno) }
        guard Files.writeAll(fd, Array(text.utf8)), fsync(fd) == 0, fchmod(fd, mode) == 0 else {
            let error = FileAccessError("write", path, errno: errno)
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, path) == 0 else {
            let error = FileAccessError("replace", path, errno: errno)
            unlink(temp)
            throw error
        }
    }
}
