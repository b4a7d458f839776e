import Foundation
package import MLGateCore
import MLGateData
import MLGateEval

/// One drift check of a model's current data against its reference: each column's method, statistic, threshold and
/// verdict under the monitor's preset, its data quality, and whether the dataset drifted (a share of columns).
package struct DriftReport: Encodable, Sendable {
    /// One column's result.
    package struct Column: Encodable, Sendable {
        enum CodingKeys: String, CodingKey {
            case name, kind, method, score, scoreKind = "score_kind", threshold, drifted, referenceRows = "reference_rows", currentRows = "current_rows"
            case nullRate = "null_rate", typeErrorRate = "type_error_rate", outOfRangeRate = "out_of_range_rate", newCategoryRate = "new_category_rate"
        }
        package let name: String
        package let kind: String
        /// `ks`, `chisquare`, `z`, `wasserstein_norm` or `jensenshannon`.
        package let method: String
        /// The statistic the verdict reads: a p-value for tests, a distance otherwise.
        package let score: Double
        /// `p_value` (drift when at or below the threshold) or `distance` (drift when at or above it).
        package let scoreKind: String
        package let threshold: Double
        package let drifted: Bool
        package let referenceRows: Int
        package let currentRows: Int
        package let nullRate: Double
        /// The share of current rows whose value is not a number in a numeric column.
        package let typeErrorRate: Double
        package let outOfRangeRate: Double
        package let newCategoryRate: Double
        /// Both samples' shapes, for the HTML report (not in the JSON).
        package var distribution = Distribution(labels: [], reference: [], current: [])
    }

    /// A column's two samples as shares over the same bins (numeric) or categories: what the report draws.
    package struct Distribution: Sendable {
        /// The bins' labels (`10.2–10.8`) or the categories (the most frequent first; the rest as `other`).
        package let labels: [String]
        /// The reference's share in each bin.
        package let reference: [Double]
        /// The current data's share in each bin.
        package let current: [Double]

        /// How many bins a numeric column is drawn with.
        static let bins = 24
        /// How many categories are drawn before the rest are summed as `other`.
        static let categories = 12

        /// Shares of `r` and `c` over equal-width bins spanning both: each bin's first value found by a binary search.
        static func numeric(_ r: SortedSample, _ c: SortedSample) -> Distribution {
            let low = min(r.minimum, c.minimum), high = max(r.maximum, c.maximum)
            let count = high > low ? bins : 1
            let width = high > low ? (high - low) / Double(count) : 1
            // A value's bin, min(count − 1, ⌊(value − low) / width⌋), never decreases along the sorted values.
            func bin(_ value: Double) -> Int { min(count - 1, max(0, Int((value - low) / width))) }
            func shares(_ sample: SortedSample) -> [Double] {
                let starts = (0...count).map { index in index == count ? sample.count : sample.count { bin($0) >= index } }
                return (0..<count).map { Double(starts[$0 + 1] - starts[$0]) / Double(sample.count) }
            }
            let labels = (0..<count).map { index in format(low + Double(index) * width) + "–" + format(low + Double(index + 1) * width) }
            return Distribution(labels: labels, reference: shares(r), current: shares(c))
        }

        /// Shares of each category code in `r` and `c` (named by `names`), the most frequent first.
        static func categorical(_ r: [Double], _ c: [Double], names: [String]) -> Distribution {
            let counts = Drift.categoryCounts(reference: r, current: c)
            let p = counts.reference.map { Double($0) / Double(max(r.count, 1)) }, q = counts.current.map { Double($0) / Double(max(c.count, 1)) }
            // By share, then by code (the values are in ascending order).
            let order = counts.values.indices.sorted { (p[$0] + q[$0], $1) > (p[$1] + q[$1], $0) }
            let shown = Array(order.prefix(categories)), rest = order.dropFirst(categories)
            var labels = shown.map { index in Int(counts.values[index]) < names.count ? names[Int(counts.values[index])] : "?" }
            var reference = shown.map { p[$0] }, current = shown.map { q[$0] }
            if !rest.isEmpty {
                labels.append("other (\(rest.count))")
                reference.append(rest.reduce(0) { $0 + p[$1] })
                current.append(rest.reduce(0) { $0 + q[$1] })
            }
            return Distribution(labels: labels, reference: reference, current: current)
        }

        /// A bin edge with three significant digits.
        static func format(_ value: Double) -> String {
            let magnitude = abs(value)
            if magnitude >= 1000 || (magnitude < 0.01 && magnitude > 0) { return String(format: "%.2e", value) }
            return String(format: magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : "%.2f", value)
        }
    }

    /// The performance signal's result: the metric on the labelled production rows against its bound.
    package struct Performance: Encodable, Sendable {
        enum CodingKeys: String, CodingKey {
            case metric, task, value, bound, boundKind = "bound_kind", rows, minimumRows = "min_rows", judged, degraded, note
        }
        package let metric: String
        package let task: String
        /// The metric's value; nil when not judged or undefined on these rows.
        package let value: Double?
        /// The worst acceptable value.
        package let bound: Double
        /// `min` (higher is better) or `max`.
        package let boundKind: String
        /// How many production rows had a true outcome.
        package let rows: Int
        package let minimumRows: Int
        /// Whether there were enough labelled rows and the metric was defined.
        package var judged: Bool { value != nil }
        /// Whether the value is worse than the bound.
        package var degraded: Bool { value.map { boundKind == "min" ? $0 < bound : $0 > bound } ?? false }
        /// Why it was not judged, when it was not.
        package let note: String?

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(metric, forKey: .metric)
            try container.encode(task, forKey: .task)
            try container.encode(value, forKey: .value)
            try container.encode(bound, forKey: .bound)
            try container.encode(boundKind, forKey: .boundKind)
            try container.encode(rows, forKey: .rows)
            try container.encode(minimumRows, forKey: .minimumRows)
            try container.encode(judged, forKey: .judged)
            try container.encode(degraded, forKey: .degraded)
            try container.encode(note, forKey: .note)
        }
    }

    enum CodingKeys: String, CodingKey {
        case model, preset, reference, current, referenceRows = "reference_rows", currentRows = "current_rows", columns
        case driftedColumns = "drifted_columns", share, driftShare = "drift_share", dataDrifted = "data_drifted", prediction, performance, drifted
        case missingColumns = "missing_columns"
    }
    package let model: String
    package let preset: String
    package let reference: String
    package let current: String
    package let referenceRows: Int
    package let currentRows: Int
    package let columns: [Column]
    package let driftShare: Double
    /// The reference's columns the current data lacks: reported, not judged.
    package var missingColumns: [String] = []
    /// The model's output column judged against its outputs on the reference (the prediction-drift signal).
    package var prediction: Column?
    /// The metric on the labelled production rows (the performance signal).
    package var performance: Performance?

    /// The names of the drifted columns.
    package var driftedColumns: [String] { columns.filter(\.drifted).map(\.name) }
    /// The share of columns that drifted.
    package var share: Double { columns.isEmpty ? 0 : Double(driftedColumns.count) / Double(columns.count) }
    /// Whether the dataset drifted: at least `driftShare` of its columns.
    package var dataDrifted: Bool { !columns.isEmpty && share >= driftShare }
    /// Whether the check found drift: in the data, in the predictions, or in the performance.
    package var drifted: Bool { dataDrifted || prediction?.drifted == true || performance?.degraded == true }

    /// What drifted, in a few words: `67 % of columns drifted; prediction score drifted; roc_auc 0.612 below its min 0.7`.
    package var summary: String {
        var parts = ["\(Int((share * 100).rounded())) % of columns drifted"]
        if let prediction, prediction.drifted { parts.append("prediction \(prediction.name) drifted") }
        if let performance, performance.degraded, let value = performance.value {
            parts.append("\(performance.metric) \(String(format: "%.4g", value)) \(performance.boundKind == "min" ? "below its min" : "above its max") \(String(format: "%.4g", performance.bound))")
        }
        return parts.joined(separator: "; ")
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(preset, forKey: .preset)
        try container.encode(reference, forKey: .reference)
        try container.encode(current, forKey: .current)
        try container.encode(referenceRows, forKey: .referenceRows)
        try container.encode(currentRows, forKey: .currentRows)
        try container.encode(columns, forKey: .columns)
        try container.encode(driftedColumns, forKey: .driftedColumns)
        try container.encode(missingColumns, forKey: .missingColumns)
        try container.encode(share, forKey: .share)
        try container.encode(driftShare, forKey: .driftShare)
        try container.encode(dataDrifted, forKey: .dataDrifted)
        try container.encode(prediction, forKey: .prediction)
        try container.encode(performance, forKey: .performance)
        try container.encode(drifted, forKey: .drifted)
    }
}

