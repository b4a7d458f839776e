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

    /// Runs the test; both classes need at least two rows. Sorts each model once (one core each).
    public init(labels: [UInt8], candidate: [Double], baseline: [Double], level: Double = 0.95) throws(EvalError) {
        let first = try BinaryPredictions(labels: labels, scores: candidate)
        let second = try BinaryPredictions(labels: labels, scores: baseline)
        let (a, b) = Parallel.pair({ ScoreOrder(first) }, { ScoreOrder(second) })
        try self.init(candidate: a, baseline: b, level: level)
    }

    /// Runs the test on two models' orders of the same rows (the orders their AUCs came from): one
    /// placement walk per model (one core each) and one pass over the rows for the covariances. Weights,
    /// if the predictions have any, are not used: the test counts rows.
    public init(candidate a: ScoreOrder, baseline b: ScoreOrder, level: Double = 0.95) throws(EvalError) {
        guard level > 0, level < 1 else { throw .badLevel(level) }
        let labels = a.predictions.labels
        guard b.count == a.count else { throw .lengthMismatch(what: "baseline scores", expected: a.count, actual: b.count) }
        guard b.predictions.labels == labels else { throw .differentLabels }
        let m = a.positiveCount, n = a.negativeCount
        guard m >= 2, n >= 2 else { throw .tooFewPerClass(positives: m, negatives: n) }
        let count = a.count
        let components = allocateLarge(Double.self, count: 2 * count)
        defer { deallocateLarge(components) }
        let (aucA, aucB) = Parallel.pair({ a.placements(into: components) }, { b.placements(into: components + count) })
        let sums = labels.withUnsafeBufferPointer { label in
            Self.covariances(components, components + count, label.baseAddress.map { UnsafePointer($0) }, count: count)
        }
        let positives = Double(m), negatives = Double(n)
        candidateVariance = sums.positive.aa / positives + sums.negative.aa / negatives
        baselineVariance = sums.positive.bb / positives + sums.negative.bb / negatives
        covariance = sums.positive.ab / positives + sums.negative.ab / negatives
        candidateAUC = aucA
        baselineAUC = aucB
        estimate = aucA - aucB
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
        self.count = count
    }

    /// Per class, the sample covariances (divisor k − 1) of the two models' components: two passes (means,
    /// then centred products), each with 8-lane accumulators per class in a fixed order.
    private static func covariances(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ label: UnsafePointer<UInt8>?, count: Int)
        -> (positive: (aa: Double, bb: Double, ab: Double), negative: (aa: Double, bb: Double, ab: Double)) {
        guard let label else { return ((0, 0, 0), (0, 0, 0)) }
        typealias Lanes = SIMD8<Double>
        @inline(__always) func load(_ p: UnsafePointer<Double>, _ i: Int) -> Lanes {
            UnsafeRawPointer(p + i).loadUnaligned(as: Lanes.self)
        }
        @inline(__always) func mask(_ i: Int) -> Lanes {
            let bytes = UnsafeRawPointer(label + i).loadUnaligned(as: SIMD8<UInt8>.self)
            return Lanes(bytes)
        }
        // Pass 1: per-class sums of each model's components and the class sizes.
        var sumA1 = Lanes(), sumB1 = Lanes(), sumA = Lanes(), sumB = Lanes(), ones = Lanes()
        var index = 0
        while index &+ 8 <= count {
            let positive = mask(index), x = load(a, index), y = load(b, index)
            sumA1 += x * positive; sumB1 += y * positive
            sumA += x; sumB += y; ones += positive
            index &+= 8
        }
        var tail = (a1: 0.0, b1: 0.0, a: 0.0, b: 0.0, ones: 0.0)
        while index < count {
            let positive = Double(label[index])
            tail.a1 += a[index] * positive; tail.b1 += b[index] * positive
            tail.a += a[index]; tail.b += b[index]; tail.ones += positive
            index &+= 1
        }
        let m = ones.sum() + tail.ones, n = Double(count) - m
        let meanA1 = (sumA1.sum() + tail.a1) / m, meanB1 = (sumB1.sum() + tail.b1) / m
        let meanA0 = ((sumA.sum() + tail.a) - (sumA1.sum() + tail.a1)) / n
        let meanB0 = ((sumB.sum() + tail.b) - (sumB1.sum() + tail.b1)) / n
        // Pass 2: centred products, each row against its class's means.
        var aa1 = Lanes(), bb1 = Lanes(), ab1 = Lanes(), aa0 = Lanes(), bb0 = Lanes(), ab0 = Lanes()
        index = 0
        while index &+ 8 <= count {
            let positive = mask(index), negative = 1 - positive
            let x = load(a, index), y = load(b, index)
            let dx1 = x - meanA1, dy1 = y - meanB1, dx0 = x - meanA0, dy0 = y - meanB0
            aa1 += dx1 * dx1 * positive; bb1 += dy1 * dy1 * positive; ab1 += dx1 * dy1 * positive
            aa0 += dx0 * dx0 * negative; bb0 += dy0 * dy0 * negative; ab0 += dx0 * dy0 * negative
            index &+= 8
        }
        var t = (aa1: 0.0, bb1: 0.0, ab1: 0.0, aa0: 0.0, bb0: 0.0, ab0: 0.0)
        while index < count {
            if label[index] != 0 {
                let dx = a[index] - meanA1, dy = b[index] - meanB1
                t.aa1 += dx * dx; t.bb1 += dy * dy; t.ab1 += dx * dy
            } else {
                let dx = a[index] - meanA0, dy = b[index] - meanB0
                t.aa0 += dx * dx; t.bb0 += dy * dy; t.ab0 += dx * dy
            }
            index &+= 1
        }
        let positive = ((aa1.sum() + t.aa1) / (m - 1), (bb1.sum() + t.bb1) / (m - 1), (ab1.sum() + t.ab1) / (m - 1))
        let negative = ((aa0.sum() + t.aa0) / (n - 1), (bb0.sum() + t.bb0) / (n - 1), (ab0.sum() + t.ab0) / (n - 1))
        return (positive, negative)
    }
}
