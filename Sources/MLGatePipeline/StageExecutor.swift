import MLGateWorkspace
import Dispatch
import Foundation

/// Where a stage's command runs: the seam between deciding what to run and running it.
///
/// The runner hands an executor each stage's argument vector, working directory and environment, and
/// gets back its output line by line and its exit status; everything else (memos, caching, records) stays
/// in the runner. `LocalExecutor` is the only one today. A CI-runner executor would hand the stage to the
/// CI system's own runners through the `mlgate ci` step; a Kubernetes executor would start one Job per
/// stage with the checkout and the object store mounted. Both stream the log back and report the exit
/// status, so the runner, the run records and the run cache stay the same (docs/pipelines.md#executors).
package protocol StageExecutor {
    /// Runs `argv` in `directory` with `environment`, calling `output` with each line it prints; returns its
    /// exit status (128 + N for a signal). An `interruption` stops it.
    func execute(argv: [String], directory: String, environment: [String: String], interruption: Interruption,
                 output: (String) -> Void) throws -> Int32
}

/// Runs stages as child processes of mlgate, each in its own process group.
package struct LocalExecutor: StageExecutor {
    /// How long a stopped command gets between SIGTERM and SIGKILL.
    static let graceSeconds = 5

    /// An executor that runs commands on this machine.
    package init() {}

    package func execute(argv: [String], directory: String, environment: [String: String], interruption: Interruption,
                 output: (String) -> Void) throws -> Int32 {
        let child = try ChildProcess(argv: argv, directory: directory, environment: environment.map { "\($0.key)=\($0.value)" }.sorted())
        interruption.onInterrupt { [pid = child.pid] in
            kill(-pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Self.graceSeconds)) { kill(-pid, SIGKILL) }
        }
        defer { interruption.onInterrupt(nil) }
        child.readLines(output)
        return child.wait()
    }
}
