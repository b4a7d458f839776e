import Glibc
import MLGateCore
import MLGateEval
import MLGateTestSupport
import Testing

/// The gate's statistics, simulated as the issue specifies: binormal scores, prevalence 0.3, two models with score
/// correlation 0.7, a DeLong superiority criterion at α = 0.05 judged by the gate's own rules. Seeded, so it cannot flake.
@Suite("gate statistics by simulation")
struct GateSimulationTests {
    /// Gates in the null simulation: `MLGATE_GATE_SIMULATIONS` (.ci/run: 1,000), 200 by default; the power run uses a fifth.
    static let gates = getenv("MLGATE_GATE_SIMULATIONS").flatMap { Int(String(cString: $0)) } ?? 200

    /// One simulated data set: labels and two correlated binormal score columns with the given AUCs.
    static func sample(n: Int, aucs: (Double, Double), generator: inout SeededRandom) -> (labels: [UInt8], first: [Double], second: [Double]) {
        let shift = (2.0.squareRoot() * Normal.quantile(aucs.0), 2.0.squareRoot() * Normal.quantile(aucs.1))
        let rho = 0.7, other = (1 - rho * rho).squareRoot()
        var labels = [UInt8](repeating: 0, count: n), first = [Double](repeating: 0, count: n), second = [Double](repeating: 0, count: n)
        for row in 0..<n {
            let positive = generator.uniform() < 0.3
            let (z1, z2) = generator.normalPair()
            labels[row] = positive ? 1 : 0
            first[row] = z1 + (positive ? shift.0 : 0)
            second[row] = rho * z1 + other * z2 + (positive ? shift.1 : 0)
        }
        return (labels, first, second)
    }

    /// Whether the gate promotes the candidate: DeLong superiority at α through `GateRules`.
    static func promotes(_ data: (labels: [UInt8], first: [Double], second: [Double]), alpha: Double = 0.05) throws -> Bool {
        let test = try DeLongTest(labels: data.labels, candidate: data.second, baseline: data.first, level: 1 - 2 * alpha)
        let evidence = TestEvidence(test: "delong", estimate: test.estimate, lower: test.confidenceInterval.lowerBound,
                                    upper: test.confidenceInterval.upperBound, level: 1 - 2 * alpha, pValue: nil, n: test.count)
        let criterion = Criterion(metric: "roc_auc", higherIsBetter: true, test: StatisticalTest(name: "delong", alpha: alpha))
        return GateRules.judge(criterion, candidate: test.candidateAUC, champion: test.baselineAUC, test: evidence, n: test.count).passed
    }

    @Test("equally good models are promoted at most α + 2 points of the time (70 of 1,000 at full size)")
    func falsePromotions() throws {
        var generator = SeededRandom(seed: 20261125)
        var promoted = 0
        for _ in 0..<Self.gates where try Self.promotes(Self.sample(n: 10_000, aucs: (0.80, 0.80), generator: &generator)) { promoted += 1 }
        #expect(promoted <= Self.gates * 7 / 100, "\(promoted) of \(Self.gates) equal candidates promoted")
    }

    @Test("a true ΔAUC of 0.01 at n = 1e5 is detected at least 80% of the time")
    func power() throws {
        var generator = SeededRandom(seed: 7)
        let gates = max(Self.gates / 5, 20)
        var promoted = 0
        for _ in 0..<gates where try Self.promotes(Self.sample(n: 100_000, aucs: (0.80, 0.81), generator: &generator)) { promoted += 1 }
        #expect(promoted * 100 >= gates * 80, "\(promoted) of \(gates) better candidates promoted")
    }
}
