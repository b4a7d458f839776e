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

    /// Orders commits so that every commit comes after those of its parents that are in the list
    /// (Kahn's algorithm; ties keep the input order). Storing in this order lets each commit's
    /// generation be computed from its parents.
    public static func parentsFirst(_ commits: [LineageCommit]) -> [LineageCommit] {
        let position = Dictionary(commits.enumerated().map { ($1.facts.id, $0) }, uniquingKeysWith: { first, _ in first })
        var waitingOn = [Int](repeating: 0, count: commits.count)
        var children = [[Int]](repeating: [], count: commits.count)
        for (index, commit) in commits.enumerated() {
            for parent in Set(commit.facts.parents) {
                guard let parentIndex = position[parent], parentIndex != index else { continue }
                waitingOn[index] += 1
                children[parentIndex].append(index)
            }
        }
        var ready = (0..<commits.count).filter { waitingOn[$0] == 0 }
        var ordered: [LineageCommit] = []
        ordered.reserveCapacity(commits.count)
        var next = 0
        while next < ready.count {
            let index = ready[next]
            next += 1
            ordered.append(commits[index])
            for child in children[index] {
                waitingOn[child] -= 1
                if waitingOn[child] == 0 { ready.append(child) }
            }
        }
        return ordered
    }
}
