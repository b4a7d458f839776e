import ArgumentParser
import Foundation
import MLGateCore
import MLGateGit
import MLGateStore

/// `mlgate hook <event>`: the work of one git hook, called by the scripts `mlgate hooks install` writes.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Do one git hook's work (the installed hook scripts call this; you rarely need to).",
        discussion: """
            post-commit, post-merge and post-rewrite append one line to the lineage journal in \
            .mlgate/ and exit 0 whatever happens: a failure goes to .mlgate/log, never in git's way. \
            During a rebase post-commit does nothing; post-rewrite records the result.
            """
    )

    @Argument(help: "The git hook: post-commit, post-merge or post-rewrite.")
    var event: String

    @Argument(parsing: .captureForPassthrough, help: "The arguments git passed to the hook.")
    var gitArguments: [String] = []

    func run() throws {
        guard let hook = HookEvent(rawValue: event) else {
            throw UsageError("unknown hook event '\(event)'; mlgate handles \(HookEvent.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        HookRunner(event: hook, arguments: gitArguments).run()
    }
}

/// Records one hook event in the journal. Never throws and never blocks git: errors go to `.mlgate/log`,
/// or as one line on stderr when even the log cannot be written.
struct HookRunner {
    let event: HookEvent
    let arguments: [String]

    func run() {
        let environment = ProcessInfo.processInfo.environment
        if environment["MLGATE_HOOKS"] == "0" { return }
        // Cheapest check first, before libgit2 starts: each commit a rebase replays fires post-commit;
        // post-rewrite records them all at the end.
        if event == .postCommit, let gitDirectory = Self.gitDirectory(environment), Self.rebaseInProgress(gitDirectory) { return }
        var layout: StoreLayout?
        do {
            let repository = try GitRepository.open(at: FileManager.default.currentDirectoryPath)
            layout = StoreLayout(repositoryRoot: try repository.mainWorktreeRoot())
            guard let entry = try journalEntry(repository), let layout else { return }
            try layout.create()
            try LineageJournal(path: layout.journal).append(entry)
        } catch {
            let message = "\(event.rawValue): \(error)"
            if layout.map({ HookLog(path: $0.log).append(message) }) != true {
                printError("mlgate: \(message) (lineage not recorded; 'mlgate lineage sync' will backfill it)")
            }
        }
    }

    private func journalEntry(_ repository: GitRepository) throws -> JournalEntry? {
        let head = try repository.head()
        let now = Int64(Date().timeIntervalSince1970)
        switch event {
        case .postCommit, .postMerge:
            guard let commit = head.commit else { return nil }
            return JournalEntry(event: event == .postCommit ? .commit : .merge, commits: [commit], branch: head.branchName, at: now)
        case .postRewrite:
            let kind: RewriteKind = arguments.first == "rebase" ? .rebase : .amend
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            let rewrites = Rewrite.parse(postRewriteInput: input, kind: kind)
            guard !rewrites.isEmpty else { return nil }
            var seen = Set<CommitID>()
            let commits = rewrites.map(\.new).filter { seen.insert($0).inserted }
            let branch = head.branchName ?? Self.rebasedBranch(repository.gitDirectory)
            return JournalEntry(event: kind == .rebase ? .rebase : .amend, commits: commits, rewrites: rewrites, branch: branch, at: now)
        }
    }

    /// This worktree's git directory without opening the repository: `GIT_DIR` (set in linked
    /// worktrees), else `.git` in the current directory (hooks run at the worktree root).
    static func gitDirectory(_ environment: [String: String]) -> String? {
        if let gitDir = environment["GIT_DIR"] { return gitDir }
        let dotGit = FileManager.default.currentDirectoryPath + "/.git"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return dotGit }
        guard let text = try? String(contentsOfFile: dotGit, encoding: .utf8), text.hasPrefix("gitdir: ") else { return nil }
        return text.dropFirst(8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func rebaseInProgress(_ gitDirectory: String) -> Bool {
        FileManager.default.fileExists(atPath: gitDirectory + "/rebase-merge")
            || FileManager.default.fileExists(atPath: gitDirectory + "/rebase-apply")
    }

    /// The branch a rebase is rewriting, when HEAD is still detached as `post-rewrite` runs.
    static func rebasedBranch(_ gitDirectory: String) -> String? {
        for folder in ["rebase-merge", "rebase-apply"] {
            if let name = try? String(contentsOfFile: "\(gitDirectory)/\(folder)/head-name", encoding: .utf8) {
                let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed.hasPrefix("refs/heads/") ? String(trimmed.dropFirst(11)) : nil
            }
        }
        return nil
    }
}
