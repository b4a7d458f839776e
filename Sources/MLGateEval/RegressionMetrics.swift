/// Regression metrics in scikit-learn's definitions: MSE, RMSE, MAE, R² (two passes, `force_finite`),
/// MAPE (|y − ŷ| / max(|y|, ε)) and the median absolute error (unweighted).
public struct RegressionMetrics: Sendable {
    public let meanSquaredError: Double
    public let rootMeanSquaredError: Double
    public let meanAbsoluteError: Double
    public let r2: Double
    public let meanAbsolutePercentageError: Double
    private let targets: [Double], predictions: [Double], weighted: Bool

    /// The median absolute error (computed on demand: it needs a selection pass). Undefined with sample
    /// weights (scikit-learn's weighted percentile is not reproduced).
    public var medianAbsoluteError: MetricValue {
        guard !weighted else { return .undefined("the median absolute error is computed without sample weights") }
        return .value(Self.median(of: zip(targets, predictions).map { abs($0 - $1) }))
    }


    /// Validates the arrays and computes every metric.
    public init(targets: [Double], predictions: [Double], weights: [Double]? = nil) throws(EvalError) {
        guard !targets.isEmpty else { throw .empty }
        guard predictions.count == targets.count else {
            throw .lengthMismatch(what: "predictions", expected: targets.count, actual: predictions.count)
        }
        if let row = targets.firstIndex(where: { !$0.isFinite }) { throw .notFinite(what: "target", row: row, value: targets[row]) }
        if let row = predictions.firstIndex(where: { !$0.isFinite }) { throw .notFinite(what: "prediction", row: row, value: predictions[row]) }
        try validate(weights: weights, rows: targets.count)
        let sums = targets.withUnsafeBufferPointer { y in
            predictions.withUnsafeBufferPointer { yHat in
                Self.sums(y, yHat, weights: weights)
            }
        }
        let total = sums.weight
        meanSquaredError = sums.squared / total
        rootMeanSquaredError = meanSquaredError.squareRoot()
        meanAbsoluteError = sums.absolute / total
        meanAbsolutePercentageError = sums.percentage / total
        let numerator = sums.squared, denominator = sums.spread
        // scikit-learn's force_finite: a perfect fit is 1, a constant target otherwise 0.
        r2 = numerator == 0 ? 1 : denominator == 0 ? 0 : 1 - numerator / denominator
        self.targets = targets
        self.predictions = predictions
        weighted = weights != nil
    }

    /// Weighted sums of the squared, absolute and relative errors, of the weights, and of the squared
    /// deviations from the (weighted) mean target — two passes, as scikit-learn does for R².
    private static func sums(_ y: UnsafeBufferPointer<Double>, _ yHat: UnsafeBufferPointer<Double>, weights: [Double]?)
        -> (weight: Double, squared: Double, absolute: Double, percentage: Double, spread: Double) {
        guard let y0 = y.baseAddress, let p0 = yHat.baseAddress else { return (0, 0, 0, 0, 0) }
        let count = y.count
        let epsilon = Double.ulpOfOne
        guard let weights else {
            // One pass for the error sums and Σy, eight rows at a time, then one for the spread around the mean.
            var squared = SIMD8<Double>(), absolute = SIMD8<Double>(), percentage = SIMD8<Double>(), targets = SIMD8<Double>()
            let floor = SIMD8<Double>(repeating: epsilon)
            var index = 0
            while index &+ 8 <= count {
                let y = UnsafeRawPointer(y0 + index).loadUnaligned(as: SIMD8<Double>.self)
                let p = UnsafeRawPointer(p0 + index).loadUnaligned(as: SIMD8<Double>.self)
                let error = y - p
                let magnitude = error.replacing(with: -error, where: error .< 0)
                squared += error * error
                absolute += magnitude
                percentage += magnitude / pointwiseMax(y.replacing(with: -y, where: y .< 0), floor)
                targets += y
                index &+= 8
            }
            var tail = (squared: 0.0, absolute: 0.0, percentage: 0.0, targets: 0.0)
            while index < count {
                let error = y0[index] - p0[index]
                tail.squared += error * error
                tail.absolute += abs(error)
                tail.percentage += abs(error) / max(abs(y0[index]), epsilon)
                tail.targets += y0[index]
                index &+= 1
            }
            let mean = (targets.sum() + tail.targets) / Double(count)
            return (Double(count), squared.sum() + tail.squared, absolute.sum() + tail.absolute, percentage.sum() + tail.percentage,
                    FastSums.sum(count) { let d = y0[$0] - mean; return d * d })
        }
        return weights.withUnsafeBufferPointer { w in
            guard let w0 = w.baseAddress else { return (0, 0, 0, 0, 0) }
            let total = FastSums.sum(count) { w0[$0] }
            let mean = FastSums.sum(count) { y0[$0] * w0[$0] } / total
            return (total,
                    FastSums.sum(count) { let e = y0[$0] - p0[$0]; return e * e * w0[$0] },
                    FastSums.sum(count) { abs(y0[$0] - p0[$0]) * w0[$0] },
                    FastSums.sum(count) { abs(y0[$0] - p0[$0]) / max(abs(y0[$0]), epsilon) * w0[$0] },
                    FastSums.sum(count) { let d = y0[$0] - mean; return d * d * w0[$0] })
        }
    }

    /// The median (mean of the two middle values for an even count), by selection in O(n).
    static func median(of values: [Double]) -> Double {
        var values = values
        let middle = values.count / 2
        let upper = select(&values, middle)
        guard values.count % 2 == 0 else { return upper }
        let lower = values[0..<middle].max() ?? upper
        return (lower + upper) / 2
    }

    /// Rearranges `values` so that `values[k]` is the k-th smallest and everything before it is ≤ it (Hoare's selection).
    private static func select(_ values: inout [Double], _ k: Int) -> Double {
        var low = 0, high = values.count - 1
        while low < high {
            let pivot = values[(low + high) / 2]
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return values[k] }
        }
        return values[k]
    }
}
