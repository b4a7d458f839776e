/// What kind of "no" an error is; the CLI turns each into one exit code (DESIGN §4).
public enum FailureCategory: Sendable, Equatable {
    /// A verdict or policy said no: a gate failed, a transition is forbidden, damage was found. Exit 1.
    case refused
    /// The request itself is malformed: bad usage, config or input. Exit 2.
    case invalidInput
    /// The environment failed: git, the store, the network or a tool. Exit 3.
    case environment
}

/// An error mlgate reports to a person: a one-paragraph description that names the file, field or
/// command involved and what to do, plus the category that decides the exit code.
public protocol MLGateError: Error, CustomStringConvertible {
    /// Which exit code this error maps to.
    var category: FailureCategory { get }
}

/// A malformed request caught by mlgate itself (not by the argument parser): exit 2.
public struct UsageError: MLGateError {
    public let description: String
    public var category: FailureCategory { .invalidInput }

    /// Creates the error; `description` names the file, field or argument and what to do.
    public init(_ description: String) { self.description = description }
}

/// A failure outside mlgate's control that is not git's or the store's: exit 3.
public struct EnvironmentError: MLGateError {
    public let description: String
    public var category: FailureCategory { .environment }

    /// Creates the error; `description` says what failed and what to do.
    public init(_ description: String) { self.description = description }
}
