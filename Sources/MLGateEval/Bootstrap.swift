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

/// A binary model's scores sorted once (a `ScoreOrder`), so ROC AUC and average precision can be
/// recomputed for any row weights in one O(n) walk (no sort per resample).
public struct ResamplableRanking: Sendable {
    /// The order every recomputation walks.
    public let order: ScoreOrder

    /// Sorts `scores` once; the caller has validated them (labels 0/1, finite scores, as `BinaryPredictions` checks).
    public init(labels: [UInt8], scores: [Double]) {
        order = ScoreOrder(BinaryPredictions(validated: labels, scores: scores))
    }

    /// Wraps an order already built.
    public init(_ order: ScoreOrder) { self.order = order }

    /// AUC and AP with these row weights (one per row, in the original row order).
    public func metrics(weights: [Double]) -> (rocAUC: MetricValue, averagePrecision: MetricValue) {
        ScoreOrder.metrics(weights.withUnsafeBufferPointer { weight in order.rankingSums { weight[$0] } })
    }

    /// AUC and AP with bootstrap counts as row weights.
    public func metrics(counts: [UInt8]) -> (rocAUC: MetricValue, averagePrecision: MetricValue) {
        ScoreOrder.metrics(counts.withUnsafeBufferPointer { count in order.rankingSums { Double(count[$0]) } })
    }
}

/// One resample's ranking metrics for one model.
public struct RankingDraw: Sendable, Hashable {
    /// ROC AUC under the resample's weights.
    public var rocAUC: MetricValue
    /// Average precision under the resample's weights (undefined when not asked for).
    public var averagePrecision: MetricValue
}

extension PoissonBootstrap {
    /// Resamples per walk: one SIMD lane each (see `drawBlock` for why two).
    static let lanes = 2

    /// AUC (and AP when asked) of every model for every resample, `result[model][resample]`, from the
    /// models' fixed orders: per block of `lanes` resamples the weights of every row are drawn into one byte
    /// (the same draws as `draw(_:into:)`), then each order is walked once with SIMD accumulators, one lane
    /// per resample.
    /// Each lane's arithmetic is the scalar walk's (`ScoreOrder.rankingSums(weight:)`), so results are the
    /// same bits whatever the thread split. Blocks go to both cores; the orders' sample weights, if any,
    /// multiply the counts. Every order must be of this bootstrap's `rows` rows.
    public func rankingMetrics(_ orders: [ScoreOrder], averagePrecision: Bool = true) -> [[RankingDraw]] {
        let blocks = (resamples + Self.lanes - 1) / Self.lanes
        let undefined = RankingDraw(rocAUC: .undefined("not computed"), averagePrecision: .undefined("not computed"))
        let results = UnsafeMutablePointer<RankingDraw>.allocate(capacity: max(1, orders.count * resamples))
        results.initialize(repeating: undefined, count: orders.count * resamples)
        defer { results.deinitialize(count: orders.count * resamples); results.deallocate() }
        guard orders.allSatisfy({ $0.count == rows }), rows > 0 else {
            return orders.map { _ in [RankingDraw](repeating: undefined, count: resamples) }
        }
        let threads = min(2, blocks)
        Parallel.forEach(threads) { thread in
            let weights = allocateLarge(UInt8.self, count: rows)
            defer { deallocateLarge(weights) }
            var block = thread
            while block < blocks {
                let first = block * Self.lanes
                drawBlock(first: first, into: weights)
                for (model, order) in orders.enumerated() {
                    let sums = order.predictions.weights.map { base in
                        base.withUnsafeBufferPointer { base in Self.walk(order, weights, precision: averagePrecision) { base[$0] } }
                    } ?? Self.walk(order, weights, precision: averagePrecision) { _ in 1 }
                    for lane in 0..<min(Self.lanes, resamples - first) {
                        let (auc, ap) = ScoreOrder.metrics((sums.twoU[lane], sums.positive[lane], sums.negative[lane], sums.precision[lane]))
                        (results + model * resamples + first + lane).pointee = RankingDraw(
                            rocAUC: auc, averagePrecision: averagePrecision ? ap : .undefined("not computed"))
                    }
                }
                block += threads
            }
        }
        return (0..<orders.count).map { model in Array(UnsafeBufferPointer(start: results + model * resamples, count: resamples)) }
    }

