import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateEval

/// Assembles `mlgate eval`'s report: the metrics, then whatever the options asked for — the paired
/// tests, bootstrap intervals, curves and slices.
package struct EvalReportBuilder {
    /// What the report covers beyond the metrics.
    package struct Options {
        /// The predictions file, as the report names it.
        var predictions: String
        /// A row is predicted positive when its score is at least this (binary).
        var threshold: Double = 0.5
        /// The confidence level of every interval.
        var level: Double = 0.95
        /// Paired Poisson bootstrap resamples; 0 for none.
        var bootstrap: Int = 0
        /// The bootstrap's seed.
        var seed: UInt64 = 0
        /// Whether to include the ROC and precision–recall curves (binary).
        var curves: Bool = false
        /// Report every metric per value of this column.
        var slice: String?
        /// Slices with fewer rows are listed as skipped.
        var minSliceRows: Int = 30

        /// The options of a report on `predictions`; the rest defaults as `mlgate eval` does.
        package init(predictions: String, threshold: Double = 0.5, level: Double = 0.95, bootstrap: Int = 0, seed: UInt64 = 0,
                     curves: Bool = false, slice: String? = nil, minSliceRows: Int = 30) {
            self.predictions = predictions
            self.threshold = threshold
            self.level = level
            self.bootstrap = bootstrap
            self.seed = seed
            self.curves = curves
            self.slice = slice
            self.minSliceRows = minSliceRows
        }
    }

    package let options: Options
    package let task: EvalTask
    package let names: [String]
    package let inputs: EvalInputs

    /// A builder of the report on `inputs` for `task`'s metrics `names`.
    package init(options: Options, task: EvalTask, names: [String], inputs: EvalInputs) {
        self.options = options
        self.task = task
        self.names = names
        self.inputs = inputs
    }

    package func report(candidate: ModelMetrics, baseline: ModelMetrics?) throws -> EvalReport {
        let (metrics, undefined) = EvalReport.split(candidate.values, names: names)
        let baselineSplit = baseline.map { EvalReport.split($0.values, names: names) }
        return EvalReport(
            task: task.rawValue,
            predictions: options.predictions,
            rows: inputs.rowCount,
            threshold: JSONNullable(task == .binary ? options.threshold : nil),
            metrics: metrics,
            undefined: undefined,
            confusion_matrix: JSONNullable(candidate.confusion),
            baseline_metrics: JSONNullable(baselineSplit?.metrics),
            baseline_undefined: JSONNullable(baselineSplit?.undefined),
            comparison: JSONNullable(try comparison()),
            bootstrap: JSONNullable(try bootstrap()),
            curves: JSONNullable(options.curves ? curves() : nil),
            slices: JSONNullable(try slices())
        )
    }

    /// DeLong and McNemar for a binary baseline.
    private func comparison() throws -> EvalReport.Comparison? {
        guard task == .binary, let baseline = inputs.baseline else { return nil }
        let labels = inputs.candidate.order?.predictions.labels ?? inputs.labels.map { UInt8($0) }  // the order's, already bytes
        let candidateScores = inputs.candidate.columns[0], baselineScores = baseline.columns[0]
        let delong: EvalReport.DeLong? = try? {
            let test = try inputs.delong(level: options.level)
            return EvalReport.DeLong(
                estimate: test.estimate, ci: .init(test.confidenceInterval), level: test.level, p_value: test.pValue,
                z: JSONNullable(test.z), n: test.count, candidate_auc: test.candidateAUC, baseline_auc: test.baselineAUC)
        }()
        let mcnemar = try McNemarTest(labels: labels, candidate: candidateScores, baseline: baselineScores, threshold: options.threshold)
        let accuracyDifference = Double(mcnemar.candidateOnlyCorrect - mcnemar.baselineOnlyCorrect) / Double(mcnemar.count)
        return EvalReport.Comparison(
            delong: JSONNullable(delong),
            mcnemar: JSONNullable(EvalReport.McNemar(
                estimate: accuracyDifference, candidate_only_correct: mcnemar.candidateOnlyCorrect,
                baseline_only_correct: mcnemar.baselineOnlyCorrect, statistic: mcnemar.statistic, p_value: mcnemar.pValue,
                exact: mcnemar.exact, threshold: options.threshold, n: mcnemar.count)))
    }

    private func bootstrap() throws -> EvalReport.Bootstrap? {
        guard options.bootstrap > 0 else { return nil }
        let intervals = try BootstrapIntervals(
            task: task, inputs: inputs, metrics: names, threshold: options.threshold,
            resamples: options.bootstrap, seed: options.seed, level: options.level)
        let hasBaseline = inputs.baseline != nil
        return EvalReport.Bootstrap(
            resamples: options.bootstrap, seed: options.seed, level: options.level,
            intervals: intervals.candidate.mapValues(EvalReport.Interval.init),
            baseline_intervals: JSONNullable(hasBaseline ? intervals.baseline.mapValues(EvalReport.Interval.init) : nil),
            difference_intervals: JSONNullable(hasBaseline ? intervals.difference.mapValues(EvalReport.Interval.init) : nil))
    }

    private func curves() -> EvalReport.Curves? {
        guard task == .binary, let curves = RankingCurves(role: "candidate", name: "", inputs: inputs, scores: inputs.candidate.columns[0]) else { return nil }
        let (roc, pr) = (curves.roc, curves.precisionRecall)
        func finite(_ values: [Double]) -> [JSONNullable<Double>] { values.map { JSONNullable($0.isFinite ? $0 : nil) } }
        return EvalReport.Curves(
            roc: .init(x: roc.falsePositiveRate, y: roc.truePositiveRate, thresholds: finite(roc.thresholds), xName: "fpr", yName: "tpr"),
            pr: .init(x: pr.recall, y: pr.precision, thresholds: finite(pr.thresholds), xName: "recall", yName: "precision"))
    }

    private func slices() throws -> EvalReport.Slices? {
        guard let column = options.slice, let values = inputs.slices else { return nil }
        var rowsByValue: [String: [Int]] = [:]
        for (row, value) in values.enumerated() { rowsByValue[value, default: []].append(row) }
        var groups: [EvalReport.SliceGroup] = [], skipped: [EvalReport.SkippedSlice] = []
        for value in rowsByValue.keys.sorted() {
            let rows = rowsByValue[value] ?? []
            guard rows.count >= options.minSliceRows else {
                skipped.append(.init(value: value, rows: rows.count))
                continue
            }
            let metrics = try ModelMetrics.compute(task: task, inputs: inputs, scores: inputs.candidate, threshold: options.threshold, subset: rows, names: names)
            let split = EvalReport.split(metrics.values, names: names)
            let baseline = try inputs.baseline.map {
                EvalReport.split(try ModelMetrics.compute(task: task, inputs: inputs, scores: $0, threshold: options.threshold, subset: rows, names: names).values, names: names).metrics
            }
            groups.append(.init(value: value, rows: rows.count, metrics: split.metrics, undefined: split.undefined, baseline_metrics: JSONNullable(baseline)))
        }
        return EvalReport.Slices(column: column, min_rows: options.minSliceRows, groups: groups, skipped: skipped)
    }
}

