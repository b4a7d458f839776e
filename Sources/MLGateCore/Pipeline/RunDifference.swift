/// What differs between two runs.
public struct RunDifference: Encodable, Sendable {
    /// A named value in each run.
    public struct Change<Value: Encodable & Equatable & Sendable>: Encodable, Sendable {
        public let name: String
        public let old: Value?
        public let new: Value?

        enum CodingKeys: String, CodingKey { case name, old, new }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(old, forKey: .old)
            try container.encode(new, forKey: .new)
        }
    }
    /// A metric in each run, with new − old and where each value comes from.
    public struct MetricChange: Encodable, Sendable {
        public let name: String
        public let old: Double?
        public let new: Double?
        public let change: Double?
        public let oldSource: MetricSource?
        public let newSource: MetricSource?

        enum CodingKeys: String, CodingKey { case name, old, new, change, oldSource = "old_source", newSource = "new_source" }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(old, forKey: .old)
            try container.encode(new, forKey: .new)
            try container.encode(change, forKey: .change)
            try container.encode(oldSource, forKey: .oldSource)
            try container.encode(newSource, forKey: .newSource)
        }
    }

    public let old: Int
    public let new: Int
    public let params: [Change<String>]
    public let metrics: [MetricChange]
    public let deps: [Change<String>]
    public let outs: [Change<String>]

    /// Whether nothing differs.
    public var isEmpty: Bool { params.isEmpty && metrics.isEmpty && deps.isEmpty && outs.isEmpty }

    /// What changed from run `a` to run `b`: parameters, metrics (with new − old), dependency and output hashes.
    public init(_ a: RunRecord, _ b: RunRecord) {
        old = a.number
        new = b.number
        func changes(_ left: [String: String], _ right: [String: String]) -> [Change<String>] {
            Set(left.keys).union(right.keys).sorted().compactMap { key in
                left[key] == right[key] ? nil : Change(name: key, old: left[key], new: right[key])
            }
        }
        func flatten(_ run: RunRecord, _ pick: (StageRun) -> [(String, String)]) -> [String: String] {
            Dictionary(run.stages.flatMap(pick), uniquingKeysWith: { _, last in last })
        }
        params = changes(flatten(a) { $0.parameters.map { ($0.key, $0.json) } }, flatten(b) { $0.parameters.map { ($0.key, $0.json) } })
        deps = changes(flatten(a) { $0.dependencies.map { ($0.path, $0.hash) } }, flatten(b) { $0.dependencies.map { ($0.path, $0.hash) } })
        outs = changes(flatten(a) { $0.outputs.map { ($0.path, $0.hash) } }, flatten(b) { $0.outputs.map { ($0.path, $0.hash) } })
        let left = a.metricDetails, right = b.metricDetails
        metrics = Set(left.keys).union(right.keys).sorted().compactMap { key in
            let old = left[key]?.value, new = right[key]?.value
            guard old != new else { return nil }
            return MetricChange(name: key, old: old, new: new, change: old.flatMap { old in new.map { $0 - old } },
                                oldSource: left[key]?.source, newSource: right[key]?.source)
        }
    }
}
