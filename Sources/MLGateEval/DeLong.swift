/// One model's DeLong structural components (Sun & Xu 2014): for each positive row the share of
/// negatives it outranks (ties count ½), for each negative the share of positives that outrank it.
struct DeLongComponents {
    /// Per row: V10 for a positive row, V01 for a negative one.
    var components: [Double]
    /// The model's AUC, from the exact Mann–Whitney count.
    var auc: Double

    /// One radix argsort, then one ascending walk over the tie groups.
    init(labels: [UInt8], scores: [Double], positives: Int, negatives: Int) {
        var rows = scores.enumerated().map { KeyedRow(key: orderKey($0.element), row: $0.offset) }
        rows.radixSort()
        var components = [Double](repeating: 0, count: scores.count)
        var negativesBelow = 0, positivesBelow = 0
        var twoU: UInt64 = 0
        let m = Double(positives), n = Double(negatives)
        var start = 0
        while start < rows.count {
            var end = start
            var groupPositives = 0
            while end < rows.count, rows[end].key == rows[start].key {
                groupPositives += Int(labels[rows[end].row])
                end += 1
            }
            let groupNegatives = end - start - groupPositives
            let outranked = (Double(negativesBelow) + 0.5 * Double(groupNegatives)) / n
            let outranking = 1 - (Double(positivesBelow) + 0.5 * Double(groupPositives)) / m
            for index in start..<end {
                components[rows[index].row] = labels[rows[index].row] == 1 ? outranked : outranking
            }
            twoU += UInt64(groupPositives) * UInt64(2 * negativesBelow + groupNegatives)
            negativesBelow += groupNegatives
            positivesBelow += groupPositives
            start = end
        }
        self.components = components
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
        let a = DeLongComponents(labels: labels, scores: candidate, positives: m, negatives: n)
        let b = DeLongComponents(labels: labels, scores: baseline, positives: m, negatives: n)
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
        var sumA = CompensatedSum(), sumB = CompensatedSum(), count = 0
        for row in 0..<labels.count where labels[row] == label {
            sumA.add(a[row])
            sumB.add(b[row])
            count += 1
        }
        let meanA = sumA.value / Double(count), meanB = sumB.value / Double(count)
        var aa = CompensatedSum(), bb = CompensatedSum(), ab = CompensatedSum()
        for row in 0..<labels.count where labels[row] == label {
            let da = a[row] - meanA, db = b[row] - meanB
            aa.add(da * da)
            bb.add(db * db)
            ab.add(da * db)
        }
        let divisor = Double(count - 1)
        return (aa.value / divisor, bb.value / divisor, ab.value / divisor)
    }
}
