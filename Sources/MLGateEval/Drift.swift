#if canImport(Glibc)
import Glibc
#endif

/// Distribution drift between a reference sample (what a model was trained on) and a current one (what production
/// sends): the statistics Evidently and Azure ML monitoring use, computed as scipy and numpy compute them, with the
/// binning, log base, smoothing and standard deviation that make each tool's number named explicitly.
public enum Drift {
    /// Whose conventions a drift number follows.
    public enum Convention: Sendable, Hashable {
        /// Evidently 0.7: Sturges bins over reference and current together, natural-log JS distance, PSI with zero
        /// shares replaced by a small value, W1 normalised by the reference's population standard deviation.
        case evidently
        /// Azure ML monitoring: Sturges bins for the smaller sample, base-2 JS distance, PSI with Laplace smoothing
        /// (each count + 1), W1 normalised by the reference's sample standard deviation.
        case azure
    }

    // MARK: - Wasserstein

    /// The first Wasserstein distance between the two samples' empirical distributions, ∫ |F_u − F_v|
    /// (`scipy.stats.wasserstein_distance(u, v)`). Nil when either is empty or holds a NaN.
    public static func wasserstein1(_ u: [Double], _ v: [Double]) -> Double? {
        guard let u = SortedSample(u), let v = SortedSample(v) else { return nil }
        return wasserstein1(u, v)
    }

    /// W1 of two sorted samples, as the area between their quantile functions, ∫₀¹ |F_u⁻¹(t) − F_v⁻¹(t)| dt: the
    /// same area as between the distribution functions, but its steps come at the known points i/m and j/n, so the
    /// walk compares positions instead of values, and samples of one size are an element-wise sum.
    public static func wasserstein1(_ u: SortedSample, _ v: SortedSample) -> Double {
        let m = u.count, n = v.count
        return u.values.withUnsafeBufferPointer { a in
            v.values.withUnsafeBufferPointer { b in
                if m == n { return FastSums.compensatedSum(n) { abs(a[$0] - b[$0]) } / Double(n) }
                // Positions in units of 1/(m·n): a's i-th value holds up to (i + 1)·n, b's j-th up to (j + 1)·m.
                var total = CompensatedSum()
                var i = 0, j = 0, position = 0
                while i < m, j < n {
                    let endA = (i + 1) * n, endB = (j + 1) * m
                    let end = min(endA, endB)
                    total.add(abs(a[i] - b[j]) * Double(end - position))
                    position = end
                    if endA == end { i += 1 }
                    if endB == end { j += 1 }
                }
                return total.value / (Double(m) * Double(n))
            }
        }
    }

    /// W1 divided by the reference's standard deviation (at least 0.001): Evidently's `wasserstein_distance_norm`
    /// (population deviation, ddof 0) or Azure's normalised Wasserstein (sample deviation, ddof 1).
    public static func normalizedWasserstein(reference: [Double], current: [Double], convention: Convention) -> Double? {
        guard let reference = SortedSample(reference), let current = SortedSample(current) else { return nil }
        return normalizedWasserstein(reference: reference, current: current, convention: convention)
    }

    /// The normalised W1 of two sorted samples.
    public static func normalizedWasserstein(reference: SortedSample, current: SortedSample, convention: Convention) -> Double {
        let deviation = standardDeviation(reference.values, ddof: convention == .evidently ? 0 : 1) ?? 0
        return wasserstein1(reference, current) / max(deviation, 0.001)
    }

    /// The standard deviation with `ddof` degrees of freedom removed (`np.std(x, ddof=…)`); nil when too short.
    public static func standardDeviation(_ values: [Double], ddof: Int) -> Double? {
        guard values.count > ddof else { return nil }
        return values.withUnsafeBufferPointer { x in
            let mean = FastSums.compensatedSum(x.count) { x[$0] } / Double(x.count)
            let squares = FastSums.compensatedSum(x.count) { (x[$0] - mean) * (x[$0] - mean) }
            return (squares / Double(x.count - ddof)).squareRoot()
        }
    }

    // MARK: - Bins

    /// Equal-width bin edges over [min, max] of `values` for `count` observations by Sturges' rule, as
    /// `np.histogram_bin_edges(values, bins="sturges")` computes them when `count` is the size of `values`
    /// (Azure passes the smaller sample's size). Nil when `values` is empty or not finite.
    public static func sturgesEdges(_ values: [Double], observations count: Int) -> [Double]? {
        guard let low = values.min(), let high = values.max(), low.isFinite, high.isFinite, count > 0 else { return nil }
        var first = low, last = high
        if first == last {
            first -= 0.5
            last += 0.5
        }
        let bins: Int
        if high > low {
            let width = (high - low) / (log2(Double(count)) + 1)
            bins = max(1, Int(((last - first) / width).rounded(.up)))
        } else {
            bins = 1
        }
        // np.linspace: i·step + start, the last edge exactly `last`.
        let step = (last - first) / Double(bins)
        var edges = (0...bins).map { Double($0) * step + first }
        edges[bins] = last
        return edges
    }

