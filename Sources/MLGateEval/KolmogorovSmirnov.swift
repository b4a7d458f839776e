#if canImport(Glibc)
import Glibc
#endif

/// The two-sample Kolmogorov–Smirnov test, two-sided, as `scipy.stats.ks_2samp(method="auto")` computes it: the
/// statistic D = max |F_ref − F_cur| over the pooled values (ties counted as equal), and its p-value exact when the
/// larger sample has at most 10,000 values (lattice paths, in a recursion for the p-value itself that keeps its
/// precision; equal to scipy's within 1e-10), else Kolmogorov's limiting distribution with Stephens' correction
/// (within a few percent of scipy's, which uses the exact one-sample distribution there).
public struct KolmogorovSmirnovTest: Hashable, Sendable {
    /// How the p-value was computed.
    public enum Method: String, Sendable, Hashable {
        case exact, asymptotic
    }

    /// The largest absolute difference of the two empirical distribution functions.
    public let statistic: Double
    /// P(D ≥ statistic) under the hypothesis that both samples come from one distribution.
    public let pValue: Double
    /// Exact or asymptotic.
    public let method: Method

    /// Samples larger than this get the asymptotic p-value (scipy's `MAX_AUTO_N`).
    public static let exactLimit = 10_000

    /// The test of `reference` against `current`; nil when either is empty or holds a NaN.
    public init?(reference: [Double], current: [Double]) {
        guard let reference = SortedSample(reference), let current = SortedSample(current) else { return nil }
        self.init(reference: reference, current: current)
    }

    /// The test of two sorted samples.
    public init(reference: SortedSample, current: SortedSample) {
        let a = reference.values, b = current.values
        let m = a.count, n = b.count
        // D over the pooled values: at each value, the share of each sample at or below it.
        var d = 0.0, i = 0, j = 0
        while i < m || j < n {
            let value = i < m && (j >= n || a[i] <= b[j]) ? a[i] : b[j]
            while i < m, a[i] <= value { i += 1 }
            while j < n, b[j] <= value { j += 1 }
            d = max(d, abs(Double(i) / Double(m) - Double(j) / Double(n)))
        }
        if max(m, n) <= Self.exactLimit, let exact = Self.exact(m, n, d) {
            statistic = exact.d
            pValue = min(max(exact.p, 0), 1)
            method = .exact
        } else {
            statistic = d
            let (large, small) = (Double(max(m, n)), Double(min(m, n)))
            // Stephens' finite-sample correction of Kolmogorov's limit (scipy uses the exact one-sample distribution
            // at n = round(mn/(m+n)); the two agree within a few percent at the sizes that get here).
            let root = (large * small / (large + small)).squareRoot()
            pValue = min(max(Self.kolmogorovSurvival((root + 0.12 + 0.11 / root) * d), 0), 1)
            method = .asymptotic
        }
    }

    /// The exact two-sided p-value, with D rounded to the lattice (a multiple of 1 / lcm(m, n)).
    static func exact(_ m: Int, _ n: Int, _ d: Double) -> (d: Double, p: Double)? {
        let g = gcd(m, n)
        let lcm = (m / g) * n
        let h = Int((d * Double(lcm)).rounded(.toNearestOrEven))
        let rounded = Double(h) / Double(lcm)
        if h == 0 { return (rounded, 1) }
        let p = m == n ? outsideSquare(n, h) : outsideBand(m, n, g, h)
        return p.isFinite ? (rounded, p) : nil
    }

    /// P(D ≥ h/n) for two samples of n: 2·Σ (−1)^(k−1)·C(2n, n − kh) / C(2n, n), each ratio a product of h factors,
    /// summed from the last term back (Horner) so that no large binomial is formed.
    static func outsideSquare(_ n: Int, _ h: Int) -> Double {
        var total = 0.0
        var k = n / h
        while k >= 0 {
            var ratio = 1.0
            for j in 0..<h { ratio = Double(n - k * h - j) * ratio / Double(n + k * h + j + 1) }
            total = ratio * (1 - total)
            k -= 1
        }
        return 2 * total
    }

    /// The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m − y/n| < h/lcm, computed column by
    /// column as that share itself (Viehmann's recursion), so nothing overflows and small p-values keep their digits.
    static func outsideBand(_ m0: Int, _ n0: Int, _ g: Int, _ h: Int) -> Double {
        let (m, n) = m0 >= n0 ? (m0, n0) : (n0, m0)
        let mg = m / g, ng = n / g
        var low = 0
        var high = min(Int((Double(h) / Double(mg)).rounded(.up)), n + 1)
        var length = high - low
        var column = [Double](repeating: 1, count: min(2 * high + 2, n + 1))
        for index in low..<high { column[index] = 0 }
        for x in 1...m {
            let previousLow = low, previousLength = length
            low = min(max(Int((Double(ng * x - h) / Double(mg)).rounded(.down)) + 1, 0), n)
            high = min(Int((Double(ng * x + h) / Double(mg)).rounded(.up)), n + 1)
            if high <= low { return 1 }
            var value = low == 0 ? 0.0 : 1.0
            for offset in 0..<(high - low) {
                let y = offset + low
                value = (column[offset + low - previousLow] * Double(x) + value * Double(y)) / Double(x + y)
                column[offset] = value
            }
            length = high - low
            if previousLength > length {
                for index in length..<min(previousLength, column.count) { column[index] = 1 }
            }
        }
        return column[high - low - 1]
    }

    /// Kolmogorov's limiting distribution's survival function, P(K ≥ x).
    static func kolmogorovSurvival(_ x: Double) -> Double {
        guard x > 0 else { return 1 }
        if x < 1 {
            // 1 − √(2π)/x · Σ exp(−(2k−1)²π²/(8x²)), which converges fast for small x.
            var sum = 0.0
            for k in 1...20 {
                let odd = Double(2 * k - 1)
                sum += exp(-odd * odd * Double.pi * Double.pi / (8 * x * x))
            }
            return 1 - (2 * Double.pi).squareRoot() / x * sum
        }
        var sum = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * x * x)
            sum += (k % 2 == 1 ? term : -term)
            if term < 1e-300 { break }
        }
        return 2 * sum
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
