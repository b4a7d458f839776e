/// One line of the lineage journal: what a hook saw at the moment git ran it.
///
/// Hooks append these cheaply and never touch the store; every command that reads lineage first drains
/// the journal into the store, reading each commit's facts from the repository (they never change).
public struct JournalEntry: Codable, Hashable, Sendable {
    /// The git operation.
    public var event: LineageEvent
    /// Commits the operation produced: HEAD after a commit or merge, the new ids after a rewrite.
    public var commits: [CommitID]
    /// The `old → new` pairs of a rewrite; empty otherwise.
    public var rewrites: [Rewrite]
    /// The branch checked out, or nil for a detached HEAD.
    public var branch: String?
    /// When the hook ran, in seconds since 1970-01-01 UTC.
    public var at: Int64

    /// Creates a journal entry.
    public init(event: LineageEvent, commits: [CommitID], rewrites: [Rewrite] = [], branch: String?, at: Int64) {
        self.event = event
        self.commits = commits
        self.rewrites = rewrites
        self.branch = branch
        self.at = at
    }
}

/// The hooks mlgate knows how to run; the raw value is git's hook name.
public enum HookEvent: String, Sendable, CaseIterable, Codable {
    case postCommit = "post-commit"
    case postMerge = "post-merge"
    case postRewrite = "post-rewrite"

    /// The hooks `mlgate hooks install` writes by default.
    public static let defaultSet: [HookEvent] = [.postCommit, .postMerge, .postRewrite]

    /// Whether git feeds this hook data on standard input, which a chained hook must also receive.
    public var readsStandardInput: Bool { self == .postRewrite }
}
