/// One model's DeLong structural components (Sun & Xu 2014): for each positive row the share of
/// negatives it outranks (ties count ½), for each negative the share of positives that outrank it.
struct DeLongComponents {
    /// Per row: V10 for a positive row, V01 for a negative one.
    var components: [Double]
    /// The model's AUC, from the exact Mann–Whitney count.
    var auc: Double

    /// One radix argsort, then one walk over the tie groups, highest score first.
    init(labels: [UInt8], scores: [Double], positives: Int, negatives: Int) {
        let walk = SortedWalk(labels: labels, scores: scores)
        let m = Double(positives), n = Double(negatives)
        var twoU: UInt64 = 0
        components = [Double](unsafeUninitializedCapacity: scores.count) { component, initialized in
            walk.entries.withUnsafeBufferPointer { entry in
                walk.groupEnds.withUnsafeBufferPointer { end in
                    var positivesAbove = 0, negativesAbove = 0
                    var start = 0
                    while start < entry.count {
                        var stop = start
                        var groupPositives = 0
                        while true {
                            groupPositives &+= Int(entry[stop] >> 31)
                            stop &+= 1
                            if end[stop &- 1] != 0 { break }
                        }
                        let groupNegatives = stop &- start &- groupPositives
                        // Shares with ties counted ½: negatives a positive outranks, positives that outrank a negative.
                        let outranked = (n - Double(negativesAbove) - 0.5 * Double(groupNegatives)) / n
                        let outranking = (Double(positivesAbove) + 0.5 * Double(groupPositives)) / m
                        for position in start..<stop {
                            let value = entry[position]
                            component[Int(value & ~SortedWalk.labelBit)] = value >> 31 != 0 ? outranked : outranking
                        }
                        twoU &+= UInt64(groupNegatives) &* UInt64(2 &* positivesAbove &+ groupPositives)
                        positivesAbove &+= groupPositives
                        negativesAbove &+= groupNegatives
                        start = stop
                    }
                }
            }
            initialized = scores.count
        }
        auc = Double(twoU) / (2 * m * n)
    }
}

/// DeLong's test for the AUCs of two models scored on the same rows (fast DeLong, Sun & Xu 2014),
/// two-sided, with a confidence interval for the difference.
public struct DeLongTest: Hashable, Sendable {
    /// The candidate's AUC.
    public let candidateAUC: Double
    /// The baseline's AUC.
    public let baselineAUC: Double
    /// Candidate minus baseline.
    public let estimate: Double
    /// Variance of the candidate's AUC, of the baseline's, and their covariance.
    public let candidateVariance: Double, baselineVariance: Double, covariance: Double
    /// The z statistic; nil when the difference has no variance (e.g. identical rankings).
    public let z: Double?
    /// Two-sided p-value; 1 when both models rank every pair alike.
    public let pValue: Double
    /// The confidence interval for `estimate` at `level`.
    public let confidenceInterval: ClosedRange<Double>
    /// The confidence level of the interval.
    public let level: Double
    /// Rows used.
    public let count: Int

    /// Runs the test; both classes need at least two rows.
    public init(labels: [UInt8], candidate: [Double], baseline: [Double], level: Double = 0.95) throws(EvalError) {
        guard level > 0, level < 1 else { throw .badLevel(level) }
        let first = try BinaryPredictions(labels: labels, scores: candidate)
        _ = try BinaryPredictions(labels: labels, scores: baseline)
        let m = first.labels.reduce(0) { $0 + Int($1) }, n = labels.count - m
        guard m >= 2, n >= 2 else { throw .tooFewPerClass(positives: m, negatives: n) }
        // The two models' sorts and walks are independent: one core each.
        let (a, b) = Parallel.pair({ DeLongComponents(labels: labels, scores: candidate, positives: m, negatives: n) },
                                   { DeLongComponents(labels: labels, scores: baseline, positives: m, negatives: n) })
        let positive = Self.covariance(a.components, b.components, labels: labels, label: 1)
        let negative = Self.covariance(a.components, b.components, labels: labels, label: 0)
        candidateVariance = positive.aa / Double(m) + negative.aa / Double(n)
        baselineVariance = positive.bb / Double(m) + negative.bb / Double(n)
        covariance = positive.ab / Double(m) + negative.ab / Double(n)
        candidateAUC = a.auc
        baselineAUC = b.auc
        estimate = a.auc - b.auc
        let variance = max(0, candidateVariance + baselineVariance - 2 * covariance)
        let standardError = variance.squareRoot()
        if variance > 0 {
            let statistic = estimate / standardError
            z = statistic
            pValue = Normal.twoSidedPValue(statistic)
        } else {
            z = nil
            pValue = estimate == 0 ? 1 : 0
        }
        let half = Normal.quantile(1 - (1 - level) / 2) * standardError
        confidenceInterval = (estimate - half)...(estimate + half)
        self.level = level
        count = labels.count
    }

    /// Sample covariances (divisor k − 1) of two models' components over the rows with `label`.
    private static func covariance(_ a: [Double], _ b: [Double], labels: [UInt8], label: UInt8) -> (aa: Double, bb: Double, ab: Double) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                labels.withUnsafeBufferPointer { labels in
                    guard let a = a.baseAddress, let b = b.baseAddress, let l = labels.baseAddress else { return (0, 0, 0) }
                    let count = labels.count
                    @inline(__always) func member(_ i: Int) -> Double { l[i] == label ? 1 : 0 }
                    let members = FastSums.sum(count, member)
                    let meanA = FastSums.sum(count) { a[$0] * member($0) } / members
                    let meanB = FastSums.sum(count) { b[$0] * member($0) } / members
                    let divisor = members - 1
                    return (FastSums.sum(count) { let d = a[$0] - meanA; return d * d * member($0) } / divisor,
                            FastSums.sum(count) { let d = b[$0] - meanB; return d * d * member($0) } / divisor,
                            FastSums.sum(count) { (a[$0] - meanA) * (b[$0] - meanB) * member($0) } / divisor)
                }
            }
        }
    }
}
