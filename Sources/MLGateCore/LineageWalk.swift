/// Reconciliation: finds the commits the hooks missed by walking from starting points back to what
/// is already recorded.
public enum LineageWalk {
    /// A place to start walking, with the branch to attribute newly found commits to.
    public struct Start: Hashable, Sendable {
        /// The commit to start from.
        public var commit: CommitID
        /// The branch name to record for commits first reached from here, or nil.
        public var branch: String?

        /// Creates a starting point.
        public init(commit: CommitID, branch: String?) {
            self.commit = commit
            self.branch = branch
        }
    }

    /// Walks breadth-first from `starts`, stopping at recorded commits and at commits the repository
    /// does not hold (a shallow clone's boundary), and returns the unrecorded commits in the order found,
    /// each with the branch of the start that reached it first.
    ///
    /// - Parameters:
    ///   - isRecorded: whether the store already has a commit.
    ///   - facts: the commit's facts, or nil when the repository does not have the object.
    public static func unrecorded<E: Error>(
        from starts: [Start],
        isRecorded: (CommitID) throws(E) -> Bool,
        facts: (CommitID) throws(E) -> CommitFacts?
    ) throws(E) -> [(facts: CommitFacts, branch: String?)] {
        var found: [(facts: CommitFacts, branch: String?)] = []
        var seen = Set<CommitID>()
        var queue: [(CommitID, String?)] = starts.map { ($0.commit, $0.branch) }
        var next = 0
        while next < queue.count {
            let (id, branch) = queue[next]
            next += 1
            guard seen.insert(id).inserted else { continue }
            guard try !isRecorded(id), let commit = try facts(id) else { continue }
            found.append((commit, branch))
            if !commit.parentsMissing {
                queue.append(contentsOf: commit.parents.map { ($0, branch) })
            }
        }
        return found
    }
}
