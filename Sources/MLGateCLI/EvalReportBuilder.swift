import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateEval

/// Assembles `mlgate eval`'s report: the metrics, then whatever the options asked for — the paired
/// tests, bootstrap intervals, curves and slices.
struct EvalReportBuilder {
    let command: EvalCommand
    let task: EvalTask
    let names: [String]
    let inputs: EvalInputs

    func report(candidate: ModelMetrics, baseline: ModelMetrics?) throws -> EvalReport {
        let (metrics, undefined) = EvalReport.split(candidate.values, names: names)
        let baselineSplit = baseline.map { EvalReport.split($0.values, names: names) }
        return EvalReport(
            task: task.rawValue,
            predictions: command.predictions,
            rows: inputs.rowCount,
            threshold: JSONNullable(task == .binary ? command.threshold : nil),
            metrics: metrics,
            undefined: undefined,
            confusion_matrix: JSONNullable(candidate.confusion),
            baseline_metrics: JSONNullable(baselineSplit?.metrics),
            baseline_undefined: JSONNullable(baselineSplit?.undefined),
            comparison: JSONNullable(try comparison()),
            bootstrap: JSONNullable(try bootstrap()),
            curves: JSONNullable(command.curves ? curves() : nil),
            slices: JSONNullable(try slices())
        )
    }

    /// DeLong and McNemar for a binary baseline.
    private func comparison() throws -> EvalReport.Comparison? {
        guard task == .binary, let baseline = inputs.baseline else { return nil }
        let labels = inputs.labels.map { UInt8($0) }
        let candidateScores = inputs.candidate.columns[0], baselineScores = baseline.columns[0]
        let delong: EvalReport.DeLong? = try? {
            let test = try DeLongTest(labels: labels, candidate: candidateScores, baseline: baselineScores, level: command.ci)
            return EvalReport.DeLong(
                estimate: test.estimate, ci: .init(test.confidenceInterval), level: test.level, p_value: test.pValue,
                z: JSONNullable(test.z), n: test.count, candidate_auc: test.candidateAUC, baseline_auc: test.baselineAUC)
        }()
        let mcnemar = try McNemarTest(labels: labels, candidate: candidateScores, baseline: baselineScores, threshold: command.threshold)
        let accuracyDifference = Double(mcnemar.candidateOnlyCorrect - mcnemar.baselineOnlyCorrect) / Double(mcnemar.count)
        return EvalReport.Comparison(
            delong: JSONNullable(delong),
            mcnemar: JSONNullable(EvalReport.McNemar(
                estimate: accuracyDifference, candidate_only_correct: mcnemar.candidateOnlyCorrect,
                baseline_only_correct: mcnemar.baselineOnlyCorrect, statistic: mcnemar.statistic, p_value: mcnemar.pValue,
                exact: mcnemar.exact, threshold: command.threshold, n: mcnemar.count)))
    }

    private func bootstrap() throws -> EvalReport.Bootstrap? {
        guard command.bootstrap > 0 else { return nil }
        let intervals = try BootstrapIntervals(
            task: task, inputs: inputs, metrics: names, threshold: command.threshold,
            resamples: command.bootstrap, seed: command.seed, level: command.ci)
        let hasBaseline = inputs.baseline != nil
        return EvalReport.Bootstrap(
            resamples: command.bootstrap, seed: command.seed, level: command.ci,
            intervals: intervals.candidate.mapValues(EvalReport.Interval.init),
            baseline_intervals: JSONNullable(hasBaseline ? intervals.baseline.mapValues(EvalReport.Interval.init) : nil),
            difference_intervals: JSONNullable(hasBaseline ? intervals.difference.mapValues(EvalReport.Interval.init) : nil))
    }

    private func curves() -> EvalReport.Curves? {
        guard task == .binary,
              let predictions = try? BinaryPredictions(labels: inputs.labels.map { UInt8($0) }, scores: inputs.candidate.columns[0], weights: inputs.weights)
        else { return nil }
        let ranking = BinaryRanking(predictions)
        guard let roc = ranking.rocCurve(), let pr = ranking.precisionRecallCurve() else { return nil }
        func finite(_ values: [Double]) -> [JSONNullable<Double>] { values.map { JSONNullable($0.isFinite ? $0 : nil) } }
        return EvalReport.Curves(
            roc: .init(x: roc.falsePositiveRate, y: roc.truePositiveRate, thresholds: finite(roc.thresholds), xName: "fpr", yName: "tpr"),
            pr: .init(x: pr.recall, y: pr.precision, thresholds: finite(pr.thresholds), xName: "recall", yName: "precision"))
    }

