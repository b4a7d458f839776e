/// Natural logarithm of four doubles at once, for log loss: fdlibm's algorithm (as in musl's `log`),
/// under 1 ulp of error, written with SIMD so it vectorises. Valid for normal positive inputs, which is all
/// log loss feeds it (probabilities clipped to [ε, 1 − ε]).
enum VectorLog {
    private static let lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01
    private static let lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01
    private static let lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01
    private static let lg7 = 1.479819860511658591e-01
    private static let ln2High = 6.93147180369123816490e-01, ln2Low = 1.90821492927058770002e-10

    @inline(__always)
    static func log(_ x: SIMD4<Double>) -> SIMD4<Double> {
        let bits = x.bitPattern
        // x = m · 2^k with m in [√½, √2): take the exponent of x · (√2/2)'s scale, as fdlibm does by
        // adding the high word of 1 − √2/2 before splitting.
        let adjusted = bits &+ SIMD4<UInt64>(repeating: 0x3FF0_0000_0000_0000 - 0x3FE6_A09E_0000_0000)
        let exponent = SIMD4<Int64>(truncatingIfNeeded: adjusted &>> 52) &- 1023
        let mantissaBits = (adjusted & SIMD4<UInt64>(repeating: 0x000F_FFFF_FFFF_FFFF)) &+ SIMD4<UInt64>(repeating: 0x3FE6_A09E_0000_0000)
        let m = SIMD4<Double>(bitPattern: mantissaBits)
        let f = m - 1
        let halfSquare = 0.5 * f * f
        let s = f / (2 + f)
        let z = s * s
        let w = z * z
        let t1 = w * (lg2 + w * (lg4 + w * lg6))
        let t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
        let k = SIMD4<Double>(exponent)
        return s * (halfSquare + (t2 + t1)) + k * ln2Low - halfSquare + f + k * ln2High
    }
}

extension SIMD4 where Scalar == Double {
    /// Reinterprets 64-bit patterns as doubles.
    @inline(__always)
    init(bitPattern bits: SIMD4<UInt64>) {
        self = unsafeBitCast(bits, to: SIMD4<Double>.self)
    }

    /// The 64-bit patterns of the doubles.
    @inline(__always)
    var bitPattern: SIMD4<UInt64> {
        unsafeBitCast(self, to: SIMD4<UInt64>.self)
    }
}