    /// How many of `values` fall in each bin (`np.histogram(values, edges)` for equal-width edges: half-open bins,
    /// the last one closed; values outside are not counted).
    public static func histogram(_ values: [Double], edges: [Double]) -> [Int] {
        guard edges.count >= 2, let first = edges.first, let last = edges.last else { return [] }
        let bins = edges.count - 1
        var counts = [Int](repeating: 0, count: bins)
        let norm = Double(bins) / (last - first)
        for value in values where value >= first && value <= last {
            var index = Int((value - first) * norm)
            if index == bins { index -= 1 }
            if value < edges[index] { index -= 1 }
            if index != bins - 1, value >= edges[index + 1] { index += 1 }
            counts[index] += 1
        }
        return counts
    }

    /// The shares of each sample per bin, by `convention`'s binning (`binnedCounts`, each count over its sample's size).
    public static func binnedShares(reference: [Double], current: [Double], convention: Convention) -> (reference: [Double], current: [Double])? {
        guard let counts = binnedCounts(reference: reference, current: current, convention: convention) else { return nil }
        return (counts.reference.map { Double($0) / Double(reference.count) }, counts.current.map { Double($0) / Double(current.count) })
    }

    /// The counts of each sample per bin, by `convention`'s binning: numbers with more than 20 distinct reference
    /// values (any numbers, for Azure) in Sturges bins; anything else one bin per distinct value of both together.
    public static func binnedCounts(reference: [Double], current: [Double], convention: Convention) -> (reference: [Int], current: [Int])? {
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let distinct = Set(reference).count
        if distinct > 20 || convention == .azure {
            let observations = convention == .evidently ? reference.count + current.count : min(reference.count, current.count)
            guard let edges = sturgesEdges(reference + current, observations: observations) else { return nil }
            return (histogram(reference, edges: edges), histogram(current, edges: edges))
        }
        let counts = categoryCounts(reference: reference, current: current)
        return (counts.reference, counts.current)
    }

    /// Each sample's count per distinct value of both, the values in ascending order (one bin per category).
    public static func categoryCounts(reference: [Double], current: [Double]) -> (values: [Double], reference: [Int], current: [Int]) {
        if let counts = codeCounts(reference, current) { return counts }
        let values = Set(reference + current).sorted()
        // −0 and +0 are one value, as in the set.
        func key(_ value: Double) -> UInt64 { (value == 0 ? 0 : value).bitPattern }
        var r = [UInt64: Int](), c = [UInt64: Int]()
        for value in reference { r[key(value), default: 0] += 1 }
        for value in current { c[key(value), default: 0] += 1 }
        return (values, values.map { r[key($0)] ?? 0 }, values.map { c[key($0)] ?? 0 })
    }

    /// Whether `value` is a whole number in 0..<65,536: a category's code, which counting and encoding give a slot of
    /// its own instead of a hash-table entry.
    @inline(__always)
    public static func isCategoryCode(_ value: Double) -> Bool {
        value >= 0 && value < 65_536 && value == value.rounded(.towardZero)
    }

    /// `categoryCounts` when every value is a whole number below 65,536 (the codes a drift check gives categories):
    /// a slot per value instead of a set and two dictionaries. Nil for any other values.
    private static func codeCounts(_ reference: [Double], _ current: [Double]) -> (values: [Double], reference: [Int], current: [Int])? {
        var largest = 0.0
        for value in [reference, current].joined() {
            guard isCategoryCode(value) else { return nil }
            largest = max(largest, value)
        }
        var r = [Int](repeating: 0, count: Int(largest) + 1), c = r
        for value in reference { r[Int(value)] += 1 }
        for value in current { c[Int(value)] += 1 }
        let seen = r.indices.filter { r[$0] + c[$0] > 0 }
        return (seen.map(Double.init), seen.map { r[$0] }, seen.map { c[$0] })
    }

    // MARK: - PSI and Jensen–Shannon

