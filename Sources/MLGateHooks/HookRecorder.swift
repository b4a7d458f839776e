public import MLGateCore
public import MLGateSystem
#if canImport(Glibc)
import Glibc
#endif

/// The work of the lineage hooks (post-commit, post-merge, post-rewrite), on the hot path: HEAD from
/// git's own files, one journal line, no Foundation, no libgit2, no SQLite.
public struct HookRecorder {
    /// How a hook run ended.
    public enum Outcome: Equatable, Sendable {
        /// A journal line was written.
        case recorded
        /// Nothing to record: hooks switched off, a rebase replaying commits, an unborn branch, no rewrites.
        case skipped
        /// git's files could not answer (reftable, an unusual layout): open the repository with libgit2.
        case needsRepository
        /// Recording failed; the message was logged, or printed when the log itself failed.
        case failed(String)
    }

    /// The hook.
    public let event: HookEvent
    /// The arguments git passed it (`amend` or `rebase` for post-rewrite).
    public let arguments: [String]
    /// What git wrote on standard input (post-rewrite's `old new` pairs).
    public let input: String

    /// Creates a recorder; `input` is read from standard input when the hook takes some.
    public init(event: HookEvent, arguments: [String], input: String? = nil) {
        self.event = event
        self.arguments = arguments
        self.input = input ?? (event.readsStandardInput ? Files.readAll(0).map { String(decoding: $0, as: UTF8.self) } ?? "" : "")
    }

    /// Whether `MLGATE_HOOKS=0` switched the hooks off for this command.
    public static var switchedOff: Bool { ProcessEnvironment.value("MLGATE_HOOKS") == "0" }

    /// Records from git's files alone.
    public func run() -> Outcome {
        if Self.switchedOff { return .skipped }
        // pre-push reads the pushed commits and the pipeline with libgit2: always the full binary's work.
        if event == .prePush { return .needsRepository }
        guard let files = HeadFiles(environment: ProcessEnvironment.value("GIT_DIR"), workingDirectory: Files.currentDirectory())
        else { return .needsRepository }
        // Each commit a rebase replays fires post-commit; post-rewrite records them all at the end.
        if event == .postCommit, files.rebaseInProgress { return .skipped }
        guard let root = files.mainWorktreeRoot, let head = files.head() else { return .needsRepository }
        return record(head: head, layout: StoreLayout(repositoryRoot: root), rebasedBranch: files.rebasedBranch)
    }

    /// Appends the entry for `head` to the journal in `layout`, logging a failure.
    public func record(head: Head, layout: StoreLayout, rebasedBranch: String?) -> Outcome {
        guard let entry = entry(head: head, rebasedBranch: rebasedBranch) else { return .skipped }
        do {
            try layout.create()
            try LineageJournal(path: layout.journal).append(entry)
            return .recorded
        } catch {
            return Self.failure("\(event.rawValue): \(error)", layout: layout)
        }
    }

    /// Logs `message` to `.mlgate/log`, or prints one line to stderr when the log cannot be written.
    public static func failure(_ message: String, layout: StoreLayout?) -> Outcome {
        if layout.map({ HookLog(path: $0.log).append(message) }) != true {
            let line = "mlgate: \(message) (lineage not recorded; 'mlgate lineage sync' will backfill it)\n"
            _ = Files.writeAll(2, Array(line.utf8))
        }
        return .failed(message)
    }

    /// The journal entry this hook run stands for, or nil when there is nothing to record.
    public func entry(head: Head, rebasedBranch: String?) -> JournalEntry? {
        let now = Int64(time(nil))
        switch event {
        case .postCommit, .postMerge:
            guard let commit = head.commit else { return nil }
            return JournalEntry(event: event == .postCommit ? .commit : .merge, commits: [commit], branch: head.branchName, at: now)
        case .postRewrite:
            let kind: RewriteKind = arguments.first == "rebase" ? .rebase : .amend
            let rewrites = Rewrite.parse(postRewriteInput: input, kind: kind)
            guard !rewrites.isEmpty else { return nil }
            var seen = Set<CommitID>()
            let commits = rewrites.map(\.new).filter { seen.insert($0).inserted }
            return JournalEntry(event: kind == .rebase ? .rebase : .amend, commits: commits, rewrites: rewrites,
                                branch: head.branchName ?? rebasedBranch, at: now)
        case .prePush:
            return nil
        }
    }
}
