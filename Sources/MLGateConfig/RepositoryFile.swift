import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a small text file that the repository supplies (`mlgate.yaml`, a parameters or metrics file,
/// `mlgate.lock`) without trusting how it got there.
///
/// The file must resolve to a regular file inside `repository` (a symbolic link to another file in the
/// repository is fine; one that leads out of it, or into its `.git/` or `.mlgate/`, is refused before the target
/// is opened), and its size is checked with `fstat` before a byte is read, so a 100 MB file costs no more
/// than a 1 KB one. Nothing past `limit` bytes is ever read.
enum RepositoryFile {
    /// What the caller calls the file in messages, and what to tell the user to do about a refusal.
    struct Purpose {
        /// The file as the user knows it (`mlgate.yaml`, `params.yaml`).
        var display: String
        /// How to put right a file that is not a regular file or leads nowhere, as a clause (`fix 'params' in mlgate.yaml`).
        var fix: String
    }

    /// The file's text, or nil when nothing (not even a dangling link) is at `path`.
    ///
    /// - Throws: `ConfigError` naming the file when it leads out of `repository`, is not a regular file,
    ///   is larger than `limit` bytes, cannot be read, or is not UTF-8.
    static func text(at path: String, repository: String, limit: Int, purpose: Purpose) throws(ConfigError) -> String? {
        var linkInfo = stat()
        guard lstat(path, &linkInfo) == 0 else {
            if errno == ENOENT { return nil }
            throw refusal(purpose, "this file cannot be read (\(systemReason())); check its permissions.")
        }
        let isLink = (linkInfo.st_mode & S_IFMT) == S_IFLNK
        guard let resolved = realPath(path) else {
            let reason = systemReason()
            let target = isLink ? linkTarget(path).map { " to \($0)" } ?? "" : ""
            throw refusal(purpose, isLink ? "this file is a symbolic link\(target) that leads nowhere (\(reason)); replace it with a regular file, or \(purpose.fix)."
                                          : "this file's path cannot be resolved (\(reason)); \(purpose.fix).")
        }
        let boundary = realPath(repository) ?? repository
        guard resolved == boundary || resolved.hasPrefix(boundary == "/" ? "/" : boundary + "/") else {
            let how = isLink ? "this file is a symbolic link to \(resolved)" : "this file is reached through a symbolically linked folder and resolves to \(resolved)"
            throw refusal(purpose, "\(how), outside the repository (\(boundary)); mlgate reads nothing from outside the repository and did not open it. Replace the link with a regular file inside the repository.")
        }
        let inside = resolved.dropFirst(boundary == "/" ? 1 : boundary.count + 1)
        if let top = inside.split(separator: "/").first, top == ".git" || top == ".mlgate" {
            throw refusal(purpose, "this file resolves to \(resolved), inside \(top)/, which holds git's and mlgate's own files (credentials among them); mlgate did not open it. Replace the link with a regular file.")
        }
        let fd = open(resolved, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw refusal(purpose, "this file cannot be opened (\(systemReason())); check its permissions.") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refusal(purpose, "this file cannot be read (\(systemReason())).") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw refusal(purpose, "this is \(kind(of: info.st_mode)), not a regular file; \(purpose.fix).")
        }
        guard Int(info.st_size) <= limit else {
            throw refusal(purpose, "this file is \(info.st_size) bytes; mlgate reads at most \(limit) and read none of it. Make it smaller.")
        }
        guard let bytes = readPrefix(fd, limit: limit) else {
            throw refusal(purpose, "this file could not be read (\(systemReason())).")
        }
        guard bytes.count <= limit else {
            throw refusal(purpose, "this file grew past \(limit) bytes while it was read; mlgate reads at most \(limit). Make it smaller.")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw refusal(purpose, "this file is not valid UTF-8; save it as UTF-8 text.")
        }
        return text
    }

    /// The folder holding `path` (`.` for a bare name): the boundary for a file that lives at a repository's root.
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// At most `limit + 1` bytes from `fd` (one more than allowed, to tell a file that grew), or nil on an error.
    private static func readPrefix(_ fd: Int32, limit: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= limit {
            let wanted = min(buffer.count, limit + 1 - bytes.count)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, wanted) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }

    /// The canonical absolute path of `path` (every link followed), or nil when it cannot be resolved.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What a symbolic link points at, as written in it.
    private static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A file type in words, for the refusal of anything that is not a regular file.
    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a folder"
        case S_IFIFO: "a named pipe"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }

    private static func systemReason() -> String { String(cString: strerror(errno)) }

    private static func refusal(_ purpose: Purpose, _ message: String) -> ConfigError {
        ConfigError(file: purpose.display, message: message)
    }
}
