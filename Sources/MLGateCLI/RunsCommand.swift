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

/// A run as `--json` prints it: the record plus MLflow's git tags and flattened parameters and metrics.
struct RunJSON: Encodable {
    let record: RunRecord

    init(_ record: RunRecord) { self.record = record }

    enum Keys: String, CodingKey {
        case run, uuid, status, message, trigger, job, startedAt = "started_at", finishedAt = "finished_at", durationMs = "duration_ms"
        case source, tags, params, metrics, metricSources = "metric_sources", environment, stages, logObject = "log_object", targets
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(record.number, forKey: .run)
        try container.encode(record.uuid, forKey: .uuid)
        try container.encode(record.status, forKey: .status)
        try container.encode(record.message, forKey: .message)
        try container.encode(record.trigger, forKey: .trigger)
        try container.encode(record.job, forKey: .job)
        try container.encode(record.targets, forKey: .targets)
        try container.encode(Output.timestamp(record.startedAt / 1000), forKey: .startedAt)
        try container.encode(record.finishedAt.map { Output.timestamp($0 / 1000) }, forKey: .finishedAt)
        try container.encode(record.durationMilliseconds, forKey: .durationMs)
        try container.encode(record.source, forKey: .source)
        try container.encode(record.mlflowTags, forKey: .tags)
        var params: [String: String] = [:]
        for stage in record.stages { for parameter in stage.parameters { params[parameter.key] = parameter.json } }
        try container.encode(params, forKey: .params)
        try container.encode(record.metrics, forKey: .metrics)
        try container.encode(record.metricDetails.compactMapValues { $0.source?.rawValue }, forKey: .metricSources)
        try container.encode(record.environment, forKey: .environment)
        try container.encode(record.stages, forKey: .stages)
        try container.encode(record.logObject, forKey: .logObject)
    }
}

/// What differs between two runs.
struct RunDifference: Encodable {
    /// A named value in each run.
    struct Change<Value: Encodable & Equatable>: Encodable {
        let name: String
        let old: Value?
        let new: Value?

        enum CodingKeys: String, CodingKey { case name, old, new }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(old, forKey: .old)
            try container.encode(new, forKey: .new)
        }
    }
    /// A metric in each run, with new − old and where each value comes from.
    struct MetricChange: Encodable {
        let name: String
        let old: Double?
        let new: Double?
        let change: Double?
        let oldSource: MetricSource?
        let newSource: MetricSource?

        enum CodingKeys: String, CodingKey { case name, old, new, change, oldSource = "old_source", newSource = "new_source" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(old, forKey: .old)
            try container.encode(new, forKey: .new)
            try container.encode(change, forKey: .change)
            try container.encode(oldSource, forKey: .oldSource)
            try container.encode(newSource, forKey: .newSource)
        }
    }

    let old: Int
    let new: Int
    let params: [Change<String>]
    let metrics: [MetricChange]
    let deps: [Change<String>]
    let outs: [Change<String>]

    var isEmpty: Bool { params.isEmpty && metrics.isEmpty && deps.isEmpty && outs.isEmpty }

    init(_ a: RunRecord, _ b: RunRecord) {
        old = a.number
        new = b.number
        func changes(_ left: [String: String], _ right: [String: String]) -> [Change<String>] {
            Set(left.keys).union(right.keys).sorted().compactMap { key in
                left[key] == right[key] ? nil : Change(name: key, old: left[key], new: right[key])
            }
        }
        func flatten(_ run: RunRecord, _ pick: (StageRun) -> [(String, String)]) -> [String: String] {
            Dictionary(run.stages.flatMap(pick), uniquingKeysWith: { _, last in last })
        }
        params = changes(flatten(a) { $0.parameters.map { ($0.key, $0.json) } }, flatten(b) { $0.parameters.map { ($0.key, $0.json) } })
        deps = changes(flatten(a) { $0.dependencies.map { ($0.path, $0.hash) } }, flatten(b) { $0.dependencies.map { ($0.path, $0.hash) } })
        outs = changes(flatten(a) { $0.outputs.map { ($0.path, $0.hash) } }, flatten(b) { $0.outputs.map { ($0.path, $0.hash) } })
        let left = a.metricDetails, right = b.metricDetails
        metrics = Set(left.keys).union(right.keys).sorted().compactMap { key in
            let old = left[key]?.value, new = right[key]?.value
            guard old != new else { return nil }
            return MetricChange(name: key, old: old, new: new, change: old.flatMap { old in new.map { $0 - old } },
                                oldSource: left[key]?.source, newSource: right[key]?.source)
        }
    }
}
