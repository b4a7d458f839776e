/// Regression metrics in scikit-learn's definitions: MSE, RMSE, MAE, R² (two passes, `force_finite`),
/// MAPE (|y − ŷ| / max(|y|, ε)) and the median absolute error (unweighted).
public struct RegressionMetrics: Hashable, Sendable {
    public let meanSquaredError: Double
    public let rootMeanSquaredError: Double
    public let meanAbsoluteError: Double
    public let r2: Double
    public let meanAbsolutePercentageError: Double
    /// Undefined with sample weights (scikit-learn's weighted percentile is not reproduced).
    public let medianAbsoluteError: MetricValue

    /// Validates the arrays and computes every metric.
    public init(targets: [Double], predictions: [Double], weights: [Double]? = nil) throws(EvalError) {
        guard !targets.isEmpty else { throw .empty }
        guard predictions.count == targets.count else {
            throw .lengthMismatch(what: "predictions", expected: targets.count, actual: predictions.count)
        }
        if let row = targets.firstIndex(where: { !$0.isFinite }) { throw .notFinite(what: "target", row: row, value: targets[row]) }
        if let row = predictions.firstIndex(where: { !$0.isFinite }) { throw .notFinite(what: "prediction", row: row, value: predictions[row]) }
        if let weights {
            guard weights.count == targets.count else { throw .lengthMismatch(what: "weights", expected: targets.count, actual: weights.count) }
            if let row = weights.firstIndex(where: { !$0.isFinite }) { throw .notFinite(what: "weight", row: row, value: weights[row]) }
            if let row = weights.firstIndex(where: { $0 < 0 }) { throw .negativeWeight(row: row, value: weights[row]) }
            guard weights.contains(where: { $0 > 0 }) else { throw .zeroTotalWeight }
        }
        var totalWeight = CompensatedSum(), weightedTargets = CompensatedSum()
        var squared = CompensatedSum(), absolute = CompensatedSum(), percentage = CompensatedSum()
        for row in 0..<targets.count {
            let weight = weights?[row] ?? 1
            let error = targets[row] - predictions[row]
            totalWeight.add(weight)
            weightedTargets.add(targets[row] * weight)
            squared.add(error * error * weight)
            absolute.add(abs(error) * weight)
            percentage.add(abs(error) / max(abs(targets[row]), .ulpOfOne) * weight)
        }
        let total = totalWeight.value
        let mean = weightedTargets.value / total
        var spread = CompensatedSum()
        for row in 0..<targets.count {
            let deviation = targets[row] - mean
            spread.add(deviation * deviation * (weights?[row] ?? 1))
        }
        meanSquaredError = squared.value / total
        rootMeanSquaredError = meanSquaredError.squareRoot()
        meanAbsoluteError = absolute.value / total
        meanAbsolutePercentageError = percentage.value / total
        let numerator = squared.value, denominator = spread.value
        // scikit-learn's force_finite: a perfect fit is 1, a constant target otherwise 0.
        r2 = numerator == 0 ? 1 : denominator == 0 ? 0 : 1 - numerator / denominator
        if weights != nil {
            medianAbsoluteError = .undefined("the median absolute error is computed without sample weights")
        } else {
            var errors = zip(targets, predictions).map { abs($0 - $1) }
            errors.sort()
            let middle = errors.count / 2
            medianAbsoluteError = .value(errors.count % 2 == 1 ? errors[middle] : (errors[middle - 1] + errors[middle]) / 2)
        }
    }
}
