import Foundation
package import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
package import MLGateStore

/// Brings the store up to date with the repository and answers lineage questions.
///
/// Reconciling drains the hooks' journal (reading each commit's facts from git) and then walks from
/// HEAD, the local branches and the parents of what the hooks recorded back to commits already known,
/// recording what the hooks missed as `sync`. Every command that reads lineage reconciles first.
package struct LineageService {
    let repository: GitRepository
    let store: Store
    let journal: LineageJournal
    let projects: [ProjectSpec]

    /// What one reconciliation recorded.
    package struct Summary: Encodable, Equatable {

        /// Commits recorded from hook journal entries.
        package var fromHooks = 0
        /// Commits found by walking history.
        package var backfilled = 0
        /// `old → new` rewrites recorded.
        package var rewrites = 0
        /// Journal lines that could not be read and were dropped.
        package var unreadableJournalLines = 0
        /// Whether the repository is a shallow clone (the walk stops at its boundary).
        package var shallow = false

        /// A summary (nothing recorded, by default).
        package init(fromHooks: Int = 0, backfilled: Int = 0, rewrites: Int = 0, unreadableJournalLines: Int = 0, shallow: Bool = false) {
            self.fromHooks = fromHooks
            self.backfilled = backfilled
            self.rewrites = rewrites
            self.unreadableJournalLines = unreadableJournalLines
            self.shallow = shallow
        }
    }

    /// Drains the journal and backfills from the refs, in one transaction. Everything new is stored
    /// parents first, so generations (the same-second tie-break) are right.
    @discardableResult
    package func reconcile(now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> Summary {
        try journal.drain { lines in
            let contents = Self.decode(lines)
            return try store.write { transaction in
                var summary = Summary(unreadableJournalLines: contents.unreadableLines, shallow: repository.isShallow)
                var fromHooks: [CommitID: LineageCommit] = [:]
                var order: [CommitID] = []
                for entry in contents.entries {
                    for rewrite in entry.rewrites {
                        try transaction.record(rewrite, at: entry.at)
                        summary.rewrites += 1
                    }
                    for id in entry.commits {
                        if let seen = fromHooks[id] {
                            // post-commit fires before post-rewrite for an amend: keep the more specific event.
                            if seen.event == .commit, !entry.rewrites.isEmpty { fromHooks[id]?.event = entry.event }
                            continue
                        }
                        if try transaction.isRecorded(id) {
                            if !entry.rewrites.isEmpty { try transaction.markRewritten(id, event: entry.event) }
                            continue
                        }
                        guard let facts = try repository.commitFacts(id, projects: projects) else { continue }
                        fromHooks[id] = LineageCommit(facts: facts, branch: entry.branch, source: .hook, event: entry.event, recordedAt: entry.at)
                        order.append(id)
                    }
                }
                let hookCommits = order.compactMap { fromHooks[$0] }
                let starts = hookCommits.flatMap { commit in
                    commit.facts.parents.map { LineageWalk.Start(commit: $0, branch: commit.branch) }
                } + (try refStarts())
                let found = try LineageWalk.unrecorded(
                    from: starts,
                    isRecorded: { try fromHooks[$0] != nil || transaction.isRecorded($0) },
                    facts: { try repository.commitFacts($0, projects: projects) }
                )
                let backfilled = found.map {
                    LineageCommit(facts: $0.facts, branch: $0.branch, source: .sync, event: .sync, recordedAt: now)
                }
                for commit in LineageWalk.parentsFirst(hookCommits + backfilled) {
                    try transaction.record(commit)
                }
                summary.fromHooks = hookCommits.count
                summary.backfilled = backfilled.count
                return summary
            }
        }
    }

    /// Journal lines as entries; a line that is not one (a torn write) is counted and dropped.
    static func decode(_ lines: [String]) -> (entries: [JournalEntry], unreadableLines: Int) {
        let decoder = JSONDecoder()
        let entries = lines.compactMap { try? decoder.decode(JournalEntry.self, from: Data($0.utf8)) }
        return (entries, lines.count - entries.count)
    }

    /// HEAD first (so the checked-out branch wins attribution), then every local branch by name.
    private func refStarts() throws -> [LineageWalk.Start] {
        var starts: [LineageWalk.Start] = []
        let head = try repository.head()
        if let commit = head.commit { starts.append(.init(commit: commit, branch: head.branchName)) }
        starts += try repository.localBranches().map { .init(commit: $0.commit, branch: $0.name) }
        return starts
    }

    /// Recorded commits for `query`, each with the rewrites it took part in.
    package func list(_ query: LineageQuery) throws -> [LineageEntry] {
        try store.read { reader in
            let commits = try reader.commits(query)
            let rewrites = try reader.rewrites(involving: commits.map(\.facts.id))
            return commits.map { LineageEntry(commit: $0, rewrites: rewrites) }
        }
    }

    /// The recorded commit that `revision` names: a revision git can resolve, or a recorded id prefix
    /// (so rewritten commits that git no longer has can still be shown).
    package func show(_ revision: String) throws -> LineageEntry {
        let resolved = try? repository.resolve(revision)
        return try store.read { reader in
            var commit = try resolved.flatMap { try reader.commit($0) }
            if commit == nil, revision.count >= 4, revision.allSatisfy(\.isHexDigit) {
                let matches = try reader.commits(withPrefix: revision.lowercased())
                guard matches.count < 2 else {
                    throw UsageError("'\(revision)' matches more than one recorded commit; give more characters.")
                }
                commit = matches.first
            }
            guard let commit else {
                if let resolved {
                    throw UsageError("commit \(resolved.short) ('\(revision)') is not recorded yet; run 'mlgate lineage sync'.")
                }
                throw UsageError("'\(revision)' names no commit in this repository or in mlgate's lineage.")
            }
            return LineageEntry(commit: commit, rewrites: try reader.rewrites(involving: [commit.facts.id]))
        }
    }
}

/// A recorded commit with the rewrites that replaced it or that it replaced.
package struct LineageEntry: Equatable {
    package let commit: LineageCommit
    /// Rewrites whose new commit is this one.
    package let rewrittenFrom: [Rewrite]
    /// Rewrites whose old commit is this one.
    package let rewrittenTo: [Rewrite]

    init(commit: LineageCommit, rewrites: [Rewrite]) {
        self.commit = commit
        rewrittenFrom = rewrites.filter { $0.new == commit.facts.id }
        rewrittenTo = rewrites.filter { $0.old == commit.facts.id }
    }
}

extension RepositoryContext {
    /// The lineage service over this repository, its store and its journal.
    package func lineage() throws -> LineageService {
        LineageService(
            repository: repository,
            store: try openStore(),
            journal: LineageJournal(path: layout.journal),
            projects: try configuration().projects
        )
    }
}
