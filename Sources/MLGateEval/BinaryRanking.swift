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
/// weights, rows are argsorted once (`SortedWalk`) so each group's weights can be summed. AUC is the
/// Mann–Whitney count `2U = Σ_g N_g·(2·P_above + P_g)` with one division at the end (exact in integers
/// when unweighted), AP is scikit-learn's step sum `Σ_k P_k·TP_k/(TP_k+FP_k) / P` (anchors-eval §6.2–6.3).
public struct BinaryRanking: Sendable {
    private enum Order: Sendable {
        case split(positives: [UInt64], negatives: [UInt64])
        case weighted(SortedWalk, weights: [Double], scores: [Double])
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
        let sums: (twoU: Double, positive: Double, negative: Double, precision: Double)
        if let weights = predictions.weights {
            let walk = SortedWalk(labels: predictions.labels, scores: predictions.scores)
            sums = walk.rankingSums(weights: weights)
            order = .weighted(walk, weights: weights, scores: predictions.scores)
        } else {
            let (positives, negatives) = Self.splitAndSort(labels: predictions.labels, scores: predictions.scores)
            sums = Self.rankingSums(positives: positives, negatives: negatives)
            order = .split(positives: positives, negatives: negatives)
        }
        (positiveWeight, negativeWeight, rocAUC, averagePrecision) = Self.metrics(sums)
    }

    /// AUC and AP from the walk's sums; undefined when a class is missing.
    static func metrics(_ sums: (twoU: Double, positive: Double, negative: Double, precision: Double))
        -> (Double, Double, MetricValue, MetricValue) {
        guard sums.positive > 0, sums.negative > 0 else {
            let reason = sums.positive > 0 ? "only positive labels are present" : "only negative labels are present"
            return (sums.positive, sums.negative, .undefined(reason), .undefined(reason))
        }
        return (sums.positive, sums.negative, .value(sums.twoU / (2 * sums.positive * sums.negative)), .value(sums.precision / sums.positive))
    }

    /// Each class's order keys, radix-sorted ascending, in arrays of exactly the right size.
    private static func splitAndSort(labels: [UInt8], scores: [Double]) -> (positives: [UInt64], negatives: [UInt64]) {
        let count = labels.count
        let positiveCount = labels.withUnsafeBufferPointer { label in
            var total = 0
            for index in 0..<count { total &+= Int(label[index]) }
            return total
        }
        let negativeCount = count - positiveCount
        var negatives: [UInt64] = []
        var positives = [UInt64](unsafeUninitializedCapacity: positiveCount) { positiveBuffer, positivesDone in
            negatives = [UInt64](unsafeUninitializedCapacity: negativeCount) { negativeBuffer, negativesDone in
                labels.withUnsafeBufferPointer { label in
                    scores.withUnsafeBufferPointer { score in
                        var p = 0, n = 0
                        for index in 0..<count {
                            let key = orderKey(score[index])
                            if label[index] == 1 { positiveBuffer[p] = key; p &+= 1 } else { negativeBuffer[n] = key; n &+= 1 }
                        }
                    }
                }
                negativesDone = negativeCount
            }
            positivesDone = positiveCount
        }
        let scratch = allocateLarge(UInt64.self, count: max(positiveCount, negativeCount))
        defer { deallocateLarge(scratch) }
        positives.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { radixSort(base, count: positiveCount, scratch: scratch) } }
        negatives.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { radixSort(base, count: negativeCount, scratch: scratch) } }
        return (positives, negatives)
    }

    /// Calls `body(key, positives, negatives)` for each tie group of two ascending key arrays, highest first.
    @inline(__always)
    private static func walk(positives: [UInt64], negatives: [UInt64], _ body: (UInt64, Int, Int) -> Void) {
        positives.withUnsafeBufferPointer { positive in
            negatives.withUnsafeBufferPointer { negative in
                var i = positive.count &- 1
                var j = negative.count &- 1
                while i >= 0 || j >= 0 {
                    let key = i < 0 ? negative[j] : j < 0 ? positive[i] : max(positive[i], negative[j])
                    let topPositive = i
                    while i >= 0, positive[i] == key { i &-= 1 }
                    let topNegative = j
                    while j >= 0, negative[j] == key { j &-= 1 }
                    body(key, topPositive &- i, topNegative &- j)
                }
            }
        }
    }

    /// The unweighted sums, with 2U exact in integers.
    private static func rankingSums(positives: [UInt64], negatives: [UInt64]) -> (twoU: Double, positive: Double, negative: Double, precision: Double) {
        var twoU: UInt64 = 0, positivesAbove = 0, negativesAbove = 0
        var precision = CompensatedSum()
        walk(positives: positives, negatives: negatives) { _, groupPositives, groupNegatives in
            twoU &+= UInt64(groupNegatives) &* UInt64(2 &* positivesAbove &+ groupPositives)
            positivesAbove &+= groupPositives
            negativesAbove &+= groupNegatives
            if groupPositives > 0 {
                precision.add(Double(groupPositives) * (Double(positivesAbove) / Double(positivesAbove &+ negativesAbove)))
            }
        }
        return (Double(twoU), Double(positivesAbove), Double(negativesAbove), precision.value)
    }

    /// Cumulative counts at each distinct threshold, highest first (scikit-learn's `_binary_clf_curve`;
    /// groups whose rows all weigh 0 are dropped, as scikit-learn drops zero-weight rows).
    public func thresholdPoints() -> [CurvePoint] {
        var points: [CurvePoint] = []
        var truePositives = 0.0, falsePositives = 0.0
        switch order {
        case .split(let positives, let negatives):
            Self.walk(positives: positives, negatives: negatives) { key, groupPositives, groupNegatives in
                truePositives += Double(groupPositives)
                falsePositives += Double(groupNegatives)
                points.append(CurvePoint(threshold: score(fromKey: key), truePositives: truePositives, falsePositives: falsePositives))
            }
        case .weighted(let walk, let weights, let scores):
            var groupPositive = 0.0, groupNegative = 0.0
            var lastRow = 0
            for position in 0..<walk.count {
                let entry = walk.entries[position]
                let row = Int(entry & ~SortedWalk.labelBit)
                lastRow = row
                if entry & SortedWalk.labelBit != 0 { groupPositive += weights[row] } else { groupNegative += weights[row] }
                if walk.groupEnds[position] != 0 {
                    if groupPositive + groupNegative > 0 {
                        truePositives += groupPositive
                        falsePositives += groupNegative
                        points.append(CurvePoint(threshold: scores[lastRow], truePositives: truePositives, falsePositives: falsePositives))
                    }
                    groupPositive = 0
                    groupNegative = 0
                }
            }
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
