/// What HEAD points at.
public enum Head: Hashable, Sendable {
    /// HEAD is a branch with at least one commit.
    case branch(name: String, commit: CommitID)
    /// HEAD points straight at a commit.
    case detached(CommitID)
    /// HEAD is a branch with no commits yet.
    case unborn(branch: String)

    /// The commit HEAD resolves to, if any.
    public var commit: CommitID? {
        switch self {
        case .branch(_, let commit), .detached(let commit): commit
        case .unborn: nil
        }
    }

    /// The checked-out branch's short name, or nil when detached.
    public var branchName: String? {
        switch self {
        case .branch(let name, _), .unborn(let name): name
        case .detached: nil
        }
    }
}
