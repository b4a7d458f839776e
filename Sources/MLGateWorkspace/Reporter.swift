import Foundation
import MLGateSystem

/// Where a service's progress and warnings go: the CLI prints them on standard error, a server logs them, a test
/// collects them. Services never print.
package protocol Reporter: Sendable {
    /// A line of progress (`evaluating the candidate…`, `registry: 3 versions from 4 tags on origin`).
    func progress(_ line: String)
    /// A warning: something went wrong or was left out, and the work goes on (the reporter marks it as one).
    func warning(_ line: String)
    /// A line of the command's result for standard output: a verdict's text, or a command to the CI system
    /// that reads the job's log (`::error title=…::…`, `##vso[…]`).
    func output(_ line: String)
    /// Whether progress lines may carry terminal styles (ANSI colours): a terminal that wants them.
    var styles: Bool { get }
}

extension Reporter {
    /// No styles unless the reporter says so.
    package var styles: Bool { false }
}

/// A reporter that keeps nothing, for callers that want none of it.
package struct SilentReporter: Reporter {
    /// Creates the reporter.
    package init() {}
    package func progress(_ line: String) {}
    package func warning(_ line: String) {}
    package func output(_ line: String) {}
}

/// Whether mlgate runs in CI (`CI` set to anything but empty, `false` or `0`).
package enum ContinuousIntegration {
    /// Whether the `CI` variable says so.
    package static var isActive: Bool {
        guard let value = ProcessEnvironment.value("CI") else { return false }
        return !["", "false", "0"].contains(value.lowercased())
    }
}