/// The data a check compares production with: the monitor's files in the repository, or the profile captured when
/// the version in the champion stage was registered.
package struct ReferenceData: Sendable {
    /// The reference data file, absolute.
    package let data: String
    /// The file of the model's outputs on the reference, absolute, when the prediction signal names one.
    package let predictions: String?
    /// How the report names it: `models/churn/data/train.csv`, or `profile of models:/churn/2 (models/churn/data/train.csv)`.
    package let name: String

    /// Reference data at `data` (and `predictions`), named `name`.
    package init(data: String, predictions: String?, name: String) {
        self.data = data
        self.predictions = predictions
        self.name = name
    }

    /// The monitor's own files under the repository `root`.
    package init(files spec: MonitorSpec, root: String) {
        self.init(data: root + "/" + spec.reference, predictions: spec.prediction?.reference.map { root + "/" + $0 }, name: spec.reference)
    }
}

/// Runs a model's drift check: reads the reference and the current data (a file, or every data file of a folder),
/// infers each shared column's kind (numeric when every present value is a number) unless the monitor says, and
/// judges each column by the preset's method and threshold.
///
/// Columns are read as numbers first (the data reader's exact parser, no text per cell): a million rows of twenty
/// columns would otherwise be forty million strings. A column that is not all numbers (a category, a missing value,
/// a column the monitor declares categorical) is read again as text, in both files, and judged from its text.
package enum DriftCheck {
    /// A column's cells as read: numbers (none missing), or text.
    enum Cells {
        case numbers([Double])
        case texts([String])
        /// Text stored once per distinct value (a column read as categories).
        case categories(CategoryColumn)
    }

    /// A data table: each column's cells, and its rows.
    struct Table {
        var cells: [String: Cells]
        var rows: Int
    }

    /// The check of `current` (absolute) against `reference`, by `spec`, for `model`; also, from the same read of the
    /// current files, the text of the columns `signals` (the model's output, the true outcome) those files have.
    package static func run(model: String, spec: MonitorSpec, reference data: ReferenceData, current: String,
                            signals: [String] = []) throws -> (report: DriftReport, signals: [String: [String]]) {
        let referencePath = data.data
        let currentFiles = try dataFiles(current)
        let names = try featureNames(spec, referencePath)
        var seen = Set(names)
        let extra = signals.filter { seen.insert($0).inserted }
        // Text for the columns declared categorical and those that turned out not to be all numbers; after a few
        // such surprises, every column left is read as text at once instead of one re-read each.
        var textColumns = Set(names.filter { spec.columns[$0]?.kind == .categorical }).union(try textLike(referencePath, names: names))
        var surprises = 0
        while true {
            do {
                let reference = try read(referencePath, names: names, text: textColumns)
                let tables = try currentFiles.map { try read($0, names: names + extra, text: textColumns, signals: Set(extra)) }
                let report = try check(model: model, spec: spec, names: names, reference: reference, referenceName: data.name,
                                       current: concatenated(tables), currentName: current)
                // A signal's column counts only when every file has it.
                var cells: [String: [String]] = [:]
                for name in extra where tables.allSatisfy({ $0.cells[name] != nil }) {
                    cells[name] = tables.flatMap { texts($0.cells[name] ?? .texts([])) }
                }
                return (report, cells)
            } catch let error as DataError where error.column.map({ names.contains($0) && !textColumns.contains($0) }) == true {
                surprises += 1
                if surprises > 3 { textColumns = Set(names) } else if let column = error.column { textColumns.insert(column) }
            }
        }
    }

    /// The columns among `names` whose first rows in the text file at `path` hold a present value that is not a number:
    /// read as categories from the start rather than found by a failed read of the whole file. Binary formats carry
    /// their columns' types and are not sampled.
    static func textLike(_ path: String, names: [String]) throws -> Set<String> {
        guard let head = try? DataReader.read(path, columns: [], rowLimit: 1), head.isText else { return [] }
        let sampled = names.filter(Set(head.columnNames).contains)
        guard let sample = try? DataReader.read(path, columns: sampled.map { ColumnRequest($0, .text) }, rowLimit: 1000) else { return [] }
        return Set(sampled.filter { name in sample.texts[name]?.contains { number($0) == nil } == true })
    }

    /// Checks `table` (the current data as text, named `current` in the report and messages) against `model`'s reference.
    package static func run(model: String, spec: MonitorSpec, reference data: ReferenceData, current: String,
                            table currentTable: (values: [String: [String]], rows: Int)) throws -> DriftReport {
        let referencePath = data.data
        let names = try featureNames(spec, referencePath)
        let reference = try read(referencePath, names: names, text: Set(names))
        let table = Table(cells: currentTable.values.mapValues(Cells.texts), rows: currentTable.rows)
        return try check(model: model, spec: spec, names: names, reference: reference, referenceName: data.name, current: table, currentName: current)
    }

    private static func check(model: String, spec: MonitorSpec, names: [String], reference: Table, referenceName: String, current: Table,
                              currentName: String) throws -> DriftReport {
        // A column production stopped sending is reported, and the others are still checked; none at all is bad input.
        let missing = names.filter { current.cells[$0] == nil }
        if missing.count == names.count, let name = names.first {
            throw UsageError("\(currentName) has none of the reference's columns (such as '\(name)', which \(referenceName) has); give data with the same columns, or set columns: {\(name): ignore} in the monitor of model '\(model)'.")
        }
        let names = names.filter { current.cells[$0] != nil }
        // The columns are independent: judged over the cores, each into its own slot; the first refusal (in column
        // order) is the one reported, as one at a time would.
        var outcomes = [Result<DriftReport.Column?, any Error>?](repeating: nil, count: names.count)
        outcomes.withUnsafeMutableBufferPointer { buffer in
            // Each iteration writes only its own slot of the buffer.
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: names.count) { index in
                let name = names[index]
                out[index] = Result {
                    try judge(name, rule: spec.columns[name], reference: reference.cells[name] ?? .texts([]), current: current.cells[name] ?? .texts([]),
                              preset: spec.preset, file: currentName)
                }
            }
        }
        let judged = try outcomes.map { try ($0 ?? .failure(UsageError("a column was not judged"))).get() }
        // A column the current data holds no usable value in is reported with the missing ones.
        let empty = zip(names, judged).filter { $0.1 == nil }.map(\.0)
        if judged.allSatisfy({ $0 == nil }), let name = empty.first {
            throw UsageError("\(currentName) holds no usable value in any of the reference's columns (such as '\(name)'); check the data, or set columns: {\(name): ignore} in the monitor of model '\(model)'.")
        }
        return DriftReport(model: model, preset: spec.preset.rawValue, reference: referenceName, current: currentName, referenceRows: reference.rows,
                           currentRows: current.rows, columns: judged.compactMap { $0 }, driftShare: spec.driftShare, missingColumns: missing + empty)
    }

    /// Text cells that mean a missing value.
    static let missing: Set<String> = ["", "NA", "N/A", "NaN", "nan", "null", "None"]

    /// The values of `cells` that are not missing (NaN): `cells` itself when none is.
    static func present(_ cells: [Double]) -> [Double] {
        cells.contains(where: \.isNaN) ? cells.filter { !$0.isNaN } : cells
    }

    /// The column's cells as numbers (NaN where missing), or nil when some present cell is not a finite number.
    static func numbers(_ cells: [String]) -> [Double]? {
        var result: [Double] = []
        result.reserveCapacity(cells.count)
        for cell in cells {
            if missing.contains(cell) { result.append(.nan); continue }
            guard let number = Double(cell), number.isFinite else { return nil }
            result.append(number)
        }
        return result
    }

    /// A cell's number: NaN when it means a missing value, nil when it is not a finite number.
    static func number(_ cell: String) -> Double? {
        if missing.contains(cell) { return .nan }
        guard let number = Double(cell), number.isFinite else { return nil }
        return number
    }

    /// `cells` as distinct texts and a code per row.
    static func coded(_ cells: Cells) -> CategoryColumn {
        switch cells {
        case .categories(let column): column
        case .texts(let values): CategoryColumn(texts: values)
        case .numbers(let values): CategoryColumn(texts: values.map { "\($0)" })
        }
    }

    /// One column's verdict by `preset`'s rules (research anchors-eval §8) or by its own `rule`; its kind is the
    /// rule's, else numeric when every present value of the reference is a number (text in the current data is then a
    /// type error: counted, and left out like a missing value). Nil when the current data holds no usable value.
    static func judge(_ name: String, rule: MonitorSpec.ColumnRule?, reference: Cells, current: Cells, preset: MonitorSpec.Preset,
                      file: String) throws -> DriftReport.Column? {
        let declared = rule?.kind
        // Each cell once: its number (or category code), NaN when missing.
        let referenceCells: [Double], currentCells: [Double], categories: [String]
        var typeErrors = 0
        switch (reference, current) {
        case (.numbers(let r), .numbers(let c)) where !r.contains(where: \.isInfinite) && !c.contains(where: \.isInfinite):
            (referenceCells, currentCells, categories) = (r, c, [])
        default:
            // Each distinct text is looked at once (its number, or that it is missing), then its rows follow its code.
            let r = coded(reference), c = coded(current)
            let rValues = r.values.map(number), cValues = c.values.map(number)
            if declared != .categorical, rValues.allSatisfy({ $0 != nil }), declared == .numeric || rValues.contains(where: { $0?.isNaN == false }) {
                // Text in the current data of a numeric column is a type error: counted, and left out like a missing value.
                referenceCells = r.codes.map { rValues[Int($0)] ?? .nan }
                currentCells = c.codes.map { cValues[Int($0)] ?? .nan }
                typeErrors = c.codes.reduce(0) { $0 + (cValues[Int($1)] == nil ? 1 : 0) }
                categories = []
            } else if declared == .numeric {
                let cell = zip(r.values, rValues).first { $0.1 == nil }?.0 ?? ""
                throw UsageError("the reference: column '\(name)' is read as numeric but holds '\(cell)'; set columns: {\(name): categorical} in the monitor.")
            } else {
                // Categories become codes in the sorted order of every value seen.
                categories = Array(Set((r.values + c.values).filter { !missing.contains($0) })).sorted()
                let codes = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, Double($0)) })
                let rCodes = r.values.map { codes[$0] ?? .nan }, cCodes = c.values.map { codes[$0] ?? .nan }
                referenceCells = r.codes.map { rCodes[Int($0)] }
                currentCells = c.codes.map { cCodes[Int($0)] }
            }
        }
        let numeric = categories.isEmpty && !(declared == .categorical)
        let r = present(referenceCells), c = present(currentCells)
        guard !r.isEmpty else {
            throw UsageError("the reference: column '\(name)' has no values; drop it with columns: {\(name): ignore}.")
        }
        guard !c.isEmpty else { return nil }
        // A numeric column is sorted once: for its statistic, its quality rates and its histogram.
        let sorted = numeric ? SortedSample(r).flatMap { reference in SortedSample(c).map { (reference: reference, current: $0) } } : nil
        let quality = sorted.map { DataQuality(reference: $0.reference, current: $0.current, currentRows: currentCells.count) }
            ?? DataQuality(reference: referenceCells, current: currentCells, categorical: !numeric)
        // Only whether there are more than 5 (or at most 2) distinct values decides a method.
        let unique = distinctCount(r, c, upTo: 6)
        let method = rule?.method ?? presetMethod(preset, numeric: numeric, distinct: unique, referenceRows: r.count)
        if method.isNumericOnly, !numeric {
            throw UsageError("\(file): column '\(name)' is categorical, and its method \(method.rawValue) compares numbers; give it psi, jensenshannon, chisquare or z in the monitor's columns.")
        }
        if method == .z, unique > 2 {
            throw UsageError("\(file): column '\(name)' holds more than two values, and its method z compares the share of one of two; give it chisquare or psi in the monitor's columns.")
        }
        let score = statistic(method, r, c, sorted: sorted, convention: preset == .azure ? .azure : .evidently)
        let typeErrorRate = currentCells.isEmpty ? 0 : Double(typeErrors) / Double(currentCells.count)
        // Every preset's threshold is 0.05 for a p-value and 0.1 for a distance (anchors-eval §8.1, §8.2).
        let threshold = rule?.threshold ?? (method.isPValue ? 0.05 : 0.1)
        let scoreKind = method.isPValue ? "p_value" : "distance"
        let drifted = scoreKind == "p_value" ? score <= threshold : score >= threshold
        var column = DriftReport.Column(name: name, kind: numeric ? "numeric" : "categorical", method: method.rawValue, score: score, scoreKind: scoreKind,
                                        threshold: threshold, drifted: drifted, referenceRows: r.count, currentRows: c.count,
                                        nullRate: (quality?.nullRate ?? 0) - typeErrorRate, typeErrorRate: typeErrorRate, outOfRangeRate: numeric ? quality?.outOfRangeRate ?? 0 : 0,
                                        newCategoryRate: numeric ? 0 : quality?.newCategoryRate ?? 0)
        column.distribution = sorted.map { .numeric($0.reference, $0.current) } ?? .categorical(r, c, names: categories)
        return column
    }

    /// The method `preset` judges a column by: Azure's normalised Wasserstein for numbers and Jensen–Shannon for
    /// categories; Evidently's KS, z or χ² for a reference of at most 1,000 rows, else Wasserstein or Jensen–Shannon
    /// (a number column of at most 5 distinct values counting as categories).
    static func presetMethod(_ preset: MonitorSpec.Preset, numeric: Bool, distinct: Int, referenceRows: Int) -> MonitorSpec.DriftMethod {
        switch preset {
        case .azure: numeric ? .wasserstein : .jensenshannon
        case .evidently where referenceRows <= 1000: numeric && distinct > 5 ? .ks : distinct <= 2 ? .z : .chisquare
        case .evidently: numeric && distinct > 5 ? .wasserstein : .jensenshannon
        }
    }

    /// The statistic `method` gives for a column's present values (and, for a numeric column, the same values sorted),
    /// with `convention`'s binning, log base, smoothing and standard deviation: numbers are binned for PSI and
    /// Jensen–Shannon, categories counted one bin each.
    static func statistic(_ method: MonitorSpec.DriftMethod, _ r: [Double], _ c: [Double], sorted: (reference: SortedSample, current: SortedSample)?,
                          convention: Drift.Convention) -> Double {
        let numeric = sorted != nil
        switch method {
        case .ks: return sorted.map { KolmogorovSmirnovTest(reference: $0.reference, current: $0.current).pValue } ?? 1
        case .wasserstein: return sorted.map { Drift.normalizedWasserstein(reference: $0.reference, current: $0.current, convention: convention) } ?? 0
        case .chisquare: return Drift.chiSquare(reference: r, current: c)?.pValue ?? 0
        case .z: return twoProportionZ(r, c)
        case .jensenshannon:
            let (p, q) = numeric ? Drift.binnedShares(reference: r, current: c, convention: convention) ?? ([], []) : categoryShares(r, c)
            return Drift.jensenShannon(p, q, base: convention == .azure ? 2 : nil) ?? 0
        case .psi:
            if numeric, let counts = Drift.binnedCounts(reference: r, current: c, convention: convention) {
                return Drift.psi(reference: counts.reference, current: counts.current, convention: convention) ?? 0
            }
            let counts = Drift.categoryCounts(reference: r, current: c)
            return Drift.psi(reference: counts.reference, current: counts.current, convention: convention) ?? 0
        }
    }

    /// Each sample's share per distinct value of both.
    static func categoryShares(_ r: [Double], _ c: [Double]) -> ([Double], [Double]) {
        let counts = Drift.categoryCounts(reference: r, current: c)
        return (counts.reference.map { Double($0) / Double(r.count) }, counts.current.map { Double($0) / Double(c.count) })
    }

    /// Evidently's pooled two-proportion z-test on the first value (in sorted order), two-sided p.
    static func twoProportionZ(_ r: [Double], _ c: [Double]) -> Double {
        guard let first = [r.min(), c.min()].compactMap({ $0 }).min() else { return 1 }
        let x1 = Double(r.filter { $0 == first }.count), x2 = Double(c.filter { $0 == first }.count)
        let n1 = Double(r.count), n2 = Double(c.count)
        let pooled = (x1 + x2) / (n1 + n2)
        let spread = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        guard spread > 0 else { return 1 }
        return Normal.twoSidedPValue((x1 / n1 - x2 / n2) / spread)
    }

    /// How many distinct values `a` and `b` hold together, counting no further than `limit`.
    static func distinctCount(_ a: [Double], _ b: [Double], upTo limit: Int) -> Int {
        var seen: Set<Double> = []
        for value in [a, b].joined() {
            seen.insert(value + 0.0)  // −0 and +0 are one value
            if seen.count >= limit { break }
        }
        return seen.count
    }

    /// `cells` as text: a number column's values as Swift writes them (only the text-fed path mixes the two).
    static func texts(_ cells: Cells) -> [String] {
        switch cells {
        case .texts(let values): values
        case .numbers(let values): values.map { "\($0)" }
        case .categories(let column): column.texts
        }
    }

    /// The reference's columns that are judged as inputs: all but the ignored ones and the signals' (the model's
    /// output, the true outcome).
    static func featureNames(_ spec: MonitorSpec, _ referencePath: String) throws -> [String] {
        let signals = Set([spec.prediction?.column, spec.performance?.label, spec.performance?.score].compactMap { $0 })
        return try columnNames(referencePath).filter { spec.columns[$0]?.kind != .ignore && !signals.contains($0) }
    }

    /// The column names of a data file, in order.
    static func columnNames(_ path: String) throws -> [String] {
        do { return try DataReader.read(path, columns: [], rowLimit: 1).columnNames } catch { throw UsageError("\(error)") }
    }

    /// The columns `names` of a data file: those in `text` as text, the others as numbers. A cell that is not a
    /// number throws the reader's `DataError` naming its column, for the caller to read that column as text.
    static func read(_ path: String, names: [String], text: Set<String>, signals: Set<String> = []) throws -> Table {
        let table: DataTable
        do {
            // Only the columns the file has: a missing one is refused by the check, naming the reference.
            let present = Set(try DataReader.read(path, columns: [], rowLimit: 1).columnNames)
            table = try DataReader.read(path, columns: names.filter(present.contains).map { name in
                ColumnRequest(name, signals.contains(name) ? .text : text.contains(name) ? .category : .number)
            })
        } catch let error where error.column != nil && !text.contains(error.column ?? "") && !signals.contains(error.column ?? "") {
            throw error
        } catch {
            throw UsageError("\(error)")
        }
        var cells: [String: Cells] = [:]
        for name in names {
            if let values = table.texts[name] {
                cells[name] = .texts(values)
            } else if let column = table.categories[name] {
                cells[name] = .categories(column)
            } else if let values = table.numbers[name] {
                cells[name] = .numbers(values)
            }
        }
        return Table(cells: cells, rows: table.rowCount)
    }

    /// A file, or every data file of a folder, by name; a folder of `.npy` files is one table (a column per file).
    static func dataFiles(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UsageError("the current data \(path) does not exist; give a file or a folder of files with the reference's columns.")
        }
        if isDirectory.boolValue, ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).contains(where: { $0.hasSuffix(".npy") }) {
            return [path]
        }
        let files = isDirectory.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { name in
                [".csv", ".tsv", ".jsonl", ".ndjson", ".feather", ".arrow"].contains { name.lowercased().hasSuffix($0) } && !name.hasPrefix(".")
            }.sorted().map { path + "/" + $0 }
            : [path]
        guard !files.isEmpty else { throw UsageError("the folder \(path) holds no CSV, TSV, JSON Lines or Feather files.") }
        return files
    }

    /// The tables of a folder's files one after the other (they were read with the same kinds per column).
    static func concatenated(_ tables: [Table]) -> Table {
        guard var result = tables.first else { return Table(cells: [:], rows: 0) }
        for table in tables.dropFirst() {
            for (name, cells) in table.cells {
                switch (result.cells[name], cells) {
                case (.numbers(let a)?, .numbers(let b)): result.cells[name] = .numbers(a + b)
                case (.texts(let a)?, .texts(let b)): result.cells[name] = .texts(a + b)
                case (.categories(let a)?, .categories(let b)): result.cells[name] = .categories(a.appending(b))
                default: result.cells[name] = cells
                }
            }
            result.rows += table.rows
        }
        return result
    }
}
