#if canImport(Glibc)
import Glibc
#endif

/// Correlation of two numeric columns over the same rows, with scipy's two-sided p-values: Pearson's r
/// (`scipy.stats.pearsonr`, p from the exact beta distribution of r) and Spearman's ρ (`scipy.stats.spearmanr`,
/// Pearson's r of average ranks, p from Student's t with n − 2 degrees of freedom).
public struct Correlation: Hashable, Sendable {
    /// The coefficient, in [−1, 1].
    public let coefficient: Double
    /// P(|R| ≥ |r|) when the columns are independent.
    public let pValue: Double
    /// Rows used.
    public let count: Int

    /// Pearson's r of `x` and `y`; nil for fewer than 2 rows, unequal lengths, a NaN, or a constant column.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Correlation? {
        guard let r = coefficient(x, y) else { return nil }
        let n = Double(x.count)
        // r ~ Beta(n/2 − 1, n/2 − 1) on [−1, 1]: p = 2·P(R ≥ |r|) = I_{(1−|r|)/2}(a, a)·2.
        let a = n / 2 - 1
        let p = x.count == 2 ? 1 : 2 * regularizedBeta(a, a, (1 - abs(r)) / 2)
        return Correlation(coefficient: r, pValue: min(max(p, 0), 1), count: x.count)
    }

    /// Spearman's ρ of `x` and `y` (ties get their average rank); nil as for `pearson`.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Correlation? {
        guard x.count == y.count, x.count >= 2, !x.contains(where: \.isNaN), !y.contains(where: \.isNaN),
              let rho = coefficient(averageRanks(x), averageRanks(y)) else { return nil }
        let degrees = Double(x.count - 2)
        guard degrees > 0, abs(rho) < 1 else { return Correlation(coefficient: rho, pValue: abs(rho) == 1 ? 0 : 1, count: x.count) }
        let t = rho * (degrees / ((1 - rho) * (1 + rho))).squareRoot()
        // Two-sided Student t tail: I_{ν/(ν+t²)}(ν/2, 1/2).
        let p = regularizedBeta(degrees / 2, 0.5, degrees / (degrees + t * t))
        return Correlation(coefficient: rho, pValue: min(max(p, 0), 1), count: x.count)
    }

    /// Pearson's coefficient, the deviations taken from the means (as scipy does), clipped to [−1, 1].
    static func coefficient(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2, !x.contains(where: \.isNaN), !y.contains(where: \.isNaN) else { return nil }
        var sx = CompensatedSum(), sy = CompensatedSum()
        for index in x.indices {
            sx.add(x[index])
            sy.add(y[index])
        }
        let mx = sx.value / Double(x.count), my = sy.value / Double(y.count)
        var xy = CompensatedSum(), xx = CompensatedSum(), yy = CompensatedSum()
        for index in x.indices {
            let dx = x[index] - mx, dy = y[index] - my
            xy.add(dx * dy)
            xx.add(dx * dx)
            yy.add(dy * dy)
        }
        guard xx.value > 0, yy.value > 0 else { return nil }
        return min(max(xy.value / (xx.value.squareRoot() * yy.value.squareRoot()), -1), 1)
    }

    /// 1-based ranks, ties sharing the average of the ranks they span (`scipy.stats.rankdata`).
    static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + end + 1) / 2
            for position in start..<end { ranks[order[position]] = rank }
            start = end
        }
        return ranks
    }

    /// The regularised incomplete beta function I_x(a, b), by Lentz's continued fraction on the side where it
    /// converges fast (x < (a + 1)/(a + b + 2)), the other side by symmetry.
    public static func regularizedBeta(_ a: Double, _ b: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedBeta(b, a, 1 - x) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let k = Double(m)
            var numerator = k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            numerator = -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(logFront) * h / a
    }
}

/// How clean a current column is against its reference: missing values, values outside the reference's range,
/// and categories the reference never had (the data-quality signals of Azure ML monitoring, as shares of rows).
public struct DataQuality: Hashable, Sendable {
    /// The share of current rows that are NaN (missing).
    public let nullRate: Double
    /// The share of current non-missing values below the reference's minimum or above its maximum.
    public let outOfRangeRate: Double
    /// The share of current non-missing values not seen in the reference (for a categorical column).
    public let newCategoryRate: Double
    /// Rows in the current column.
    public let count: Int

    /// The quality of `current` against `reference`; nil when either has no rows. The new-category rate is counted
    /// only for a `categorical` column (0 otherwise: a number unseen in the reference is no news).
    public init?(reference: [Double], current: [Double], categorical: Bool = true) {
        guard !reference.isEmpty, !current.isEmpty else { return nil }
        let known = reference.filter { !$0.isNaN }
        let present = current.filter { !$0.isNaN }
        count = current.count
        nullRate = Double(current.count - present.count) / Double(current.count)
        guard let low = known.min(), let high = known.max(), !present.isEmpty else {
            outOfRangeRate = 0
            newCategoryRate = present.isEmpty ? 0 : 1
            return
        }
        outOfRangeRate = Double(present.filter { $0 < low || $0 > high }.count) / Double(present.count)
        guard categorical else {
            newCategoryRate = 0
            return
        }
        let seen = Set(known.map(\.bitPattern))
        newCategoryRate = Double(present.filter { !seen.contains($0.bitPattern) }.count) / Double(present.count)
    }

    /// The quality of a numeric column from its present values, sorted, and the current data's row count (the rest
    /// missing): the rates `init(reference:current:categorical: false)` gives, by two binary searches.
    public init(reference: SortedSample, current: SortedSample, currentRows: Int) {
        count = currentRows
        nullRate = Double(currentRows - current.count) / Double(max(currentRows, 1))
        outOfRangeRate = Double(current.count(below: reference.minimum) + current.count(above: reference.maximum)) / Double(current.count)
        newCategoryRate = 0
    }
}
