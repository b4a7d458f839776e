public import MLGateCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads where HEAD points straight from the files git writes (`HEAD`, loose refs, `packed-refs`),
/// without starting libgit2.
///
/// `git_libgit2_init` costs ≈ 3–12 ms (Debian's mbedTLS build parses the whole CA bundle), which
/// would dominate a post-commit hook. A hook runs right after git wrote HEAD and the branch's loose
/// ref, so these two small files answer it. Anything unusual — reftable, an unreadable file, a symbolic
/// ref that is not a branch — returns nil, and the caller opens the repository with libgit2 instead.
public struct HeadFiles: Sendable {
    /// This worktree's git directory (`.git`, or `.git/worktrees/<name>`).
    public let gitDirectory: String
    /// The directory shared by all worktrees.
    public let commonDirectory: String

    /// Locates the git directory the way a hook sees it: `$GIT_DIR` (set in linked worktrees), else
    /// `.git` in `workingDirectory` (git runs hooks at the worktree root), following a `gitdir:` file.
    public init?(environment gitDir: String?, workingDirectory: String) {
        var directory: String
        if let gitDir, !gitDir.isEmpty {
            directory = gitDir.hasPrefix("/") ? gitDir : workingDirectory + "/" + gitDir
        } else {
            directory = workingDirectory + "/.git"
            if !Self.isDirectory(directory) {
                guard let link = Self.readSmallFile(directory), link.hasPrefix("gitdir: ") else { return nil }
                let target = String(link.dropFirst(8)).trimmingTrailingNewlines
                directory = target.hasPrefix("/") ? target : workingDirectory + "/" + target
            }
        }
        gitDirectory = directory
        if let common = Self.readSmallFile(directory + "/commondir")?.trimmingTrailingNewlines {
            commonDirectory = common.hasPrefix("/") ? common : directory + "/" + common
        } else {
            commonDirectory = directory
        }
    }

    /// Whether a rebase is replaying commits in this worktree (its post-commit calls are then skipped).
    public var rebaseInProgress: Bool {
        Self.isDirectory(gitDirectory + "/rebase-merge") || Self.isDirectory(gitDirectory + "/rebase-apply")
    }

    /// The branch a rebase in progress is rewriting, from `rebase-merge/head-name` (or `rebase-apply`).
    public var rebasedBranch: String? {
        for folder in ["rebase-merge", "rebase-apply"] {
            if let name = Self.readSmallFile("\(gitDirectory)/\(folder)/head-name")?.trimmingTrailingNewlines,
               name.hasPrefix("refs/heads/") {
                return String(name.dropFirst(11))
            }
        }
        return nil
    }

    /// The main worktree's root when it is the parent of a `.git` common directory; nil otherwise.
    public var mainWorktreeRoot: String? {
        let common = Self.normalized(commonDirectory)
        return common.hasSuffix("/.git") ? String(common.dropLast(5)) : nil
    }

    /// HEAD, or nil when the files cannot answer (ask libgit2).
    public func head() -> Head? {
        if Self.isDirectory(commonDirectory + "/reftable") { return nil }
        guard let text = Self.readSmallFile(gitDirectory + "/HEAD")?.trimmingTrailingNewlines else { return nil }
        guard text.hasPrefix("ref: ") else { return CommitID(hex: text).map(Head.detached) }
        let reference = String(text.dropFirst(5))
        guard reference.hasPrefix("refs/heads/") else { return nil }
        let branch = String(reference.dropFirst(11))
        if let loose = Self.readSmallFile(commonDirectory + "/" + reference)?.trimmingTrailingNewlines {
            return CommitID(hex: loose).map { .branch(name: branch, commit: $0) }
        }
        guard let packed = Self.readSmallFile(commonDirectory + "/packed-refs", limit: 1 << 24) else {
            return .unborn(branch: branch)
        }
        for line in packed.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.count == 2, fields[1] == reference { return CommitID(hex: String(fields[0])).map { .branch(name: branch, commit: $0) } }
        }
        return .unborn(branch: branch)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A whole file as UTF-8, or nil when it is missing, unreadable or larger than `limit`.
    static func readSmallFile(_ path: String, limit: Int = 1 << 16) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += buffer[0..<count]
        }
        return nil
    }

    /// `path` with `.` and `..` components resolved lexically.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == "..", !parts.isEmpty { parts.removeLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}

private extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while let last = text.last, last == "\n" || last == "\r" || last == " " { text.removeLast() }
        return text
    }
}
