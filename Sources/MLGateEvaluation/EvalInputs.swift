package import MLGateCore
import MLGateWorkspace
package import MLGateData
package import MLGateEval

/// A refusal of `mlgate eval`'s input: exit 2, with the file, line and column where there is one.
package struct EvalInputError: MLGateError {
    package let description: String
    package var category: FailureCategory { .invalidInput }

    package init(_ description: String) { self.description = description }
    package init(_ error: DataError) { description = error.description }
}

/// What kind of model is evaluated.
package enum EvalTask: String, CaseIterable, Sendable {
    case binary, multiclass, regression

    /// Metric names this task knows, in display order: the ones a gate's criteria accept (`MetricCatalog`).
    package var metricNames: [String] { MetricCatalog.names(task: rawValue) ?? [] }

    /// The metrics reported when `--metrics` is not given: all of them, so a first use shows every metric a
    /// criterion can name.
    package var defaultMetrics: [String] { metricNames }

    /// Metrics that need scores in [0, 1].
    package static let probabilityMetrics: Set<String> = ["log_loss", "brier_score"]
}

/// One model's aligned, validated columns.
package struct ModelScores {
    /// One column for binary and regression, one per class for multiclass.
    package var columns: [[Double]]
    /// Binary: the column's one sorted view (with the inputs' weights), shared by AUC, AP, curves, DeLong and
    /// the bootstrap on all rows.
    package var order: ScoreOrder?

    /// Columns, without an order yet.
    package init(columns: [[Double]], order: ScoreOrder? = nil) {
        self.columns = columns
        self.order = order
    }
}

