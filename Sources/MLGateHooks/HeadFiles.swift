public import MLGateCore
import MLGateSystem
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
/// (This module must not link libgit2: the `mlgate-hook` binary starts in about a millisecond.)
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
            if !Files.isDirectory(directory) {
                guard let link = Files.read(directory), link.hasPrefix("gitdir: ") else { return nil }
                let target = String(link.dropFirst(8)).trimmingTrailingNewlines
                directory = target.hasPrefix("/") ? target : workingDirectory + "/" + target
            }
        }
        gitDirectory = directory
        if let common = Files.read(directory + "/commondir")?.trimmingTrailingNewlines {
            commonDirectory = common.hasPrefix("/") ? common : directory + "/" + common
        } else {
            commonDirectory = directory
        }
    }

    /// Whether a rebase is replaying commits in this worktree (its post-commit calls are then skipped).
    public var rebaseInProgress: Bool {
        Files.isDirectory(gitDirectory + "/rebase-merge") || Files.isDirectory(gitDirectory + "/rebase-apply")
    }

    /// The branch a rebase in progress is rewriting, from `rebase-merge/head-name` (or `rebase-apply`).
    public var rebasedBranch: String? { Self.rebasedBranch(gitDirectory: gitDirectory) }

    /// The branch a rebase in progress in `gitDirectory` is rewriting, if any.
    public static func rebasedBranch(gitDirectory: String) -> String? {
        for folder in ["rebase-merge", "rebase-apply"] {
            if let name = Files.read("\(gitDirectory)/\(folder)/head-name")?.trimmingTrailingNewlines,
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
        if Files.isDirectory(commonDirectory + "/reftable") { return nil }
        guard let text = Files.read(gitDirectory + "/HEAD")?.trimmingTrailingNewlines else { return nil }
        guard text.hasPrefix("ref: ") else { return CommitID(hex: text).map(Head.detached) }
        let reference = String(text.dropFirst(5))
        guard reference.hasPrefix("refs/heads/") else { return nil }
        let branch = String(reference.dropFirst(11))
        if let loose = Files.read(commonDirectory + "/" + reference)?.trimmingTrailingNewlines {
            return CommitID(hex: loose).map { .branch(name: branch, commit: $0) }
        }
        guard let packed = Files.read(commonDirectory + "/packed-refs", limit: 1 << 24) else {
            return .unborn(branch: branch)
        }
        for line in packed.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.count == 2, fields[1] == reference { return CommitID(hex: String(fields[0])).map { .branch(name: branch, commit: $0) } }
        }
        return .unborn(branch: branch)
    }

    /// `path` with `.` and `..` components resolved lexically.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == "..", !parts.isEmpty { parts.removeLast() } else { parts.append(part) }
        }
        return "/" + parts.joinedPath()
    }
}

private extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while let last = text.last, last == "\n" || last == "\r" || last == " " { text.removeLast() }
        return text
    }
}
