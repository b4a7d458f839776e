import MLGateCore

/// A malformed request caught by mlgate itself (not by the argument parser): exit 2.
struct UsageError: MLGateError {
    let description: String
    var category: FailureCategory { .invalidInput }

    init(_ description: String) { self.description = description }
}

/// A failure outside mlgate's control that is not git's or the store's: exit 3.
struct EnvironmentError: MLGateError {
    let description: String
    var category: FailureCategory { .environment }

    init(_ description: String) { self.description = description }
}
