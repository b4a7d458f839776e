import Foundation
import MLGateCore
import MLGateEvaluation
import MLGateWorkspace

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
