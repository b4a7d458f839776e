import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateEvaluation
import MLGateWorkspace
import MLGateEval

/// `mlgate eval`: score one model — or a candidate against a baseline on the same rows — from a
/// predictions file, exactly as scikit-learn would, with paired tests and confidence intervals.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a model's predictions, or compare a candidate with a baseline on the same rows.",
        discussion: """
            Reads a predictions file (CSV, TSV, JSON Lines, .npy, or a directory of .npy columns) and \
            reports metrics equal to scikit-learn's. With a baseline (--baseline-score for a column of the \
            same file, --baseline for another file joined on --id) it also runs DeLong's test on the AUC \
            and McNemar's test on accuracy at the threshold (binary). --bootstrap adds paired Poisson \
            bootstrap intervals for every metric, --slice repeats the metrics per value of a column.

            The label and score columns are 'label' and 'score' unless named, as in a model's 'evaluate' \
            section. Without --metrics every metric of the task is shown (the ones a gate's criteria can use).

            Examples:
              mlgate eval --task binary --predictions preds.csv
              mlgate eval --task binary --predictions preds.csv --baseline-score old --bootstrap 1000
              mlgate eval --task multiclass --predictions preds.csv --score p0,p1,p2
            """
    )

    @Option(help: "binary, multiclass or regression.")
    var task: String

    @Option(help: "The predictions file (.csv, .tsv, .jsonl, .npy) or a directory of .npy files.")
    var predictions: String

    @Option(help: "The column of true labels (0/1, a class 0…K−1, or the regression target).")
    var label: String = "label"

    @Option(help: ArgumentHelp("The model's score column; for multiclass one per class, in class order: p0,p1,p2 (or repeat the option).",
                               valueName: "column"))
    var score: [String] = ["score"]

    @Option(help: "A column that identifies rows (needed to join --baseline).")
    var id: String?

    @Option(help: "A column of sample weights (0 or more).")
    var weight: String?

    @Option(name: .customLong("baseline-score"), help: ArgumentHelp("The baseline's score column (for multiclass, one per class: b0,b1,b2).",
                                                                     valueName: "column"))
    var baselineScore: [String] = []

    @Option(help: "A second predictions file with the baseline's scores, joined on --id.")
    var baseline: String?

    @Option(help: "Comma-separated metric names (scikit-learn's); see docs/metrics.md. Default: every metric of the task.")
    var metrics: String?

    @Option(help: "A row is predicted positive when its score is at least this (binary).")
    var threshold: Double = 0.5

    @Option(help: "Confidence level of intervals, between 0 and 1.")
    var ci: Double = 0.95

    @Option(help: "Paired Poisson bootstrap resamples for intervals (e.g. 1000); 0 for none.")
    var bootstrap: Int = 0

    @Option(help: "Seed of the bootstrap (the same seed gives the same intervals).")
    var seed: UInt64 = 0

    @Option(help: "Also report every metric per value of this column.")
    var slice: String?

    @Option(name: .customLong("min-slice-rows"), help: "Slices with fewer rows are listed as skipped.")
    var minSliceRows: Int = 30

    @Option(name: .customLong("pos-label"), help: "For text labels: the value that means positive (binary).")
    var posLabel: String?

    @Flag(help: "Include the ROC and precision–recall curve points (binary).")
    var curves = false

    @Flag(help: "Print JSON (shape in docs/json.md) instead of a table.")
    var json = false

    @Flag(help: "With --baseline FILE: refuse rows whose label differs between the two files (the same rows, as a gate requires).")
    var sameLabels = false

    func validate() throws {
        guard let task = EvalTask(rawValue: task) else {
            throw ValidationError("--task must be binary, multiclass or regression (got '\(task)').")
        }
        let score = scoreColumns, baselineScore = baselineScoreColumns
        guard !score.contains(where: \.isEmpty), !baselineScore.contains(where: \.isEmpty) else {
            throw ValidationError("a score column name is empty; give the columns as --score p0,p1,p2.")
        }
        switch task {
        case .multiclass:
            guard score.count >= 2 else {
                throw ValidationError("multiclass needs one --score per class (at least two), in class order: --score p0,p1,p2 (got \(score.joined(separator: ","))).")
            }
        case .binary, .regression:
            guard score.count == 1 else { throw ValidationError("\(task.rawValue) takes exactly one --score column (got \(score.joined(separator: ","))).") }
        }
        if !baselineScore.isEmpty, baselineScore.count != score.count {
            throw ValidationError("give as many --baseline-score columns as --score columns.")
        }
        if baseline != nil, id == nil { throw ValidationError("--baseline FILE needs --id COLUMN to match its rows.") }
        guard ci > 0, ci < 1 else { throw ValidationError("--ci must be between 0 and 1 (e.g. 0.95).") }
        guard bootstrap >= 0, bootstrap <= 100_000 else { throw ValidationError("--bootstrap must be between 0 and 100000.") }
        guard minSliceRows >= 1 else { throw ValidationError("--min-slice-rows must be 1 or more.") }
        guard threshold.isFinite else { throw ValidationError("--threshold must be a number.") }
        if let unknown = requestedMetrics(task).first(where: { !task.metricNames.contains($0) }) {
            throw ValidationError("unknown metric '\(unknown)' for \(task.rawValue)\(Suggestion.didYouMean(unknown, among: task.metricNames)); "
                                  + "the \(task.rawValue) metrics are \(task.metricNames.joined(separator: ", ")).")
        }
        if posLabel != nil, task != .binary { throw ValidationError("--pos-label applies to binary tasks only.") }
    }

    /// `--score` as columns: each option may list several, comma-separated.
    private var scoreColumns: [String] { Self.columns(score) }

    /// `--baseline-score` as columns.
    private var baselineScoreColumns: [String] { Self.columns(baselineScore) }

    /// Column names from options that may each hold a comma-separated list.
    private static func columns(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    private func requestedMetrics(_ task: EvalTask) -> [String] {
        guard let metrics else { return task.defaultMetrics }
        return metrics.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() throws {
        guard let task = EvalTask(rawValue: task) else { return }
        let names = requestedMetrics(task)
        let inputs = try EvalInputs(.init(
            task: task, predictions: predictions, label: label, scores: scoreColumns, id: id, weight: weight,
            baselineScores: baselineScoreColumns, baselineFile: baseline, slice: slice, positiveLabel: posLabel,
            baselineLabelsMustMatch: sameLabels))
        // The candidate and the baseline are scored on one core each.
        let (candidateResult, baselineResult) = Parallel.pair(
            { Result { try ModelMetrics.compute(task: task, inputs: inputs, scores: inputs.candidate, threshold: threshold, names: names) } },
            { Result { try inputs.baseline.map { try ModelMetrics.compute(task: task, inputs: inputs, scores: $0, threshold: threshold, names: names) } } })
        let candidate = try candidateResult.get()
        let baselineMetrics = try baselineResult.get()
        if metrics != nil {
            for name in names where EvalTask.probabilityMetrics.contains(name) {
                if let reason = candidate.values[name]?.undefinedReason {
                    throw EvalInputError("\(predictions): \(name) cannot be computed: \(reason). Drop it from --metrics, or pass probabilities.")
                }
            }
        }
        let report = try EvalReportBuilder(options: .init(predictions: predictions, threshold: threshold, level: ci, bootstrap: bootstrap, seed: seed,
                                                        curves: curves, slice: slice, minSliceRows: minSliceRows),
                                       task: task, names: names, inputs: inputs)
            .report(candidate: candidate, baseline: baselineMetrics)
        if json {
            try Output.json(report)
        } else {
            EvalTable.print(report, names: names, level: ci)
        }
    }
}

