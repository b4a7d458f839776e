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
    /// False positive rate at each point.
    public var falsePositiveRate: [Double]
    /// True positive rate at each point.
    public var truePositiveRate: [Double]
    /// The score threshold of each point (+∞ first).
    public var thresholds: [Double]
}

/// The precision–recall curve as scikit-learn's `precision_recall_curve` returns it: thresholds
/// ascending, and a final point (precision 1, recall 0) without a threshold.
public struct PrecisionRecallCurve: Hashable, Sendable {
    /// Precision at each point (a final 1).
    public var precision: [Double]
    /// Recall at each point (a final 0).
    public var recall: [Double]
    /// The score threshold of each point but the last, ascending.
    public var thresholds: [Double]
}

/// A binary classifier's ROC AUC and average precision from one walk over its `ScoreOrder`; the curves
/// walk the same order again when asked.
///
/// AUC is the Mann–Whitney count `2U = Σ_g N_g·(2·P_above + P_g)` with one division at the end (exact in
/// integers when unweighted), AP is scikit-learn's step sum `Σ_k P_k·TP_k/(TP_k+FP_k) / P`
/// (anchors-eval §6.2–6.3).
public struct BinaryRanking: Sendable {
    /// The sorted view the metrics came from, for DeLong and the bootstrap to reuse.
    public let order: ScoreOrder
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
        self.init(ScoreOrder(predictions))
    }

    /// AUC and AP from an order already built.
    public init(_ order: ScoreOrder) {
        self.order = order
        let sums = order.rankingSums()
        positiveWeight = sums.positive
        negativeWeight = sums.negative
        (rocAUC, averagePrecision) = ScoreOrder.metrics(sums)
    }

    /// Cumulative counts at each distinct threshold, highest first (see `ScoreOrder.thresholdPoints`).
    public func thresholdPoints() -> [CurvePoint] { order.thresholdPoints() }

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
