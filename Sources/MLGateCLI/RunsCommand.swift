import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateStore

/// `mlgate runs`: the recorded runs of the pipeline.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, show and compare recorded pipeline runs.",
        discussion: """
            Every 'mlgate run' that ran or restored a stage is recorded with its commit and branch, whether the \
            worktree had uncommitted changes (the diff is kept), each stage's dependency and output hashes, \
            parameters and metrics, the environment it ran in, and its log. JSON exports carry MLflow's git \
            tags (mlflow.source.git.commit, .branch, .repoURL, .dirty).
            """,
        subcommands: [List.self, Show.self, Diff.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List runs, newest first (the default of 'mlgate runs').")

        @Option(help: "Show at most this many runs.")
        var limit: Int = 20

        @Option(help: "Only runs of this commit (a full id).")
        var commit: String?

        @Flag(help: "Print JSON (shape in docs/json.md) instead of a table.")
        var json = false

        func run() throws {
            let store = try Workspace.current().openStore()
            let runs = try store.runs(limit: limit, commit: commit)
            if json { return try Output.json(["runs": runs.map(RunJSON.init)]) }
            guard !runs.isEmpty else { return print("No runs recorded yet. Declare stages in mlgate.yaml and run 'mlgate run'.") }
            var rows = [["RUN", "STATUS", "COMMIT", "BRANCH", "STARTED", "TIME", "STAGES", "METRICS"]]
            var carried = false
            for run in runs {
                let stages = run.stages.filter { $0.outcome != .skipped }.map { "\($0.stage):\($0.outcome.rawValue)" }.joined(separator: " ")
                let shown = run.metricDetails.sorted { $0.key < $1.key }.prefix(3)
                carried = carried || shown.contains { $0.value.source?.isCarried == true }
                let metrics = shown.map { "\($0.key)=\(RunsCommand.number($0.value.value))\(RunsCommand.marker($0.value.source))" }.joined(separator: " ")
                rows.append([String(run.number), run.status.rawValue, (run.source.commit.map { String($0.prefix(10)) } ?? "-") + (run.source.dirty ? "+" : ""),
                             run.source.branch ?? "-", RunsCommand.date(run.startedAt), run.durationMilliseconds.map(RunsCommand.duration) ?? "-",
                             stages.isEmpty ? "-" : stages, metrics.isEmpty ? "-" : metrics])
            }
            Output.table(rows)
            if carried { print(RunsCommand.carriedFootnote) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run: source, environment, stages, parameters, metrics.")

        @Argument(help: "The run number (from 'mlgate runs').")
        var number: Int

        @Flag(help: "Print the run's log instead.")
        var log = false

        @Flag(help: "Print the uncommitted changes the run was made with (a patch) instead.")
        var diff = false

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let workspace = try Workspace.current()
            let run = number
            let record = try RunsCommand.load(run, from: try workspace.openStore())
            if log || diff {
                guard let object = log ? record.logObject : record.source.diffObject else {
                    return print(log ? "Run \(run) has no log (it is still running or ended abruptly: see .mlgate/logs/run-\(run).log)."
                                     : "Run \(run) was made from a clean worktree.")
                }
                FileHandle.standardOutput.write(Data(try workspace.objects.bytes(object, what: log ? "the run's log" : "the run's diff")))
                return
            }
            if json { return try Output.json(RunJSON(record)) }
            let source = record.source
            print("run \(record.number)  \(record.status.rawValue)\(record.message.map { ": \($0)" } ?? "")")
            let worktree = switch source.dirtyReason {
            case .changes: ", with uncommitted changes ('--diff' shows them)"
            case .lockOnly: "; only mlgate.lock differed from it (not dirty; commit the lock)"
            case nil: ""
            }
            print("commit      \(source.commit ?? "-")\(source.branch.map { " (\($0))" } ?? "")\(worktree)")
            print("started     \(RunsCommand.date(record.startedAt)) by \(record.trigger)\(record.job.map { " (job \($0))" } ?? ""), took \(record.durationMilliseconds.map(RunsCommand.duration) ?? "-")")
            let environment = record.environment
            print("environment \(environment.python ?? "no python3"); \(environment.packageCount.map { "\($0) packages (\(environment.packagesTool ?? ""))" } ?? "no package list")")
            print("machine     \(environment.os); \(environment.cpu); \(environment.host); mlgate \(environment.mlgate)")
            for stage in record.stages {
                print("\nstage \(stage.stage): \(stage.outcome.rawValue)\(stage.exitStatus.map { ", exit \($0)" } ?? "")\(stage.durationMilliseconds.map { ", " + RunsCommand.duration($0) } ?? "")\(stage.message.map { " — \($0)" } ?? "")")
                print("  cmd      \(stage.command)")
                for parameter in stage.parameters { print("  param    \(parameter.key) = \(parameter.json)") }
                for dependency in stage.dependencies { print("  dep      \(dependency.path)  \(dependency.hash.prefix(12))") }
                for output in stage.outputs { print("  out      \(output.path)  \(output.hash.prefix(12))\(output.cache ? "" : " (not cached)")") }
                for metric in stage.metrics {
                    let origin = metric.source.map { $0.isCarried ? ", from \($0.rawValue): the stage did not run" : "" } ?? ""
                    print("  metric   \(metric.name) = \(RunsCommand.number(metric.value))  (\(metric.file)\(origin))")
                }
                if let finding = stage.environment {
                    print("  env      \(finding.file) \(finding.hash.prefix(12))\(finding.mismatches.isEmpty ? "" : "; mismatches: " + finding.mismatches.joined(separator: "; "))")
                }
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "diff", abstract: "Compare two runs: parameters, metrics, dependencies and outputs that differ.")

        @Argument(help: "The earlier run.")
        var old: Int

        @Argument(help: "The later run.")
        var new: Int

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let store = try Workspace.current().openStore()
            let a = try RunsCommand.load(old, from: store), b = try RunsCommand.load(new, from: store)
            let difference = RunDifference(a, b)
            if json { return try Output.json(difference) }
            print("run \(a.number) (\(a.source.commit.map { String($0.prefix(10)) } ?? "-")) → run \(b.number) (\(b.source.commit.map { String($0.prefix(10)) } ?? "-"))")
            guard !difference.isEmpty else { return print("No differences in parameters, metrics, dependencies or outputs.") }
            var rows = [["KIND", "NAME", "OLD", "NEW", "CHANGE"]]
            for item in difference.params { rows.append(["param", item.name, item.old ?? "-", item.new ?? "-", ""]) }
            for item in difference.metrics {
                rows.append(["metric", item.name, item.old.map { RunsCommand.number($0) + RunsCommand.marker(item.oldSource) } ?? "-",
                             item.new.map { RunsCommand.number($0) + RunsCommand.marker(item.newSource) } ?? "-",
                             item.change.map { ($0 >= 0 ? "+" : "") + RunsCommand.number($0) } ?? ""])
            }
            for item in difference.deps { rows.append(["dep", item.name, item.old.map { String($0.prefix(12)) } ?? "-", item.new.map { String($0.prefix(12)) } ?? "-", ""]) }
            for item in difference.outs { rows.append(["out", item.name, item.old.map { String($0.prefix(12)) } ?? "-", item.new.map { String($0.prefix(12)) } ?? "-", ""]) }
            Output.table(rows)
            if difference.metrics.contains(where: { $0.oldSource?.isCarried == true || $0.newSource?.isCarried == true }) {
                print(RunsCommand.carriedFootnote)
            }
        }
    }

    static func load(_ number: Int, from store: Store) throws -> RunRecord {
        guard let record = try store.run(number) else { throw UsageError("there is no run \(number); 'mlgate runs' lists them.") }
        return record
    }

    static func date(_ milliseconds: Int64) -> String {
        String(Output.timestamp(milliseconds / 1000).prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    static func duration(_ milliseconds: Int64) -> String {
        milliseconds < 60_000 ? String(format: "%.1f s", Double(milliseconds) / 1000) : "\(milliseconds / 60_000) min \(milliseconds / 1000 % 60) s"
    }

    /// The table's mark on a metric a stage did not produce in this run (carried from mlgate.lock or the run cache).
    static func marker(_ source: MetricSource?) -> String { source?.isCarried == true ? "*" : "" }

    /// The line under a table that shows carried metrics.
    static let carriedFootnote = "* carried over: the stage did not run; the value is in the metrics file that mlgate.lock or the run cache holds."

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.6g", value)
    }
}
