#if canImport(Glibc)
import Glibc
#endif

/// xoshiro256** seeded through SplitMix64: fast, and the same stream for the same seed everywhere.
struct Xoshiro256: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }
}

/// The Poisson paired bootstrap: each resample gives every row a weight drawn from Poisson(1), the same
/// weights for every model, so a difference between models is resampled as a pair. Streams, needs no
/// index arrays, and is deterministic for a seed (anchors-eval §7.3).
public struct PoissonBootstrap: Sendable {
    /// Rows per resample.
    public let rows: Int
    /// Number of resamples.
    public let resamples: Int
    /// The seed; the same seed gives the same weights.
    public let seed: UInt64

    /// Poisson(1) by a 16-bit lookup: 65 536 equally likely slots, k ≥ 8 folded into 7 (P ≈ 1e-5).
    private static let table: [UInt8] = {
        var cumulative: [Double] = []
        var probability = exp(-1.0), total = 0.0
        for k in 0..<8 {
            total += k == 7 ? 1 - total : probability
            cumulative.append(total)
            probability /= Double(k + 1)
        }
        return (0..<65_536).map { slot in
            let u = (Double(slot) + 0.5) / 65_536
            return UInt8(cumulative.firstIndex { u < $0 } ?? 7)
        }
    }()

    /// A bootstrap of `resamples` weightings of `rows` rows.
    public init(rows: Int, resamples: Int, seed: UInt64) {
        self.rows = rows
        self.resamples = resamples
        self.seed = seed
    }

    /// Draws resample `index`'s counts into `counts`: how many times each row is drawn (0…7), to be used
    /// as its weight. Each resample has its own stream, seeded by (seed, index), so the draws do not depend
    /// on which thread computes which resample.
    public func draw(_ index: Int, into counts: inout [UInt8]) {
        var generator = Xoshiro256(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        if counts.count != rows { counts = [UInt8](repeating: 0, count: rows) }
        let rows = rows
        Self.table.withUnsafeBufferPointer { table in
            counts.withUnsafeMutableBufferPointer { count in
                var row = 0
                while row &+ 4 <= rows {
                    let random = generator.next()
                    count[row] = table[Int(random & 0xFFFF)]
                    count[row &+ 1] = table[Int((random >> 16) & 0xFFFF)]
                    count[row &+ 2] = table[Int((random >> 32) & 0xFFFF)]
                    count[row &+ 3] = table[Int(random >> 48)]
                    row &+= 4
                }
                var random = generator.next()
                while row < rows {
                    count[row] = table[Int(random & 0xFFFF)]
                    random >>= 16
                    row &+= 1
                }
            }
        }
    }

    /// `statistic(counts)` for every resample, in resample order, computed on both cores.
    public func map<T>(_ statistic: @escaping ([UInt8]) -> T) -> [T] {
        let results = UnsafeMutablePointer<T>.allocate(capacity: resamples)
        let threads = min(2, max(1, resamples))
        Parallel.forEach(threads) { thread in
            var counts: [UInt8] = []
            var index = thread
            while index < resamples {
                draw(index, into: &counts)
                (results + index).initialize(to: statistic(counts))
                index += threads
            }
        }
        let values = Array(UnsafeBufferPointer(start: results, count: resamples))
        results.deinitialize(count: resamples)
        results.deallocate()
        return values
    }

    /// The percentile interval of `values` at `level` (numpy's default linear interpolation), or nil when
    /// no resample gave a value.
    public static func interval(_ values: [Double], level: Double) -> ClosedRange<Double>? {
        let sorted = values.filter { $0.isFinite }.sorted()
        guard !sorted.isEmpty else { return nil }
        func quantile(_ q: Double) -> Double {
            let position = q * Double(sorted.count - 1)
            let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
            let fraction = position - Double(lower)
            return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
        }
        let tail = (1 - level) / 2
        return quantile(tail)...quantile(1 - tail)
    }
}

/// A binary model's scores sorted once with their row ids, so ROC AUC and average precision can be
/// recomputed for any row weights in one O(n) walk (no sort per resample).
public struct ResamplableRanking: Sendable {
    private let walk: SortedWalk

    /// Sorts `scores` once.
    public init(labels: [UInt8], scores: [Double]) {
        walk = SortedWalk(labels: labels, scores: scores)
    }

    /// AUC and AP with these row weights (one per row, in the original row order).
    public func metrics(weights: [Double]) -> (rocAUC: MetricValue, averagePrecision: MetricValue) {
        let (_, _, auc, ap) = BinaryRanking.metrics(walk.rankingSums(weights: weights))
        return (auc, ap)
    }

    /// AUC and AP with bootstrap counts as row weights.
    public func metrics(counts: [UInt8]) -> (rocAUC: MetricValue, averagePrecision: MetricValue) {
        let (_, _, auc, ap) = BinaryRanking.metrics(walk.rankingSums(counts: counts))
        return (auc, ap)
    }
}