/// The predictions file(s) read and checked for `mlgate eval`: labels (or targets), the candidate's
/// scores, optionally the baseline's (from the same file or joined on an id), weights and a slice column.
package struct EvalInputs {
    package let task: EvalTask
    package let path: String
    /// 0/1 for binary, the class for multiclass; unused (empty) for regression.
    package let labels: [Int]
    /// Regression targets; empty otherwise.
    package let targets: [Double]
    package private(set) var candidate: ModelScores
    package private(set) var baseline: ModelScores?
    package let weights: [Double]?
    package let slices: [String]?

    package var rowCount: Int { candidate.columns.first?.count ?? 0 }

    package struct Options {
        var task: EvalTask
        var predictions: String
        var label: String
        var scores: [String]
        var id: String?
        var weight: String?
        var baselineScores: [String]
        var baselineFile: String?
        var slice: String?
        var positiveLabel: String?
        /// Whether the baseline file must hold the same labels as the predictions, row for row (the gate's rule).
        var baselineLabelsMustMatch = false

        /// What to read: the task, the file and its columns, and the baseline's columns or file.
        package init(task: EvalTask, predictions: String, label: String, scores: [String], id: String?, weight: String?,
                     baselineScores: [String], baselineFile: String?, slice: String?, positiveLabel: String?,
                     baselineLabelsMustMatch: Bool = false) {
            self.task = task
            self.predictions = predictions
            self.label = label
            self.scores = scores
            self.id = id
            self.weight = weight
            self.baselineScores = baselineScores
            self.baselineFile = baselineFile
            self.slice = slice
            self.positiveLabel = positiveLabel
            self.baselineLabelsMustMatch = baselineLabelsMustMatch
        }
    }

    package init(_ options: Options) throws {
        task = options.task
        path = options.predictions
        let baselineInSameFile = options.baselineFile == nil && !options.baselineScores.isEmpty
        // Labels are read as numbers (10⁷ strings would cost seconds) unless --pos-label names a text value.
        var requests: [ColumnRequest] = [ColumnRequest(options.label, options.positiveLabel == nil ? .number : .text)]
        requests += options.scores.map { ColumnRequest($0, .number) }
        if baselineInSameFile { requests += options.baselineScores.map { ColumnRequest($0, .number) } }
        if let id = options.id { requests.append(ColumnRequest(id, .text)) }
        if let weight = options.weight { requests.append(ColumnRequest(weight, .number)) }
        if let slice = options.slice { requests.append(ColumnRequest(slice, .text)) }
        let table: DataTable
        do { table = try DataReader.read(options.predictions, columns: Array(Set(requests)).sorted { $0.name < $1.name }) } catch {
            if error.column == options.label, options.task == .binary, error.message.contains("not a number") {
                throw EvalInputError("\(error) Labels must be 0 or 1; for text labels, say which one is positive with --pos-label.")
            }
            throw EvalInputError(error)
        }
        func numbers(_ name: String, in table: DataTable, what: String) throws -> [Double] {
            let values = table.numbers[name] ?? []
            if let row = values.firstIndex(where: { !$0.isFinite }) {
                throw EvalInputError("\(table.path):\(table.place(ofRow: row)): column '\(name)': \(what) is \(values[row]); every \(what) must be a finite number.")
            }
            return values
        }
        switch options.task {
        case .regression:
            targets = try numbers(options.label, in: table, what: "target")
            labels = []
        case .binary:
            targets = []
            labels = try Self.binaryLabels(table, column: options.label, positive: options.positiveLabel)
        case .multiclass:
            targets = []
            labels = try Self.classLabels(table, column: options.label, classes: options.scores.count)
        }
        candidate = ModelScores(columns: try options.scores.map { try numbers($0, in: table, what: "score") })
        if let weight = options.weight {
            let values = try numbers(weight, in: table, what: "weight")
            if let row = values.firstIndex(where: { $0 < 0 }) {
                throw EvalInputError("\(table.path):\(table.place(ofRow: row)): column '\(weight)': weight \(values[row]) is negative; weights must be 0 or more.")
            }
            guard values.contains(where: { $0 > 0 }) else { throw EvalInputError("\(table.path): column '\(weight)': every weight is 0.") }
            weights = values
        } else {
            weights = nil
        }
        slices = options.slice.flatMap { table.texts[$0] }
        if baselineInSameFile {
            baseline = ModelScores(columns: try options.baselineScores.map { try numbers($0, in: table, what: "score") })
        } else if let file = options.baselineFile {
            guard let id = options.id, let ids = table.texts[id] else {
                throw EvalInputError("--baseline FILE needs --id COLUMN to match its rows to these predictions.")
            }
            let columns = options.baselineScores.isEmpty ? options.scores : options.baselineScores
            let other: DataTable
            let labelRequest = options.baselineLabelsMustMatch ? [ColumnRequest(options.label, .text)] : []
            do { other = try DataReader.read(file, columns: Array(Set([ColumnRequest(id, .text)] + columns.map { ColumnRequest($0, .number) } + labelRequest))
                .sorted { $0.name < $1.name }) } catch {
                throw EvalInputError(error)
            }
            let order = try Self.join(ids: ids, table: table, otherIDs: other.texts[id] ?? [], other: other, column: id)
            if options.baselineLabelsMustMatch {
                let mine = try DataReader.read(options.predictions, columns: [ColumnRequest(options.label, .text)]).texts[options.label] ?? []
                let theirs = other.texts[options.label] ?? []
                for (row, match) in order.enumerated() where mine[row] != theirs[match] {
                    throw EvalInputError("\(file):\(other.place(ofRow: match)): column '\(options.label)': the label '\(theirs[match])' differs from '\(mine[row])' in \(options.predictions) for the same id; both models must be scored on the same rows.")
                }
            }
            baseline = ModelScores(columns: try columns.map { name in
                let values = try numbers(name, in: other, what: "score")
                return order.map { values[$0] }
            })
        } else {
            baseline = nil
        }
        if task == .binary { try sortOnce() }
    }

    /// DeLong's test of the candidate against the baseline (binary), on the orders their AUCs came from.
    package func delong(level: Double) throws -> DeLongTest {
        guard let a = candidate.order, let b = baseline?.order else {
            throw EvalInputError("DeLong's test needs a binary task with a baseline.")
        }
        return try DeLongTest(candidate: a, baseline: b, level: level)
    }

    /// Builds each binary model's order once, the two models on one core each.
    private mutating func sortOnce() throws {
        let labels = self.labels.map { UInt8($0) }
        let first = try BinaryPredictions(labels: labels, scores: candidate.columns[0], weights: weights)
        let second = try baseline.map { try BinaryPredictions(labels: labels, scores: $0.columns[0], weights: weights) }
        let (a, b) = Parallel.pair({ ScoreOrder(first) }, { second.map(ScoreOrder.init) })
        candidate.order = a
        baseline?.order = b
    }


    /// 0/1 labels: the numbers 0 and 1, or text with `--pos-label`.
    private static func binaryLabels(_ table: DataTable, column: String, positive: String?) throws -> [Int] {
        if let positive {
            let texts = table.texts[column] ?? []
            guard texts.contains(positive) else {
                throw EvalInputError("\(table.path): column '\(column)': no row has the label '\(positive)' given by --pos-label.")
            }
            return texts.map { $0 == positive ? 1 : 0 }
        }
        let values = table.numbers[column] ?? []
        if let row = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw EvalInputError("\(table.path):\(table.place(ofRow: row)): column '\(column)': label '\(values[row].shortDescription)' is not 0 or 1; for text labels, say which one is positive with --pos-label.")
        }
        return values.map { $0 == 1 ? 1 : 0 }
    }

    /// Class labels 0…classes−1, written as whole numbers.
    private static func classLabels(_ table: DataTable, column: String, classes: Int) throws -> [Int] {
        let values = table.numbers[column] ?? []
        if let row = values.firstIndex(where: { $0 != $0.rounded() || $0 < 0 || $0 >= Double(classes) }) {
            throw EvalInputError("\(table.path):\(table.place(ofRow: row)): column '\(column)': label '\(values[row].shortDescription)' is not a class 0…\(classes - 1) (one --score column per class, in class order).")
        }
        return values.map { Int($0) }
    }

    /// For each row of the candidate, the row of the baseline with the same id; every id must appear once on each side.
    private static func join(ids: [String], table: DataTable, otherIDs: [String], other: DataTable, column: String) throws -> [Int] {
        var position: [String: Int] = [:]
        for (row, id) in otherIDs.enumerated() {
            if let first = position.updateValue(row, forKey: id) {
                throw EvalInputError("\(other.path):\(other.place(ofRow: row)): column '\(column)': id '\(id)' repeats (first at \(other.place(ofRow: first))); ids must be unique.")
            }
        }
        var seen = Set<String>()
        let order = try ids.enumerated().map { row, id in
            guard seen.insert(id).inserted else {
                throw EvalInputError("\(table.path):\(table.place(ofRow: row)): column '\(column)': id '\(id)' repeats; ids must be unique.")
            }
            guard let match = position[id] else {
                throw EvalInputError("\(table.path):\(table.place(ofRow: row)): column '\(column)': id '\(id)' has no row in \(other.path).")
            }
            return match
        }
        if otherIDs.count != ids.count, let extra = otherIDs.first(where: { !seen.contains($0) }) {
            throw EvalInputError("\(other.path): column '\(column)': id '\(extra)' has no row in \(table.path); both files must hold the same ids.")
        }
        return order
    }
}

extension Double {
    /// `2` for 2.0, the usual description otherwise.
    fileprivate var shortDescription: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
