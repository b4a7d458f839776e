#if canImport(Glibc)
import Glibc
#endif

/// McNemar's test on paired correctness at a threshold: `b` rows the candidate gets right and the
/// baseline wrong, `c` the reverse. Exact binomial (statsmodels' default) when b + c < 25, otherwise χ²
/// with the continuity correction.
public struct McNemarTest: Hashable, Sendable {
    /// Rows the candidate classifies correctly and the baseline does not.
    public let candidateOnlyCorrect: Int
    /// Rows the baseline classifies correctly and the candidate does not.
    public let baselineOnlyCorrect: Int
    /// Whether the exact binomial form was used.
    public let exact: Bool
    /// min(b, c) for the exact test, the corrected χ² otherwise.
    public let statistic: Double
    /// Two-sided p-value.
    public let pValue: Double
    /// Rows compared.
    public let count: Int

    /// Below this many discordant pairs the exact binomial test is used.
    public static let exactBelow = 25

    /// Compares the two models' predictions (score ≥ threshold) against the labels.
    public init(labels: [UInt8], candidate: [Double], baseline: [Double], threshold: Double = 0.5) throws(EvalError) {
        _ = try BinaryPredictions(labels: labels, scores: candidate)
        _ = try BinaryPredictions(labels: labels, scores: baseline)
        var b = 0, c = 0
        for row in 0..<labels.count {
            let positive = labels[row] == 1
            let candidateRight = (candidate[row] >= threshold) == positive
            let baselineRight = (baseline[row] >= threshold) == positive
            if candidateRight, !baselineRight { b += 1 } else if !candidateRight, baselineRight { c += 1 }
        }
        self.init(candidateOnlyCorrect: b, baselineOnlyCorrect: c, count: labels.count)
    }

    /// The test from the discordant counts.
    public init(candidateOnlyCorrect b: Int, baselineOnlyCorrect c: Int, count: Int) {
        candidateOnlyCorrect = b
        baselineOnlyCorrect = c
        self.count = count
        let discordant = b + c
        exact = discordant < Self.exactBelow
        if exact {
            let k = min(b, c)
            var tail = 0.0
            for i in 0...k {
                tail += exp(lgamma(Double(discordant + 1)) - lgamma(Double(i + 1)) - lgamma(Double(discordant - i + 1)) - Double(discordant) * log(2.0))
            }
            statistic = Double(k)
            pValue = min(1, 2 * tail)
        } else {
            let difference = Double(abs(b - c)) - 1
            statistic = difference * difference / Double(discordant)
            pValue = erfc((statistic / 2).squareRoot())
        }
    }
}