    /// The population stability index Σ (r − c)·ln(r / c) over bins, from bin counts, with `convention`'s handling
    /// of empty bins: Evidently replaces a zero share by the smallest non-zero share / 10⁶ (or 10⁻⁴ when that share
    /// is above 10⁻⁴), per sample; Azure adds one to every count (shares (n + 1) / (N + bins)).
    public static func psi(reference: [Int], current: [Int], convention: Convention) -> Double? {
        guard reference.count == current.count, !reference.isEmpty else { return nil }
        let r: [Double], c: [Double]
        switch convention {
        case .azure:
            let nr = Double(reference.reduce(0, +) + reference.count), nc = Double(current.reduce(0, +) + current.count)
            r = reference.map { Double($0 + 1) / nr }
            c = current.map { Double($0 + 1) / nc }
        case .evidently:
            let nr = Double(reference.reduce(0, +)), nc = Double(current.reduce(0, +))
            guard nr > 0, nc > 0 else { return nil }
            r = fillZeroes(reference.map { Double($0) / nr })
            c = fillZeroes(current.map { Double($0) / nc })
        }
        var total = CompensatedSum()
        for index in r.indices { total.add((r[index] - c[index]) * log(r[index] / c[index])) }
        return total.value
    }

    /// Evidently's zero fill: each zero share becomes the smallest non-zero share / 10⁶, or 10⁻⁴ when that is above 10⁻⁴.
    static func fillZeroes(_ shares: [Double]) -> [Double] {
        guard let smallest = shares.filter({ $0 != 0 }).min() else { return shares }
        let fill = smallest <= 0.0001 ? smallest / 1_000_000 : 0.0001
        return shares.map { $0 == 0 ? fill : $0 }
    }

    /// The Jensen–Shannon distance √(JSD / 2)·… between two distributions given as weights per bin
    /// (`scipy.spatial.distance.jensenshannon(p, q, base)`): natural log without `base` (Evidently), base 2 (Azure).
    public static func jensenShannon(_ p: [Double], _ q: [Double], base: Double? = nil) -> Double? {
        guard p.count == q.count, !p.isEmpty else { return nil }
        let sp = p.reduce(0, +), sq = q.reduce(0, +)
        guard sp > 0, sq > 0 else { return nil }
        var left = CompensatedSum(), right = CompensatedSum()
        for index in p.indices {
            let a = p[index] / sp, b = q[index] / sq
            let m = (a + b) / 2
            left.add(relativeEntropy(a, m))
            right.add(relativeEntropy(b, m))
        }
        var divergence = left.value + right.value
        if let base { divergence /= log(base) }
        return (divergence / 2).squareRoot()
    }

    /// `scipy.special.rel_entr(x, y)`: x·ln(x / y), 0 at x = 0.
    static func relativeEntropy(_ x: Double, _ y: Double) -> Double {
        if x > 0, y > 0 { return x * log(x / y) }
        if x == 0, y >= 0 { return 0 }
        return .infinity
    }

    // MARK: - χ²

    /// Pearson's χ² goodness of fit of `observed` counts against `expected` ones (`scipy.stats.chisquare`): the
    /// statistic Σ (o − e)² / e, its degrees of freedom (bins − 1) and the p-value P(χ² ≥ statistic). Nil when the
    /// lengths differ, fewer than two bins, or an expected count is not positive.
    public static func chiSquare(observed: [Double], expected: [Double]) -> (statistic: Double, degreesOfFreedom: Int, pValue: Double)? {
        guard observed.count == expected.count, observed.count >= 2, expected.allSatisfy({ $0 > 0 }) else { return nil }
        var statistic = CompensatedSum()
        for index in observed.indices {
            let difference = observed[index] - expected[index]
            statistic.add(difference * difference / expected[index])
        }
        let degrees = observed.count - 1
        return (statistic.value, degrees, regularizedUpperGamma(Double(degrees) / 2, statistic.value / 2))
    }

    /// Evidently's χ² drift test of a categorical column: current counts against reference counts scaled to the
    /// current sample's size, over the categories of both.
    public static func chiSquare(reference: [Double], current: [Double]) -> (statistic: Double, degreesOfFreedom: Int, pValue: Double)? {
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let counts = categoryCounts(reference: reference, current: current)
        let scale = Double(current.count) / Double(reference.count)
        return chiSquare(observed: counts.current.map(Double.init), expected: counts.reference.map { Double($0) * scale })
    }

    /// Q(a, x) = Γ(a, x) / Γ(a), the χ² survival function's core (Cephes `igamc`): a series below a + 1, Lentz's
    /// continued fraction above.
    public static func regularizedUpperGamma(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0 else { return .nan }
        if x == 0 { return 1 }
        if x.isInfinite { return 0 }
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            // P(a, x) by its series; Q = 1 − P.
            var term = 1 / a, sum = term, n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-17 { break }
            }
            return 1 - sum * exp(logPrefix)
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-17 { break }
        }
        return exp(logPrefix) * h
    }
}