    /// Draws resamples `first ..< first + lanes` into one 4-bit count per lane of each row's byte (lane 0 low,
    /// lane 1 high; counts are 0…7), each resample from its own stream, as `draw(_:into:)` does. One byte a
    /// row keeps the walk's random reads in 1 MB at 10⁶ rows: measured on this machine class, random reads
    /// cost 3–5 ns in 1 MB, 7–23 ns in 4 MB and 40–120 ns in 8 MB (more lanes per row lose more than SIMD gains).
    private func drawBlock(first: Int, into weights: UnsafeMutablePointer<UInt8>) {
        let rows = rows
        let active = min(Self.lanes, resamples - first)
        var low = Xoshiro256(seed: seed &+ UInt64(first) &* 0x9E37_79B9_7F4A_7C15)
        var high = Xoshiro256(seed: seed &+ UInt64(first + 1) &* 0x9E37_79B9_7F4A_7C15)
        Self.table.withUnsafeBufferPointer { table in
            var row = 0
            while row < rows {
                let chunk = min(4, rows - row)
                let first = low.next(), second: UInt64 = active > 1 ? high.next() : 0
                for k in 0..<chunk {
                    let shift = UInt64(16 * k)
                    let a = table[Int(truncatingIfNeeded: (first >> shift) & 0xFFFF)]
                    let b = active > 1 ? table[Int(truncatingIfNeeded: (second >> shift) & 0xFFFF)] : 0
                    weights[row &+ k] = a | b << 4
                }
                row &+= chunk
            }
        }
    }

    /// The lane walk: `ScoreOrder.rankingSums(weight:)` with a vector of weights per row.
    @inline(__always)
    private static func walk(_ order: ScoreOrder, _ weights: UnsafeMutablePointer<UInt8>, precision withPrecision: Bool, base: (Int) -> Double)
        -> (twoU: SIMD2<Double>, positive: SIMD2<Double>, negative: SIMD2<Double>, precision: SIMD2<Double>) {
        typealias Lanes = SIMD2<Double>
        let magic = SIMD2<UInt64>(repeating: 0x4330_0000_0000_0000)
        let offset = Lanes(repeating: 4_503_599_627_370_496)  // 2^52: k | magic as a double is 2^52 + k
        var groupPositive = Lanes(), groupNegative = Lanes()
        var positiveAbove = Lanes(), negativeAbove = Lanes(), twoU = Lanes(), precision = Lanes()
        order.entries.withUnsafeBufferPointer { entry in
            for position in 0..<entry.count {
                let value = entry[position]
                let row = Int(value >> 2)
                let byte = UInt64(weights[row])
                let wide = SIMD2<UInt64>(byte & 15, byte >> 4)
                let counts = unsafeBitCast(wide | magic, to: Lanes.self) - offset
                let weight = counts * base(row)
                // Branch-free: w·1 and w − w·1 are exact, so each lane adds what the scalar walk adds.
                let positive = weight * Double((value >> 1) & 1)
                groupPositive += positive
                groupNegative += weight - positive
                if value & 1 != 0 {
                    twoU += groupNegative * (2 * positiveAbove + groupPositive)
                    positiveAbove += groupPositive
                    negativeAbove += groupNegative
                    if withPrecision {
                        let step = groupPositive * (positiveAbove / (positiveAbove + negativeAbove))
                        precision += step.replacing(with: 0, where: groupPositive .== 0)
                    }
                    groupPositive = Lanes()
                    groupNegative = Lanes()
                }
            }
        }
        return (twoU, positiveAbove, negativeAbove, precision)
    }
}
