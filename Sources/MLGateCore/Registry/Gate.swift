/// The result of a paired statistical test, oriented so that positive means the candidate is better.
public struct TestEvidence: Hashable, Sendable, Codable {
    /// delong, mcnemar or bootstrap.
    public var test: String
    /// The candidate's advantage (candidate − champion for higher-is-better metrics, the reverse otherwise).
    public var estimate: Double
    /// The one-sided (1 − α) lower confidence bound on the advantage.
    public var lower: Double
    /// The upper end of the matching two-sided (1 − 2α) interval.
    public var upper: Double
    /// The interval's level (1 − 2α).
    public var level: Double
    /// The one-sided p-value for the hypothesis tested, when the test gives one.
    public var pValue: Double?
    /// Rows used.
    public var n: Int

    enum CodingKeys: String, CodingKey { case test, estimate, lower, upper, level, pValue = "p_value", n }

    /// Creates evidence.
    public init(test: String, estimate: Double, lower: Double, upper: Double, level: Double, pValue: Double?, n: Int) {
        self.test = test
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.level = level
        self.pValue = pValue
        self.n = n
    }

    /// Encodes every key, nulls included.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(test, forKey: .test)
        try container.encode(estimate, forKey: .estimate)
        try container.encode(lower, forKey: .lower)
        try container.encode(upper, forKey: .upper)
        try container.encode(level, forKey: .level)
        try container.encode(pValue, forKey: .pValue)
        try container.encode(n, forKey: .n)
    }
}

/// What one criterion concluded, with its evidence.
public struct CriterionResult: Hashable, Sendable, Codable {
    /// The criterion's position in the model's list (results of one criterion's slices share it).
    public var index: Int = 0
    /// The criterion in words.
    public var criterion: String
    /// The metric.
    public var metric: String
    /// The slice value it was judged on, when the criterion is per slice.
    public var slice: String?
    /// Whether it passed.
    public var passed: Bool
    /// The candidate's value (nil when undefined).
    public var candidate: Double?
    /// The champion's value (nil without a champion).
    public var champion: Double?
    /// candidate − champion.
    public var difference: Double?
    /// The paired test, when the criterion has one and there is a champion.
    public var test: TestEvidence?
    /// Rows judged.
    public var n: Int
    /// Why it passed or failed, one clause per check.
    public var reasons: [String]

    enum CodingKeys: String, CodingKey { case index, criterion, metric, slice, passed, candidate, champion, difference, test, n, reasons }

    /// Creates a result.
    public init(criterion: String, metric: String, slice: String? = nil, passed: Bool, candidate: Double?, champion: Double?,
                difference: Double?, test: TestEvidence?, n: Int, reasons: [String]) {
        self.criterion = criterion
        self.metric = metric
        self.slice = slice
        self.passed = passed
        self.candidate = candidate
        self.champion = champion
        self.difference = difference
        self.test = test
        self.n = n
        self.reasons = reasons
    }

    /// Encodes every key, nulls included.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(criterion, forKey: .criterion)
        try container.encode(metric, forKey: .metric)
        try container.encode(slice, forKey: .slice)
        try container.encode(passed, forKey: .passed)
        try container.encode(candidate, forKey: .candidate)
        try container.encode(champion, forKey: .champion)
        try container.encode(difference, forKey: .difference)
        try container.encode(test, forKey: .test)
        try container.encode(n, forKey: .n)
        try container.encode(reasons, forKey: .reasons)
    }
}

