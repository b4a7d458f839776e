public import MLGateCore
#if canImport(Glibc)
import Glibc
#endif

/// A path that would leave the repository through a symbolic link: mlgate refuses to read, write, restore or
/// delete through it (a fork's pull request brings its own links, while the base branch's commands run).
public struct PathEscapeError: MLGateError, Equatable {
    /// What the path is, for the message (`output 'linkdir/victim/' of stage 'train'`).
    public var what: String
    /// The part of the path that is a link, relative to the repository.
    public var link: String
    /// Where the link leads (or what it names, when it leads nowhere).
    public var target: String

    /// Creates the error.
    public init(what: String, link: String, target: String) {
        self.what = what
        self.link = link
        self.target = target
    }

    public var category: FailureCategory { .invalidInput }
    public var description: String {
        "\(what) goes through the symbolic link '\(link)' → \(target), which leads out of the repository (or into .git or .mlgate); mlgate never reads, writes or deletes there through a link. Replace '\(link)' with a real file or folder inside the repository, or declare a path that does not pass through it. Nothing was changed."
    }
}

/// Paths inside a repository, checked part by part (with `lstat`) so that no symbolic link on the way leads out
/// of it: the check mlgate makes before it hashes, deletes, writes or restores a declared path.
public enum ConfinedPath {
    /// `path` with every symbolic link resolved, or nil when some part of it does not exist.
    public static func realPath(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath(path, &buffer) != nil else { return nil }
        return String(cString: buffer)
    }

    /// Throws when a part of `relative` (a repository-relative path) that exists under `root` is a symbolic link
    /// leading outside `root`, or leading nowhere (a folder made through it would land wherever it names).
    public static func check(_ relative: String, under root: String, what: @autoclosure () -> String) throws(PathEscapeError) {
        guard let realRoot = realPath(root) else { return }
        var prefix = root
        var walked: [Substring] = []
        for component in relative.split(separator: "/") where component != "." {
            prefix += "/" + String(component)
            walked.append(component)
            var info = stat()
            guard lstat(prefix, &info) == 0 else { return }  // missing: nothing below it exists yet
            guard (info.st_mode & S_IFMT) == S_IFLNK else { continue }
            let link = walked.joinedPath()
            guard let resolved = realPath(prefix) else {
                throw PathEscapeError(what: what(), link: link, target: "'\(linkText(prefix))' (which does not exist)")
            }
            if !allows(resolved, root: realRoot) { throw PathEscapeError(what: what(), link: link, target: resolved) }
        }
    }

    /// Whether a link may lead to `resolved` from inside `root` (both resolved): somewhere in the repository but not
    /// in what belongs to git (`.git`, which may hold credentials and hooks) or to mlgate (`.mlgate`).
    public static func allows(_ resolved: String, root: String) -> Bool {
        isInside(resolved, root) && !isInside(resolved, root + "/.git") && !isInside(resolved, root + "/.mlgate")
    }

    /// Whether `path` (resolved) is `root` (resolved) or inside it.
    public static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// What a symbolic link holds.
    static func linkText(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    }
}
