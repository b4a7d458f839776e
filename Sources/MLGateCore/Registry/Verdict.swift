/// A gate's verdict: each criterion's result with its evidence, and the overall decision.
public struct Verdict: Encodable, Sendable {
    public struct Side: Encodable, Sendable {
        public let name: String
        public let artifact: String?
        public let predictions: String
        public let metrics: [String: Double?]

        /// A side named `name` (`run 3`, `churn/2`, `predictions`), its artifact if known, its predictions file and metrics.
        public init(name: String, artifact: String?, predictions: String, metrics: [String: Double?]) {
            self.name = name
            self.artifact = artifact
            self.predictions = predictions
            self.metrics = metrics
        }
    }
    public let model: String
    public let passed: Bool
    public let require: String
    public let firstModel: Bool
    public let note: String?
    public let candidate: Side
    public let champion: Side?
    public let rows: Int
    public let criteria: [CriterionResult]
    /// The command that judges the same candidate against the same champion again, placeholders filled.
    public let reproduce: String

    /// A verdict on `model`: whether it passed under `require` (`all` or `any`), both sides, the rows and each criterion.
    public init(model: String, passed: Bool, require: String, firstModel: Bool, note: String?, candidate: Side, champion: Side?,
                rows: Int, criteria: [CriterionResult], reproduce: String) {
        self.model = model
        self.passed = passed
        self.require = require
        self.firstModel = firstModel
        self.note = note
        self.candidate = candidate
        self.champion = champion
        self.rows = rows
        self.criteria = criteria
        self.reproduce = reproduce
    }

    enum CodingKeys: String, CodingKey { case model, passed, require, firstModel = "first_model", note, candidate, champion, rows, criteria, reproduce }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(passed, forKey: .passed)
        try container.encode(require, forKey: .require)
        try container.encode(firstModel, forKey: .firstModel)
        try container.encode(note, forKey: .note)
        try container.encode(candidate, forKey: .candidate)
        try container.encode(champion, forKey: .champion)
        try container.encode(rows, forKey: .rows)
        try container.encode(criteria, forKey: .criteria)
        try container.encode(reproduce, forKey: .reproduce)
    }
}

