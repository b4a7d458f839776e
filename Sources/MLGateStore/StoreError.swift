public import MLGateCore
import MLGateSystem

/// A failure of mlgate's local state under `.mlgate/`.
public enum StoreError: MLGateError, Equatable {
    /// The store was written by a newer mlgate (it has migrations this binary does not know).
    case newerSchema(path: String, unknownMigrations: [String])
    /// SQLite failed; `message` is SQLite's text.
    case database(path: String, message: String)

    public var category: FailureCategory { .environment }

    public var description: String {
        switch self {
        case .newerSchema(let path, let unknown):
            "\(path) was written by a newer mlgate (it has migrations \(unknown.joined(separator: ", ")) that this version does not know).\nUpgrade mlgate; this version will not touch the store."
        case .database(let path, let message):
            "the mlgate store \(path) failed: \(message)"
        }
    }
}
