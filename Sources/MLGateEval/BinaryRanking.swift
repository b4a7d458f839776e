/// Counts or weights of one tie group; `UInt64` for unweighted rows (exact integer arithmetic), `Double`
/// for weighted ones.
protocol GroupAmount: Numeric, Comparable {
    var doubleValue: Double { get }
}

extension UInt64: GroupAmount {
    @inline(__always) var doubleValue: Double { Double(self) }
}

extension Double: GroupAmount {
    @inline(__always) var doubleValue: Double { self }
}

/// One point of a ranking curve: cumulative positives and negatives at or above a threshold.
public struct CurvePoint: Hashable, Sendable {
    /// The score threshold (rows with a score ≥ it count as positive).
    public var threshold: Double
    /// Cumulative (weighted) true positives.
    public var truePositives: Double
    /// Cumulative (weighted) false positives.
    public var falsePositives: Double
}

/// The ROC curve as scikit-learn's `roc_curve` returns it: (0, 0) at threshold +∞ first.
public struct ROCCurve: Hashable, Sendable {
    public var falsePositiveRate: [Double]
    public var truePositiveRate: [Double]
    public var thresholds: [Double]
}

/// The precision–recall curve as scikit-learn's `precision_recall_curve` returns it: thresholds
/// ascending, and a final point (precision 1, recall 0) without a threshold.
public struct PrecisionRecallCurve: Hashable, Sendable {
    public var precision: [Double]
    public var recall: [Double]
    public var thresholds: [Double]
}

/// A binary classifier's scores sorted once, with ROC AUC and average precision from one walk over the
/// tie groups; the curves walk the same order again when asked.
///
/// Unweighted rows are split by label and each side's keys radix-sorted (keys only, no row ids); with
/// weights, (key, row) pairs are sorted so each group's weights can be summed. AUC is the Mann–Whitney
/// count `2U = Σ_g N_g·(2·P_above + P_g)` with one division at the end, AP is scikit-learn's step sum
/// `Σ_k P_k·TP_k/(TP_k+FP_k) / P` (anchors-eval §6.2–6.3).
public struct BinaryRanking: Sendable {
    private enum Order: Sendable {
        case split(positives: [UInt64], negatives: [UInt64])
        case weighted(rows: [KeyedRow], labels: [UInt8], weights: [Double])
    }

    private let order: Order
    /// Total weight (or count) of positive rows.
    public let positiveWeight: Double
    /// Total weight (or count) of negative rows.
    public let negativeWeight: Double
    /// ROC AUC, undefined when only one class is present.
    public let rocAUC: MetricValue
    /// Average precision, undefined when only one class is present.
    public let averagePrecision: MetricValue

    /// Sorts the scores and computes AUC and AP.
    public init(_ predictions: BinaryPredictions) {
        if let weights = predictions.weights {
            var rows = [KeyedRow]()
            rows.reserveCapacity(predictions.count)
            for (row, score) in predictions.scores.enumerated() where weights[row] > 0 {
                rows.append(KeyedRow(key: orderKey(score), row: row))
            }
            rows.radixSort()
            order = .weighted(rows: rows, labels: predictions.labels, weights: weights)
        } else {
            var positives = [UInt64](), negatives = [UInt64]()
            positives.reserveCapacity(predictions.labels.count / 2)
            negatives.reserveCapacity(predictions.labels.count / 2)
            for (label, score) in zip(predictions.labels, predictions.scores) {
                if label == 1 { positives.append(orderKey(score)) } else { negatives.append(orderKey(score)) }
            }
            positives.radixSort()
            negatives.radixSort()
            order = .split(positives: positives, negatives: negatives)
        }
        let summary: (positive: Double, negative: Double, auc: MetricValue, ap: MetricValue)
        switch order {
        case .split(let positives, let negatives):
            summary = Self.summarize { Self.walk(positives: positives, negatives: negatives, $0) }
        case .weighted(let rows, let labels, let weights):
            summary = Self.summarize { Self.walk(rows: rows, labels: labels, weights: weights, $0) }
        }
        positiveWeight = summary.positive
        negativeWeight = summary.negative
        rocAUC = summary.auc
        averagePrecision = summary.ap
    }

    // MARK: Walks (highest score first)

    /// Calls `body(key, positives, negatives)` for each tie group of the split, sorted keys.
    @inline(__always)
    private static func walk(positives: [UInt64], negatives: [UInt64], _ body: (UInt64, UInt64, UInt64) -> Void) {
        positives.withUnsafeBufferPointer { positive in
            negatives.withUnsafeBufferPointer { negative in
                var i = positive.count &- 1
                var j = negative.count &- 1
                while i >= 0 || j >= 0 {
                    let key = i < 0 ? negative[j] : j < 0 ? positive[i] : max(positive[i], negative[j])
                    var groupPositives: UInt64 = 0
                    var groupNegatives: UInt64 = 0
                    while i >= 0, positive[i] == key { groupPositives &+= 1; i &-= 1 }
                    while j >= 0, negative[j] == key { groupNegatives &+= 1; j &-= 1 }
                    body(key, groupPositives, groupNegatives)
                }
            }
        }
    }

