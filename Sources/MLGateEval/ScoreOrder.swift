/// One model's rows in descending score order with their labels and tie-group ends: the single sorted
/// view every rank computation walks — AUC, AP, the curves and threshold sweeps (`BinaryRanking`),
/// DeLong's placements (`DeLongTest`) and each bootstrap resample (`PoissonBootstrap.rankingMetrics`).
/// Built by one argsort (`ScoreSort`); nothing walking it sorts again.
public struct ScoreOrder: Sendable {
    /// The validated rows this order sorts (labels, scores, optional weights; not copied).
    public let predictions: BinaryPredictions
    /// Per position, highest score first: `row << 2 | label << 1 | groupEnd`.
    let entries: [UInt32]
    /// Number of positive rows.
    public let positiveCount: Int

    /// Sorts the predictions' scores once.
    public init(_ predictions: BinaryPredictions) {
        self.predictions = predictions
        entries = ScoreSort.descendingEntries(labels: predictions.labels, scores: predictions.scores)
        positiveCount = predictions.labels.withUnsafeBufferPointer { label in
            var total = 0
            for index in 0..<label.count { total &+= Int(label[index]) }
            return total
        }
    }

    /// Number of rows.
    public var count: Int { entries.count }
    /// Number of negative rows.
    public var negativeCount: Int { entries.count - positiveCount }

    /// One tie group of the walk: its positives and negatives (counts, or weights) and the entries it spans.
    struct Group {
        var positive: Double
        var negative: Double
        var start: Int
        var end: Int
    }

    /// Calls `body` for each tie group, highest score first, with the group's summed row weights.
    @inline(__always)
    func forEachGroup(weight: (Int) -> Double, _ body: (Group) -> Void) {
        entries.withUnsafeBufferPointer { entry in
            var group = Group(positive: 0, negative: 0, start: 0, end: 0)
            for position in 0..<entry.count {
                let value = entry[position]
                let w = weight(Int(value >> 2))
                if value & 2 != 0 { group.positive += w } else { group.negative += w }
                if value & 1 != 0 {
                    group.end = position &+ 1
                    body(group)
                    group = Group(positive: 0, negative: 0, start: position &+ 1, end: 0)
                }
            }
        }
    }

    /// The sums AUC and AP are made of: 2U = Σ_g N_g·(2·P_above + P_g), the class totals, and
    /// Σ_k P_k·TP_k/(TP_k+FP_k). Unweighted, 2U and the totals are exact integers.
    func rankingSums() -> (twoU: Double, positive: Double, negative: Double, precision: Double) {
        if let weights = predictions.weights {
            return weights.withUnsafeBufferPointer { weight in rankingSums { weight[$0] } }
        }
        var twoU: UInt64 = 0, positivesAbove = 0, negativesAbove = 0
        var precision = CompensatedSum()
        entries.withUnsafeBufferPointer { entry in
            var groupPositives = 0, groupSize = 0
            for position in 0..<entry.count {
                let value = entry[position]
                groupPositives &+= Int((value >> 1) & 1)
                groupSize &+= 1
                if value & 1 != 0 {
                    let groupNegatives = groupSize &- groupPositives
                    twoU &+= UInt64(groupNegatives) &* UInt64(2 &* positivesAbove &+ groupPositives)
                    positivesAbove &+= groupPositives
                    negativesAbove &+= groupNegatives
                    if groupPositives > 0 {
                        precision.add(Double(groupPositives) * (Double(positivesAbove) / Double(positivesAbove &+ negativesAbove)))
                    }
                    groupPositives = 0
                    groupSize = 0
                }
            }
        }
        return (Double(twoU), Double(positivesAbove), Double(negativesAbove), precision.value)
    }

    /// The same sums for any row weights (sample weights, or sample weights × bootstrap counts): the
    /// scalar form of the bootstrap's 8-lane walk, in the same order, so both give the same bits.
    @inline(__always)
    func rankingSums(weight: (Int) -> Double) -> (twoU: Double, positive: Double, negative: Double, precision: Double) {
        var positiveAbove = 0.0, negativeAbove = 0.0, twoU = 0.0, precision = 0.0
        forEachGroup(weight: weight) { group in
            twoU += group.negative * (2 * positiveAbove + group.positive)
            positiveAbove += group.positive
            negativeAbove += group.negative
            if group.positive > 0 { precision += group.positive * (positiveAbove / (positiveAbove + negativeAbove)) }
        }
        return (twoU, positiveAbove, negativeAbove, precision)
    }

    /// AUC and AP from the walk's sums; undefined when a class is missing (or weighs nothing).
    static func metrics(_ sums: (twoU: Double, positive: Double, negative: Double, precision: Double))
        -> (rocAUC: MetricValue, averagePrecision: MetricValue) {
        guard sums.positive > 0, sums.negative > 0 else {
            let reason = sums.positive > 0 ? "only positive labels are present" : "only negative labels are present"
            return (.undefined(reason), .undefined(reason))
        }
        return (.value(sums.twoU / (2 * sums.positive * sums.negative)), .value(sums.precision / sums.positive))
    }

    /// Cumulative (weighted) counts at each distinct threshold, highest first (scikit-learn's
    /// `_binary_clf_curve`; groups whose rows all weigh 0 are dropped, as scikit-learn drops zero-weight rows).
    public func thresholdPoints() -> [CurvePoint] {
        var points: [CurvePoint] = []
        var truePositives = 0.0, falsePositives = 0.0
        let scores = predictions.scores
        func collect(_ weight: (Int) -> Double) {
            entries.withUnsafeBufferPointer { entry in
                forEachGroup(weight: weight) { group in
                    guard group.positive + group.negative > 0 else { return }
                    truePositives += group.positive
                    falsePositives += group.negative
                    let row = Int(entry[group.end - 1] >> 2)
                    points.append(CurvePoint(threshold: scores[row] + 0.0, truePositives: truePositives, falsePositives: falsePositives))
                }
            }
        }
        if let weights = predictions.weights { weights.withUnsafeBufferPointer { weight in collect { weight[$0] } } } else { collect { _ in 1 } }
        return points
    }

    /// DeLong's structural components by row (Sun & Xu 2014; ties count ½): for a positive row the share of
    /// negatives it outranks, for a negative row the share of positives that outrank it. One walk; the only
    /// random access is the write of each row's component. Returns the unweighted AUC (exact 2U, one division).
    func placements(into component: UnsafeMutablePointer<Double>) -> Double {
        let m = Double(positiveCount), n = Double(negativeCount)
        var positivesAbove = 0.0, negativesAbove = 0.0
        var twoU: UInt64 = 0
        entries.withUnsafeBufferPointer { entry in
            forEachGroup(weight: { _ in 1 }) { group in
                let outranked = (n - negativesAbove - 0.5 * group.negative) / n
                let outranking = (positivesAbove + 0.5 * group.positive) / m
                for position in group.start..<group.end {
                    let value = entry[position]
                    component[Int(value >> 2)] = value & 2 != 0 ? outranked : outranking
                }
                twoU &+= UInt64(group.negative) &* UInt64(2 * positivesAbove + group.positive)
                positivesAbove += group.positive
                negativesAbove += group.negative
            }
        }
        return Double(twoU) / (2 * m * n)
    }
}
