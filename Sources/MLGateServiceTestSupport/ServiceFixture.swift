package import Foundation
package import MLGateStore
package import MLGateSystem
package import MLGateTestSupport
package import MLGateWorkspace
import Synchronization

/// A reporter that keeps every line, so a test can read what a service said.
package final class RecordingReporter: Reporter {
    private let lines = Mutex<[String]>([])

    /// A reporter with nothing recorded yet.
    package init() {}

    package func progress(_ line: String) { lines.withLock { $0.append(line) } }
    package func warning(_ line: String) { lines.withLock { $0.append("warning: " + line) } }
    package func output(_ line: String) { lines.withLock { $0.append("output: " + line) } }

    /// Everything reported so far, in order; warnings start with `warning: `, results with `output: `.
    package var recorded: [String] { lines.withLock { $0 } }
}

/// A real git repository with an `mlgate.yaml`, the workspace of the services over it and its SQLite store:
/// what a service module's tests run against, in process.
package struct ServiceFixture {
    /// The repository, driven through the git CLI.
    package let git: GitFixture
    /// What the services report.
    package let reporter = RecordingReporter()

    /// A repository whose first commit holds `mlgate.yaml` with `configuration` and the given other files.
    package init(configuration: String, files: [String: String] = [:]) throws {
        git = try GitFixture()
        // Services run git with this process's environment: the repository names its own committer.
        try git.git(["config", "user.name", "Ada Lovelace"])
        try git.git(["config", "user.email", "ada@example.com"])
        try git.write("mlgate.yaml", configuration)
        for (path, text) in files { try git.write(path, text) }
        try git.git(["add", "-A"])
        try git.git(["commit", "-q", "-m", "start"])
    }

    /// The work tree.
    package var root: String { git.root }

    /// The services' workspace over the work tree.
    package var workspace: Workspace { Workspace(root: root, layout: StoreLayout(repositoryRoot: root), reporter: reporter) }

    /// The store under `.mlgate/`, created on first use.
    package func store() throws -> Store { try workspace.openStore() }

    /// Writes `text` at `path` in the work tree.
    package func write(_ path: String, _ text: String) throws { try git.write(path, text) }

    /// Removes the temporary folder.
    package func remove() { git.remove() }
}
