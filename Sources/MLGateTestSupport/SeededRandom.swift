#if canImport(Glibc)
import Glibc
#endif

/// A fixed-seed generator (SplitMix64) with uniform and normal draws, so randomized tests check the same cases
/// on every run and cannot flake.
public struct SeededRandom: RandomNumberGenerator {
    /// The generator's state.
    public var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Two independent standard normal draws (Box–Muller).
    public mutating func normalPair() -> (Double, Double) {
        let u = max(uniform(), 0x1p-60), v = uniform()
        let radius = (-2 * log(u)).squareRoot()
        return (radius * cos(2 * .pi * v), radius * sin(2 * .pi * v))
    }
}
