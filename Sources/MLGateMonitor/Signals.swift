import MLGateCore
import MLGateEval
import MLGateEvaluation

/// The monitor's signals besides the input columns: the drift of the model's outputs, and its performance once the
/// true outcomes are known, judged with the gate's own metrics.
enum Signals {
    /// What a check read for the signals: the output column's values, and the (label, score) cells of the rows whose
    /// true outcome is known, both from `source` (a file, or an endpoint's collected data).
    struct Observed {
        var outputs: [String]?
        var labelled: [(label: String, score: String)] = []
        var source: String
    }

    /// Adds the monitor's signals to `report`: the prediction column judged against its reference, and the metric on
    /// the labelled rows against its bound.
    static func judge(_ report: inout DriftReport, spec: MonitorSpec, reference: ReferenceData, observed: Observed) throws {
        if let signal = spec.prediction {
            report.prediction = try prediction(signal, spec: spec, reference: reference, current: observed.outputs, source: observed.source)
        }
        if let signal = spec.performance {
            report.performance = try performance(signal, labelled: observed.labelled, source: observed.source)
        }
    }

    /// The output column judged like an input column: its production values against the model's outputs on the
    /// reference (`prediction.reference`, else the monitor's reference), by the preset's method or the signal's.
    static func prediction(_ signal: MonitorSpec.PredictionSignal, spec: MonitorSpec, reference data: ReferenceData, current: [String]?,
                           source: String) throws -> DriftReport.Column {
        let file = signal.reference ?? data.name
        guard let reference = try DriftCheck.read(data.predictions ?? data.data, names: [signal.column], text: [signal.column]).cells[signal.column] else {
            throw UsageError("the prediction reference \(file) has no column '\(signal.column)'; give prediction.reference a file of the model's outputs on its reference data, or the output's name as prediction.column (docs/monitoring.md).")
        }
        guard let current, !current.isEmpty else {
            throw UsageError("\(source) has no model output '\(signal.column)' to compare with \(file); check prediction.column, or collect the endpoint's answers (collect.outputs).")
        }
        guard let column = try DriftCheck.judge(signal.column, rule: signal.rule, reference: reference, current: .texts(current), preset: spec.preset, file: source) else {
            throw UsageError("\(source): the model output '\(signal.column)' holds no usable value; check what the model answers.")
        }
        return column
    }

    /// The signal's metric on the labelled rows, computed as the gate computes it (threshold 0.5 for the point
    /// metrics); unjudged, with a note, when there are fewer than `min_rows` rows or the metric is undefined on them.
    static func performance(_ signal: MonitorSpec.PerformanceSignal, labelled: [(label: String, score: String)], source: String) throws -> DriftReport.Performance {
        var labels: [Int] = [], targets: [Double] = [], scores: [Double] = []
        for (index, row) in labelled.enumerated() where !DriftCheck.missing.contains(row.label) && !DriftCheck.missing.contains(row.score) {
            guard let score = Double(row.score), score.isFinite else {
                throw UsageError("\(source): the model's output '\(signal.score)' of labelled row \(index + 1) is '\(row.score)', not a number; set performance.score to the output that holds the score.")
            }
            scores.append(score)
            if signal.task == "binary" {
                guard let label = binary(row.label) else {
                    throw UsageError("\(source): the true outcome of labelled row \(index + 1) is '\(row.label)'; a binary model's labels are 0 or 1 (or false and true). Record them so with 'mlgate collect labels'.")
                }
                labels.append(label)
            } else {
                guard let target = Double(row.label), target.isFinite else {
                    throw UsageError("\(source): the true outcome of labelled row \(index + 1) is '\(row.label)', not a number, and the task is regression.")
                }
                targets.append(target)
            }
        }
        func result(_ value: Double?, note: String?) -> DriftReport.Performance {
            DriftReport.Performance(metric: signal.metric, task: signal.task, value: value, bound: signal.bound, boundKind: signal.higherIsBetter ? "min" : "max",
                                    rows: scores.count, minimumRows: signal.minimumRows, note: note)
        }
        guard scores.count >= signal.minimumRows else {
            return result(nil, note: "\(scores.count) labelled row\(scores.count == 1 ? "" : "s"), fewer than min_rows \(signal.minimumRows): record outcomes with 'mlgate collect labels'")
        }
        let task = EvalTask(rawValue: signal.task) ?? .binary
        let metrics = try ModelMetrics.compute(task: task, labels: labels, targets: targets, weights: nil, scores: ModelScores(columns: [scores]), threshold: 0.5,
                                               names: [signal.metric])
        switch metrics.values[signal.metric] {
        case .value(let value)?: return result(value, note: nil)
        case .undefined(let reason)?: return result(nil, note: reason)
        case nil: return result(nil, note: "\(signal.metric) is not a metric of the \(signal.task) task")
        }
    }

    /// A binary label: 0 or 1 (as numbers), false or true.
    static func binary(_ cell: String) -> Int? {
        switch cell.lowercased() {
        case "true": 1
        case "false": 0
        default: Double(cell).flatMap { $0 == 0 ? 0 : $0 == 1 ? 1 : nil }
        }
    }
}
