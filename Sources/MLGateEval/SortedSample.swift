/// A sample's values in ascending order, none of them NaN: what the statistics over empirical distributions
/// (Wasserstein, Kolmogorov–Smirnov) walk. Sorting is most of their cost, so a drift check sorts each column once
/// and hands the same samples to the statistic, the data-quality rates and the report's histogram.
public struct SortedSample: Sendable {
    /// The values, ascending (a −0.0 as +0.0).
    public let values: [Double]

    /// `values` sorted; nil when empty or holding a NaN.
    public init?(_ values: [Double]) {
        guard !values.isEmpty, !values.contains(where: \.isNaN) else { return nil }
        self.values = radixSorted(values)
    }

    /// How many values there are (at least one).
    public var count: Int { values.count }
    /// The smallest value.
    public var minimum: Double { values[0] }
    /// The largest value.
    public var maximum: Double { values[values.count - 1] }

    /// How many values come before the first one for which `isAtOrPast` holds: a binary search, so `isAtOrPast`
    /// must be false up to some value and true from there on (as `{ $0 >= x }` is along ascending values).
    public func count(before isAtOrPast: (Double) -> Bool) -> Int {
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if isAtOrPast(values[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// How many values are below `x`.
    public func count(below x: Double) -> Int { count { $0 >= x } }

    /// How many values are above `x`.
    public func count(above x: Double) -> Int { values.count - count { $0 > x } }
}
