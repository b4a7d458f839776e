/// Sums over raw buffers with eight independent accumulators combined at the end: a fixed order (the
/// same result on every run and machine), vectorisable, and accurate to about √(n/8)·ε.
enum FastSums {
    /// Σ f(i) for i in 0..<count, eight lanes.
    @inline(__always)
    static func sum(_ count: Int, _ term: (Int) -> Double) -> Double {
        var lanes = SIMD8<Double>(repeating: 0)
        var index = 0
        while index &+ 8 <= count {
            lanes += SIMD8(term(index), term(index &+ 1), term(index &+ 2), term(index &+ 3),
                           term(index &+ 4), term(index &+ 5), term(index &+ 6), term(index &+ 7))
            index &+= 8
        }
        var tail = 0.0
        while index < count {
            tail += term(index)
            index &+= 1
        }
        return lanes.sum() + tail
    }

    /// Σ f(i) for i in 0..<count with Kahan's compensation in each of eight lanes, the lanes then added with
    /// Neumaier's: the fixed order and most of the speed of `sum`, accurate to a few ulps of the sum of |f(i)|.
    @inline(__always)
    static func compensatedSum(_ count: Int, _ term: (Int) -> Double) -> Double {
        var sum = SIMD8<Double>(repeating: 0), compensation = SIMD8<Double>(repeating: 0)
        var index = 0
        while index &+ 8 <= count {
            let terms = SIMD8(term(index), term(index &+ 1), term(index &+ 2), term(index &+ 3),
                              term(index &+ 4), term(index &+ 5), term(index &+ 6), term(index &+ 7))
            let adjusted = terms - compensation
            let total = sum + adjusted
            compensation = (total - sum) - adjusted
            sum = total
            index &+= 8
        }
        var result = CompensatedSum()
        for lane in 0..<8 {
            result.add(sum[lane])
            result.add(-compensation[lane])
        }
        while index < count {
            result.add(term(index))
            index &+= 1
        }
        return result.value
    }
}