/// Judges one criterion from the values and the test; pure, so every rule is unit-tested.
public enum GateRules {
    /// The result of `criterion` for a candidate value (nil when undefined), the champion's (nil when there
    /// is none), and the paired test (nil when not asked or no champion).
    public static func judge(_ criterion: Criterion, candidate: Double?, champion: Double?, test: TestEvidence?,
                             n: Int, slice: String? = nil) -> CriterionResult {
        var reasons: [String] = []
        var passed = true
        func fail(_ reason: String) {
            passed = false
            reasons.append(reason)
        }
        guard let value = candidate, value.isFinite else {
            return CriterionResult(criterion: criterion.summary, metric: criterion.metric, slice: slice, passed: false, candidate: nil,
                                   champion: champion, difference: nil, test: test, n: n,
                                   reasons: ["the candidate's \(criterion.metric) is undefined on these rows"])
        }
        if let minimum = criterion.minimum {
            if value >= minimum { reasons.append("\(format(value)) ≥ \(format(minimum))") } else { fail("\(format(value)) < the floor \(format(minimum))") }
        }
        if let maximum = criterion.maximum {
            if value <= maximum { reasons.append("\(format(value)) ≤ \(format(maximum))") } else { fail("\(format(value)) > the ceiling \(format(maximum))") }
        }
        var difference: Double?
        if criterion.versusChampion != nil || criterion.test != nil {
            if let champion, champion.isFinite {
                difference = value - champion
                let advantage = criterion.higherIsBetter ? value - champion : champion - value
                if let versus = criterion.versusChampion {
                    let bound = versus.relative ? versus.amount * abs(champion) : versus.amount
                    if versus.mustImprove {
                        if advantage >= bound { reasons.append("better than the champion by \(format(advantage)) ≥ \(format(bound))") } else {
                            fail("better than the champion by only \(format(advantage)); needs ≥ \(format(bound))")
                        }
                    } else if advantage >= -bound {
                        reasons.append(advantage >= 0 ? "not worse than the champion" : "worse than the champion by \(format(-advantage)) ≤ \(format(bound))")
                    } else {
                        fail("worse than the champion by \(format(-advantage)); at most \(format(bound)) allowed")
                    }
                }
                if let spec = criterion.test {
                    if let test {
                        let threshold = spec.kind == .superiority ? 0 : -spec.margin
                        let what = spec.kind == .superiority ? "better than the champion" : "no worse than the champion by more than \(format(spec.margin))"
                        let p = test.pValue.map { ", p \(formatP($0))" } ?? ""
                        if test.lower > threshold {
                            reasons.append("\(spec.name): \(what) at α = \(format(spec.alpha)) (one-sided bound \(format(test.lower))\(p))")
                        } else {
                            fail("\(spec.name): not shown to be \(what) at α = \(format(spec.alpha)) (one-sided bound \(format(test.lower)) ≤ \(format(threshold))\(p))")
                        }
                    } else {
                        fail("\(spec.name): the test could not be computed on these rows")
                    }
                }
            } else {
                reasons.append("no champion: the comparison with it does not apply")
            }
        }
        if reasons.isEmpty { reasons.append("\(criterion.metric) = \(format(value))") }
        return CriterionResult(criterion: criterion.summary, metric: criterion.metric, slice: slice, passed: passed, candidate: value,
                               champion: champion, difference: difference, test: test, n: n, reasons: reasons)
    }

    /// Whether a list of results passes: all of them, or (`requireAll` false) at least one criterion — where a
    /// criterion judged per slice passes only when all its slices do.
    public static func overall(_ results: [CriterionResult], requireAll: Bool) -> Bool {
        guard !results.isEmpty else { return true }
        let byCriterion = Dictionary(grouping: results, by: \.index).mapValues { $0.allSatisfy(\.passed) }
        return requireAll ? byCriterion.values.allSatisfy { $0 } : byCriterion.values.contains(true)
    }

    /// A number with about four significant digits, for verdict text (`0.7784`, `-4.22e-05`, `60000`).
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return String(value) }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var exponent = 0
        var mantissa = abs(value)
        while mantissa >= 10 { mantissa /= 10; exponent += 1 }
        while mantissa < 1 { mantissa *= 10; exponent -= 1 }
        if exponent >= -3, exponent < 6 {
            let scale = pow10(3 - exponent)
            let rounded = (value * scale).rounded() / scale
            return rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
        }
        let digits = (mantissa * 1000).rounded() / 1000
        return (value < 0 ? "-" : "") + String(digits) + "e" + (exponent < 0 ? "-" : "+") + (abs(exponent) < 10 ? "0" : "") + String(abs(exponent))
    }

    /// A p-value as text: below 1e-16 it is shown as a bound, since doubles cannot resolve it.
    public static func formatP(_ p: Double) -> String { p < 1e-16 ? "< 1e-16" : "= " + format(p) }

    private static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) { result *= 10 }
        return exponent < 0 ? 1 / result : result
    }
}