    private func slices() throws -> EvalReport.Slices? {
        guard let column = command.slice, let values = inputs.slices else { return nil }
        var rowsByValue: [String: [Int]] = [:]
        for (row, value) in values.enumerated() { rowsByValue[value, default: []].append(row) }
        var groups: [EvalReport.SliceGroup] = [], skipped: [EvalReport.SkippedSlice] = []
        for value in rowsByValue.keys.sorted() {
            let rows = rowsByValue[value] ?? []
            guard rows.count >= command.minSliceRows else {
                skipped.append(.init(value: value, rows: rows.count))
                continue
            }
            let metrics = try ModelMetrics.compute(task: task, inputs: inputs, scores: inputs.candidate, threshold: command.threshold, subset: rows, names: names)
            let split = EvalReport.split(metrics.values, names: names)
            let baseline = try inputs.baseline.map {
                EvalReport.split(try ModelMetrics.compute(task: task, inputs: inputs, scores: $0, threshold: command.threshold, subset: rows, names: names).values, names: names).metrics
            }
            groups.append(.init(value: value, rows: rows.count, metrics: split.metrics, undefined: split.undefined, baseline_metrics: JSONNullable(baseline)))
        }
        return EvalReport.Slices(column: column, min_rows: command.minSliceRows, groups: groups, skipped: skipped)
    }
}

/// The table `mlgate eval` prints for a person.
enum EvalTable {
    static func print(_ report: EvalReport, names: [String], level: Double) {
        var title = "\(report.task) evaluation of \(report.predictions): \(report.rows) rows"
        if let threshold = report.threshold.value { title += ", threshold \(format(threshold))" }
        Swift.print(title)
        Swift.print("")
        let percent = "\(format(level * 100))% CI"
        let hasBaseline = report.baseline_metrics.value != nil
        let bootstrap = report.bootstrap.value
        var header = hasBaseline ? ["METRIC", "MODEL", "BASELINE", "DIFFERENCE"] : ["METRIC", "VALUE"]
        if bootstrap != nil { header.append(hasBaseline ? "\(percent) (DIFFERENCE)" : percent) }
        var rows: [[String]] = [header]
        for name in names {
            let value = report.metrics[name]?.value
            var row = [name, value.map(format) ?? "undefined"]
            if hasBaseline {
                let other = report.baseline_metrics.value?[name]?.value
                row += [other.map(format) ?? "undefined", value.flatMap { v in other.map { signed(v - $0) } } ?? "-"]
            }
            if let bootstrap {
                let interval = hasBaseline ? bootstrap.difference_intervals.value?[name] : bootstrap.intervals[name]
                row.append(interval.map(describe) ?? "-")
            }
            rows.append(row)
        }
        Output.table(rows)
        if let comparison = report.comparison.value {
            Swift.print("")
            if let delong = comparison.delong.value {
                Swift.print("DeLong: AUC \(format(delong.candidate_auc)) vs \(format(delong.baseline_auc)), difference \(signed(delong.estimate)) "
                    + "(\(format(delong.level * 100))% CI \(describe(delong.ci))), z = \(delong.z.value.map(format) ?? "n/a"), p \(GateRules.formatP(delong.p_value)), n = \(delong.n)")
            }
            if let mcnemar = comparison.mcnemar.value {
                Swift.print("McNemar at \(format(mcnemar.threshold)): right only with the model \(mcnemar.candidate_only_correct), "
                    + "only with the baseline \(mcnemar.baseline_only_correct), p \(GateRules.formatP(mcnemar.p_value)) (\(mcnemar.exact ? "exact binomial" : "chi-square"))")
            }
        }
        if let bootstrap {
            Swift.print("")
            Swift.print("Intervals: paired Poisson bootstrap, \(bootstrap.resamples) resamples, seed \(bootstrap.seed).")
        }
        if let confusion = report.confusion_matrix.value, confusion.count == 2 {
            Swift.print("")
            Swift.print("confusion matrix (rows true, columns predicted): [[\(confusion[0].map(format).joined(separator: ", "))], [\(confusion[1].map(format).joined(separator: ", "))]]")
        }
        if !report.undefined.isEmpty {
            Swift.print("")
            for (name, reason) in report.undefined.sorted(by: { $0.key < $1.key }) { Swift.print("undefined: \(name) — \(reason)") }
        }
        if let slices = report.slices.value {
            Swift.print("")
            Swift.print("by \(slices.column):")
            var sliceRows = [["VALUE", "ROWS"] + names]
            for group in slices.groups {
                sliceRows.append([group.value, String(group.rows)] + names.map { group.metrics[$0]?.value.map(format) ?? "undefined" })
            }
            Output.table(sliceRows)
            if !slices.skipped.isEmpty {
                Swift.print("skipped (fewer than \(slices.min_rows) rows): " + slices.skipped.map { "\($0.value) (\($0.rows))" }.joined(separator: ", "))
            }
        }
    }

    /// Whole numbers as such, small and large ones with four significant digits, the rest to four decimals.
    private static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e9 { return String(Int64(value)) }
        if abs(value) < 1e-3 || abs(value) >= 1e6 { return String(format: "%.4g", value) }
        return String((value * 10_000).rounded() / 10_000)
    }

    private static func signed(_ value: Double) -> String { (value >= 0 ? "+" : "") + format(value) }

    private static func describe(_ interval: EvalReport.Interval) -> String { "[\(format(interval.lower)), \(format(interval.upper))]" }
}
