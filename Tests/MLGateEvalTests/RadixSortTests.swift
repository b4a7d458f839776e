@testable import MLGateEval
import MLGateTestSupport
import Testing

@Suite("radix sort of doubles")
struct RadixSortTests {
    @Test("gives the standard library's order for big samples: negatives, ties, zeros of both signs, subnormals, extremes")
    func sameOrderAsSorted() {
        var random = SeededRandom(seed: 11)
        var values = (0..<20_000).map { _ in (random.uniform() - 0.5) * 1e6 }
        values += (0..<5_000).map { _ in Double(Int(random.uniform() * 7)) - 3 }  // many ties
        values += [0.0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e-310]
        let expected = values.sorted()
        let sorted = radixSorted(values)
        #expect(sorted.count == expected.count)
        #expect(zip(sorted, expected).allSatisfy { $0 == $1 }, "the same values in the same order (−0.0 == +0.0)")
        // One shared high digit (all in [1, 2)): the skipped passes still sort.
        let narrow = (0..<3_000).map { _ in 1 + random.uniform() }
        #expect(radixSorted(narrow) == narrow.sorted())
    }

    @Test("the drift statistics of big samples (radix-sorted) equal their definitions over comparison-sorted copies")
    func statisticsUnchanged() throws {
        var random = SeededRandom(seed: 5)
        let n = 4_000
        let reference = (0..<n).map { _ in random.uniform() * 10 }, current = (0..<n).map { _ in random.uniform() * 11 - 0.5 }
        let a = reference.sorted(), b = current.sorted()
        // Equal sizes: W1 is the mean distance between the order statistics.
        let w1 = zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(n)
        #expect(abs(try #require(Drift.wasserstein1(reference, current)) - w1) <= 1e-12 * w1)
        // KS D: the largest gap between the two empirical CDFs over every pooled value.
        func below(_ sorted: [Double], _ x: Double) -> Double {
            var low = 0, high = sorted.count
            while low < high { let mid = (low + high) / 2; if sorted[mid] <= x { low = mid + 1 } else { high = mid } }
            return Double(low) / Double(sorted.count)
        }
        let d = (a + b).map { abs(below(a, $0) - below(b, $0)) }.max() ?? 0
        #expect(abs(try #require(KolmogorovSmirnovTest(reference: reference, current: current)).statistic - d) <= 1e-12)
    }
}
