/// Validated input of a binary classifier: labels 0/1, finite scores, optional non-negative weights.
public struct BinaryPredictions: Sendable {
    /// 0 or 1 per row.
    public let labels: [UInt8]
    /// The model's score per row (a probability for log loss and Brier; any finite number for ranking).
    public let scores: [Double]
    /// Sample weights, or nil for all ones.
    public let weights: [Double]?

    /// Validates and wraps the arrays; the first bad row is named in the error.
    public init(labels: [UInt8], scores: [Double], weights: [Double]? = nil) throws(EvalError) {
        guard !labels.isEmpty else { throw .empty }
        guard labels.count <= 1 << 30 else { throw .tooManyRows(labels.count) }
        guard scores.count == labels.count else { throw .lengthMismatch(what: "scores", expected: labels.count, actual: scores.count) }
        if let row = labels.firstIndex(where: { $0 > 1 }) { throw .badLabel(row: row, value: Int(labels[row])) }
        if let row = scores.firstIndex(where: { !$0.isFinite }) { throw .notFinite(what: "score", row: row, value: scores[row]) }
        try validate(weights: weights, rows: labels.count)
        self.labels = labels
        self.scores = scores
        self.weights = weights
    }

    /// Wraps arrays a caller has already validated (internal: the public entry points validate).
    init(validated labels: [UInt8], scores: [Double], weights: [Double]? = nil) {
        self.labels = labels
        self.scores = scores
        self.weights = weights
    }

    /// Number of rows.
    public var count: Int { labels.count }

    /// Whether every score lies in [0, 1], as probability metrics (log loss, Brier) require.
    public var scoresAreProbabilities: Bool { scores.allSatisfy { $0 >= 0 && $0 <= 1 } }
}
