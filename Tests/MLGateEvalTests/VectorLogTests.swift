#if canImport(Glibc)
import Glibc
#endif
@testable import MLGateEval
import Testing

@Suite("vector log")
struct VectorLogTests {
    @Test("within one ulp of libm's log over the probabilities log loss sees")
    func accuracy() {
        var generator = Xoshiro256(seed: 42)
        var worst: UInt64 = 0
        for round in 0..<200_000 {
            // Uniform in [0, 1], then also log-uniform down to ε, and values near 1.
            let u = Double(generator.next() >> 11) * 0x1p-53
            let value = round % 3 == 0 ? max(u, .ulpOfOne) : round % 3 == 1 ? exp(-36 * u) : 1 - u * 1e-3
            let mine = VectorLog.log(SIMD4(repeating: value))[0], reference = Glibc.log(value)
            let distance = mine.bitPattern > reference.bitPattern ? mine.bitPattern - reference.bitPattern : reference.bitPattern - mine.bitPattern
            worst = max(worst, value == 1 ? (mine == 0 ? 0 : 99) : distance)
        }
        #expect(worst <= 1, "worst distance \(worst) ulp")
    }
}
