import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateWorkspace

/// `mlgate run`: the pipeline in `mlgate.yaml`, re-running only what changed.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the pipeline's stages whose inputs changed.",
        discussion: """
            Stages run in dependency order (a stage that reads another's output runs after it). A stage whose \
            command, dependencies, parameters and environment file are what mlgate.lock records, and whose \
            outputs are intact, is skipped. When an earlier run (on any commit) had exactly these inputs, its \
            outputs are restored from the object store instead of running the command. Otherwise the command \
            runs; its output is shown live, tagged with the stage, and kept in the run's log.

            Each run that does anything is recorded ('mlgate runs') with its commit, uncommitted changes, \
            parameters, metrics and environment; mlgate.lock is updated after each stage (commit it). \
            Ctrl-C stops the running command and records the run as cancelled. Exit codes: 0 success, \
            1 a stage failed, 2 a bad config or missing input (nothing ran), 3 environment, 130 cancelled.
            """
    )

    @Argument(help: "Stages to run, with the stages they depend on (default: all).")
    var stages: [String] = []

    @Flag(help: "Run the stages even when nothing changed, without the run cache.")
    var force = false

    @Flag(help: "Only print what would run and why; change nothing.")
    var dryRun = false

    @Flag(help: "Run the named stages and every stage that depends on them, instead of what they depend on.")
    var downstream = false

    @Flag(help: "Fail at once when another run holds this worktree, instead of waiting for it.")
    var noWait = false

    @Flag(help: "Print the run's summary as JSON (shape in docs/json.md) on standard output.")
    var json = false

    func validate() throws {
        if downstream, stages.isEmpty { throw ValidationError("--downstream needs at least one stage name.") }
    }

    func run() throws {
        try Self.run(RunOptions(targets: stages, force: force, dryRun: dryRun, downstream: downstream, wait: !noWait), json: json)
    }

    /// Runs the pipeline of the current worktree with `options` and prints the summary (as JSON with `json`); the
    /// start-up fast path calls it without building the command's argument-parser properties.
    static func run(_ options: RunOptions, json: Bool) throws {
        let workspace = try Workspace.current()
        let pipeline = try workspace.pipeline()
        let interruption = Interruption()
        let runner = PipelineRunner(workspace: workspace, store: try workspace.openStore(), interruption: interruption)
        var options = options
        if ContinuousIntegration.isActive { options.trigger = "ci" }
        let summary = try runner.run(pipeline, options: options)
        if json { try Output.json(summary) }
        switch summary.status {
        case .succeeded: return
        case .cancelled: throw ExitCode(130)
        default: throw RunFailure(summary: summary)
        }
    }
}