    /// Calls `body(key, positive weight, negative weight)` for each tie group of the weighted rows.
    @inline(__always)
    static func walk(rows: [KeyedRow], labels: [UInt8], weights: [Double], _ body: (UInt64, Double, Double) -> Void) {
        var index = rows.count - 1
        while index >= 0 {
            let key = rows[index].key
            var positive = 0.0, negative = 0.0
            while index >= 0, rows[index].key == key {
                let row = rows[index].row
                if labels[row] == 1 { positive += weights[row] } else { negative += weights[row] }
                index -= 1
            }
            body(key, positive, negative)
        }
    }

    static func summarize<Amount: GroupAmount>(
        _ walk: ((UInt64, Amount, Amount) -> Void) -> Void
    ) -> (positive: Double, negative: Double, auc: MetricValue, ap: MetricValue) {
        var twoU: Amount = 0
        var positivesAbove: Amount = 0
        var negativesAbove: Amount = 0
        var precisionSum = CompensatedSum()
        walk { _, positives, negatives in
            twoU += negatives * (2 * positivesAbove + positives)
            positivesAbove += positives
            negativesAbove += negatives
            if positives > 0 {
                let truePositives = positivesAbove.doubleValue
                precisionSum.add(positives.doubleValue * (truePositives / (truePositives + negativesAbove.doubleValue)))
            }
        }
        let positive = positivesAbove.doubleValue, negative = negativesAbove.doubleValue
        guard positive > 0, negative > 0 else {
            let reason = positive > 0 ? "only positive labels are present" : "only negative labels are present"
            return (positive, negative, .undefined(reason), .undefined(reason))
        }
        return (positive, negative, .value(twoU.doubleValue / (2 * positive * negative)), .value(precisionSum.value / positive))
    }

    /// Cumulative counts at each distinct threshold, highest first (scikit-learn's `_binary_clf_curve`).
    public func thresholdPoints() -> [CurvePoint] {
        var points: [CurvePoint] = []
        var truePositives = 0.0, falsePositives = 0.0
        func add(_ key: UInt64, _ positives: Double, _ negatives: Double) {
            truePositives += positives
            falsePositives += negatives
            points.append(CurvePoint(threshold: score(fromKey: key), truePositives: truePositives, falsePositives: falsePositives))
        }
        switch order {
        case .split(let positives, let negatives):
            Self.walk(positives: positives, negatives: negatives) { add($0, Double($1), Double($2)) }
        case .weighted(let rows, let labels, let weights):
            Self.walk(rows: rows, labels: labels, weights: weights) { add($0, $1, $2) }
        }
        return points
    }

    /// The ROC curve; `dropIntermediate` drops points on straight segments as scikit-learn does by default.
    /// Nil when only one class is present.
    public func rocCurve(dropIntermediate: Bool = true) -> ROCCurve? {
        guard positiveWeight > 0, negativeWeight > 0 else { return nil }
        var points = thresholdPoints()
        if dropIntermediate, points.count > 2 {
            var kept = [points[0]]
            for index in 1..<(points.count - 1) {
                let (before, point, after) = (points[index - 1], points[index], points[index + 1])
                let bendsFP = (after.falsePositives - point.falsePositives) - (point.falsePositives - before.falsePositives) != 0
                let bendsTP = (after.truePositives - point.truePositives) - (point.truePositives - before.truePositives) != 0
                if bendsFP || bendsTP { kept.append(point) }
            }
            kept.append(points[points.count - 1])
            points = kept
        }
        let lastFP = points.last?.falsePositives ?? 1, lastTP = points.last?.truePositives ?? 1
        return ROCCurve(
            falsePositiveRate: [0] + points.map { $0.falsePositives / lastFP },
            truePositiveRate: [0] + points.map { $0.truePositives / lastTP },
            thresholds: [.infinity] + points.map(\.threshold)
        )
    }

    /// The precision–recall curve. Nil when only one class is present.
    public func precisionRecallCurve() -> PrecisionRecallCurve? {
        guard positiveWeight > 0, negativeWeight > 0 else { return nil }
        let points = thresholdPoints()
        let lastTP = points.last?.truePositives ?? 1
        let reversed = points.reversed()
        return PrecisionRecallCurve(
            precision: reversed.map { point in
                let predicted = point.truePositives + point.falsePositives
                return predicted == 0 ? 1 : point.truePositives / predicted
            } + [1],
            recall: reversed.map { $0.truePositives / lastTP } + [0],
            thresholds: reversed.map(\.threshold)
        )
    }
}
