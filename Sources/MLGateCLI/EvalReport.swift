import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import MLGateWorkspace
import MLGateEval

/// The `--json` document of `mlgate eval` (docs/json.md): snake_case keys, every key always present,
/// `null` for what does not apply or is undefined.
struct EvalReport: Encodable {
    struct Interval: Encodable {
        let lower: Double
        let upper: Double

        init(_ range: ClosedRange<Double>) {
            lower = range.lowerBound
            upper = range.upperBound
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(lower)
            try container.encode(upper)
        }
    }

    struct DeLong: Encodable {
        let estimate: Double
        let ci: Interval
        let level: Double
        let p_value: Double
        let z: JSONNullable<Double>
        let n: Int
        let candidate_auc: Double
        let baseline_auc: Double
    }

    struct McNemar: Encodable {
        let estimate: Double
        let candidate_only_correct: Int
        let baseline_only_correct: Int
        let statistic: Double
        let p_value: Double
        let exact: Bool
        let threshold: Double
        let n: Int
    }

    struct Comparison: Encodable {
        let delong: JSONNullable<DeLong>
        let mcnemar: JSONNullable<McNemar>
    }

    struct Bootstrap: Encodable {
        let resamples: Int
        let seed: UInt64
        let level: Double
        let intervals: [String: Interval]
        let baseline_intervals: JSONNullable<[String: Interval]>
        let difference_intervals: JSONNullable<[String: Interval]>
    }

    struct Curve: Encodable {
        let x: [Double]
        let y: [Double]
        let thresholds: [JSONNullable<Double>]
        let xName: String
        let yName: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            try container.encode(x, forKey: DynamicKey(xName))
            try container.encode(y, forKey: DynamicKey(yName))
            try container.encode(thresholds, forKey: DynamicKey("thresholds"))
        }
    }

    struct Curves: Encodable {
        let roc: Curve
        let pr: Curve
    }

    struct SliceGroup: Encodable {
        let value: String
        let rows: Int
        let metrics: [String: JSONNullable<Double>]
        let undefined: [String: String]
        let baseline_metrics: JSONNullable<[String: JSONNullable<Double>]>
    }

    struct SkippedSlice: Encodable {
        let value: String
        let rows: Int
    }

    struct Slices: Encodable {
        let column: String
        let min_rows: Int
        let groups: [SliceGroup]
        let skipped: [SkippedSlice]
    }

    let task: String
    let predictions: String
    let rows: Int
    let threshold: JSONNullable<Double>
    let metrics: [String: JSONNullable<Double>]
    let undefined: [String: String]
    let confusion_matrix: JSONNullable<[[Double]]>
    let baseline_metrics: JSONNullable<[String: JSONNullable<Double>]>
    let baseline_undefined: JSONNullable<[String: String]>
    let comparison: JSONNullable<Comparison>
    let bootstrap: JSONNullable<Bootstrap>
    let curves: JSONNullable<Curves>
    let slices: JSONNullable<Slices>

    /// The requested metrics as `name → number or null`, and the reasons for the nulls.
    static func split(_ values: [String: MetricValue], names: [String]) -> (metrics: [String: JSONNullable<Double>], undefined: [String: String]) {
        var metrics: [String: JSONNullable<Double>] = [:], undefined: [String: String] = [:]
        for name in names {
            let value = values[name] ?? .undefined("not computed")
            metrics[name] = JSONNullable(value.number)
            if let reason = value.undefinedReason { undefined[name] = reason }
        }
        return (metrics, undefined)
    }
}

/// A coding key made from a string.
struct DynamicKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
