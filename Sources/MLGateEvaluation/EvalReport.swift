package import MLGateWorkspace
package import MLGateEval

/// The `--json` document of `mlgate eval` (docs/json.md): snake_case keys, every key always present,
/// `null` for what does not apply or is undefined.
package struct EvalReport: Encodable {
    package struct Interval: Encodable {
        package let lower: Double
        package let upper: Double

        init(_ range: ClosedRange<Double>) {
            lower = range.lowerBound
            upper = range.upperBound
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(lower)
            try container.encode(upper)
        }
    }

    package struct DeLong: Encodable {
        package let estimate: Double
        package let ci: Interval
        package let level: Double
        package let p_value: Double
        package let z: JSONNullable<Double>
        package let n: Int
        package let candidate_auc: Double
        package let baseline_auc: Double
    }

    package struct McNemar: Encodable {
        let estimate: Double
        package let candidate_only_correct: Int
        package let baseline_only_correct: Int
        let statistic: Double
        package let p_value: Double
        package let exact: Bool
        package let threshold: Double
        let n: Int
    }

    package struct Comparison: Encodable {
        package let delong: JSONNullable<DeLong>
        package let mcnemar: JSONNullable<McNemar>
    }

    package struct Bootstrap: Encodable {
        package let resamples: Int
        package let seed: UInt64
        let level: Double
        package let intervals: [String: Interval]
        let baseline_intervals: JSONNullable<[String: Interval]>
        package let difference_intervals: JSONNullable<[String: Interval]>
    }

    package struct Curve: Encodable {
        let x: [Double]
        let y: [Double]
        let thresholds: [JSONNullable<Double>]
        let xName: String
        let yName: String

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            try container.encode(x, forKey: DynamicKey(xName))
            try container.encode(y, forKey: DynamicKey(yName))
            try container.encode(thresholds, forKey: DynamicKey("thresholds"))
        }
    }

    package struct Curves: Encodable {
        let roc: Curve
        let pr: Curve
    }

    package struct SliceGroup: Encodable {
        package let value: String
        package let rows: Int
        package let metrics: [String: JSONNullable<Double>]
        let undefined: [String: String]
        let baseline_metrics: JSONNullable<[String: JSONNullable<Double>]>
    }

    package struct SkippedSlice: Encodable {
        package let value: String
        package let rows: Int
    }

    package struct Slices: Encodable {
        package let column: String
        package let min_rows: Int
        package let groups: [SliceGroup]
        package let skipped: [SkippedSlice]
    }

    package let task: String
    package let predictions: String
    package let rows: Int
    package let threshold: JSONNullable<Double>
    package let metrics: [String: JSONNullable<Double>]
    package let undefined: [String: String]
    package let confusion_matrix: JSONNullable<[[Double]]>
    package let baseline_metrics: JSONNullable<[String: JSONNullable<Double>]>
    package let baseline_undefined: JSONNullable<[String: String]>
    package let comparison: JSONNullable<Comparison>
    package let bootstrap: JSONNullable<Bootstrap>
    package let curves: JSONNullable<Curves>
    package let slices: JSONNullable<Slices>

    /// The requested metrics as `name → number or null`, and the reasons for the nulls.
    package static func split(_ values: [String: MetricValue], names: [String]) -> (metrics: [String: JSONNullable<Double>], undefined: [String: String]) {
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
package struct DynamicKey: CodingKey {
    package let stringValue: String
    package var intValue: Int? { nil }
    package init(_ string: String) { stringValue = string }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}
