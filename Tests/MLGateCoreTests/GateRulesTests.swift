import MLGateCore
import Testing

@Suite("gate rules")
struct GateRulesTests {
    @Test("floors, ceilings and champion bounds, in the metric's direction")
    func bounds() {
        let floor = Criterion(metric: "roc_auc", higherIsBetter: true, minimum: 0.7)
        #expect(GateRules.judge(floor, candidate: 0.71, champion: nil, test: nil, n: 10).passed)
        #expect(!GateRules.judge(floor, candidate: 0.69, champion: nil, test: nil, n: 10).passed)
        #expect(!GateRules.judge(floor, candidate: nil, champion: nil, test: nil, n: 10).passed)

        let drop = Criterion(metric: "roc_auc", higherIsBetter: true, versusChampion: ChampionComparison(amount: 0.002, mustImprove: false, relative: false))
        #expect(GateRules.judge(drop, candidate: 0.799, champion: 0.8, test: nil, n: 10).passed)
        #expect(!GateRules.judge(drop, candidate: 0.797, champion: 0.8, test: nil, n: 10).passed)
        let noChampion = GateRules.judge(drop, candidate: 0.1, champion: nil, test: nil, n: 10)
        #expect(noChampion.passed && noChampion.reasons == ["no champion: the comparison with it does not apply"])

        let rise = Criterion(metric: "log_loss", higherIsBetter: false, versusChampion: ChampionComparison(amount: 0.02, mustImprove: false, relative: true))
        #expect(GateRules.judge(rise, candidate: 0.509, champion: 0.5, test: nil, n: 10).passed)   // 1.8% worse
        #expect(!GateRules.judge(rise, candidate: 0.511, champion: 0.5, test: nil, n: 10).passed)  // 2.2% worse
        let gain = Criterion(metric: "log_loss", higherIsBetter: false, versusChampion: ChampionComparison(amount: 0.01, mustImprove: true, relative: false))
        #expect(GateRules.judge(gain, candidate: 0.48, champion: 0.5, test: nil, n: 10).passed)
        #expect(!GateRules.judge(gain, candidate: 0.495, champion: 0.5, test: nil, n: 10).passed)
    }

    @Test("superiority needs the one-sided bound above 0; non-inferiority above −margin")
    func tests() {
        var criterion = Criterion(metric: "roc_auc", higherIsBetter: true, test: StatisticalTest(name: "delong", alpha: 0.05))
        let evidence = TestEvidence(test: "delong", estimate: 0.004, lower: -0.001, upper: 0.009, level: 0.9, pValue: 0.08, n: 1000)
        #expect(!GateRules.judge(criterion, candidate: 0.804, champion: 0.8, test: evidence, n: 1000).passed)
        criterion.test = StatisticalTest(name: "delong", alpha: 0.05, kind: .nonInferiority, margin: 0.005)
        #expect(GateRules.judge(criterion, candidate: 0.804, champion: 0.8, test: evidence, n: 1000).passed)
        #expect(!GateRules.judge(criterion, candidate: 0.804, champion: 0.8, test: nil, n: 1000).passed)
    }

    @Test("all or any; a criterion judged per slice passes only when every slice does")
    func overall() {
        func result(_ criterion: String, _ passed: Bool) -> CriterionResult {
            var result = CriterionResult(criterion: criterion, metric: "m", passed: passed, candidate: 1, champion: nil, difference: nil, test: nil, n: 1, reasons: [])
            result.index = criterion == "a" ? 0 : criterion == "b" ? 1 : 2
            return result
        }
        let mixed = [result("a", true), result("b", false)]
        // Two criteria that read alike are still two criteria.
        var twin = result("b", true)
        twin.index = 3
        #expect(GateRules.overall([twin, result("b", false)], requireAll: false))
        #expect(!GateRules.overall(mixed, requireAll: true))
        #expect(GateRules.overall(mixed, requireAll: false))
        let slices = [result("s", true), result("s", false)]
        #expect(!GateRules.overall(slices, requireAll: false))
        #expect(GateRules.overall([], requireAll: true))
    }

    @Test("verdict numbers: about four significant digits, integers without a fraction, tiny p-values as a bound")
    func numbers() {
        #expect(GateRules.format(0.778412) == "0.7784")
        #expect(GateRules.format(1000.97) == "1001")
        #expect(GateRules.format(-4.215993e-05) == "-4.216e-05")
        #expect(GateRules.format(60000) == "60000")
        #expect(GateRules.formatP(1e-300) == "< 1e-16" && GateRules.formatP(0.0636) == "= 0.0636")
    }

    @Test("lifecycle: one stage at a time, approvals, gate, branch")
    func lifecycle() throws {
        let lifecycle = LifecycleSpec(stages: ["staging", "production"],
                                      requirements: ["production": StageRequirement(gate: true, approvals: 2, branch: "main")])
        #expect(try lifecycle.missing(to: "staging", from: nil, gatePassed: nil, approvals: 0, branch: nil).isEmpty)
        #expect(try lifecycle.missing(to: "production", from: nil, gatePassed: true, approvals: 2, branch: "main").count == 1)
        #expect(try lifecycle.missing(to: "production", from: "staging", gatePassed: true, approvals: 2, branch: "main").isEmpty)
        #expect(try lifecycle.missing(to: "production", from: "staging", gatePassed: false, approvals: 1, branch: "dev").count == 3)
        #expect(throws: RegistryError.self) { try lifecycle.missing(to: "prod", from: nil, gatePassed: nil, approvals: 0, branch: nil) }
        #expect(ModelURI.looksLikeVersion("v1.0.0") && ModelURI.looksLikeVersion("3") && !ModelURI.looksLikeVersion("champion"))
        #expect(try ModelURI(parsing: "models:/churn@champion") == ModelURI(name: "churn", selector: .alias("champion")))
        #expect(try ModelURI(parsing: "churn/12") == ModelURI(name: "churn", selector: .version(12)))
    }
}
