/// A metric's value, or why it has none. A metric that is undefined on its input (one class only,
/// a zero denominator) is reported as such, never as a made-up number.
public enum MetricValue: Hashable, Sendable {
    /// The metric's value.
    case value(Double)
    /// The metric is undefined here; the reason is for a person.
    case undefined(String)

    /// The value, or nil when undefined.
    public var number: Double? {
        if case .value(let value) = self { return value }
        return nil
    }

    /// The reason, or nil when defined.
    public var undefinedReason: String? {
        if case .undefined(let reason) = self { return reason }
        return nil
    }

    /// `numerator / denominator`, or undefined with `reason` when the denominator is zero.
    static func ratio(_ numerator: Double, _ denominator: Double, undefined reason: String) -> MetricValue {
        denominator == 0 ? .undefined(reason) : .value(numerator / denominator)
    }
}

/// Why the evaluation kernel refused its input. Rows are 0-based positions in the arrays it was given;
/// callers that read files add their own line numbers.
public enum EvalError: Error, Hashable, Sendable, CustomStringConvertible {
    /// There are no rows.
    case empty
    /// Two arrays that must be parallel have different lengths.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// A score, target or weight is NaN or infinite.
    case notFinite(what: String, row: Int, value: Double)
    /// A binary label is not 0 or 1.
    case badLabel(row: Int, value: Int)
    /// A multiclass label is outside 0…classes−1.
    case badClass(row: Int, value: Int, classes: Int)
    /// A sample weight is negative.
    case negativeWeight(row: Int, value: Double)
    /// Every sample weight is zero.
    case zeroTotalWeight
    /// A confidence level outside (0, 1).
    case badLevel(Double)
    /// A paired test needs at least two rows of each class.
    case tooFewPerClass(positives: Int, negatives: Int)
    /// Two models compared on rows whose labels differ.
    case differentLabels
    /// More rows than the kernel's row ids hold (2³⁰).
    case tooManyRows(Int)

    public var description: String {
        switch self {
        case .empty: "there are no rows to evaluate"
        case .lengthMismatch(let what, let expected, let actual): "\(what) has \(actual) values where \(expected) were expected"
        case .notFinite(let what, let row, let value): "\(what) at row \(row) is \(value); every \(what) must be a finite number"
        case .badLabel(let row, let value): "label at row \(row) is \(value); binary labels must be 0 or 1"
        case .badClass(let row, let value, let classes): "label at row \(row) is \(value); with \(classes) score columns the classes are 0…\(classes - 1)"
        case .negativeWeight(let row, let value): "weight at row \(row) is \(value); weights must be 0 or more"
        case .zeroTotalWeight: "every sample weight is 0"
        case .badLevel(let level): "confidence level \(level) must be between 0 and 1 (e.g. 0.95)"
        case .tooFewPerClass(let positives, let negatives):
            "the test needs at least two rows of each class (there are \(positives) positive and \(negatives) negative)"
        case .differentLabels: "the two models' rows have different labels; both must be scored on the same rows"
        case .tooManyRows(let rows): "\(rows) rows are more than the 1,073,741,824 (2^30) the kernel evaluates at once; split the file"
        }
    }
}

/// Checks sample weights, shared by every metric family: one per row, finite, 0 or more, not all 0.
func validate(weights: [Double]?, rows: Int) throws(EvalError) {
    guard let weights else { return }
    guard weights.count == rows else { throw .lengthMismatch(what: "weights", expected: rows, actual: weights.count) }
    if let row = weights.firstIndex(where: { !$0.isFinite }) { throw .notFinite(what: "weight", row: row, value: weights[row]) }
    if let row = weights.firstIndex(where: { $0 < 0 }) { throw .negativeWeight(row: row, value: weights[row]) }
    guard weights.contains(where: { $0 > 0 }) else { throw .zeroTotalWeight }
}
