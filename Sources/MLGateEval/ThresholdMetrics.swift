#if canImport(Glibc)
import Glibc
#endif

/// The confusion matrix at a threshold, as (weighted) counts; rows are true labels, columns predictions.
public struct ConfusionMatrix: Hashable, Sendable {
    public var trueNegatives: Double
    public var falsePositives: Double
    public var falseNegatives: Double
    public var truePositives: Double

    /// scikit-learn's layout: `[[TN, FP], [FN, TP]]`.
    public var rows: [[Double]] { [[trueNegatives, falsePositives], [falseNegatives, truePositives]] }
}

/// Everything one pass over the rows gives: the confusion matrix at a threshold (a row is positive when
/// its score is ≥ the threshold) and the metrics derived from it, plus log loss and the Brier score
/// when the scores are probabilities.
public struct ThresholdMetrics: Hashable, Sendable {
    /// The threshold used.
    public let threshold: Double
    /// The confusion matrix at that threshold.
    public let confusion: ConfusionMatrix
    /// Mean log loss (natural log, probabilities clipped to [ε, 1 − ε]); undefined unless every score is in [0, 1].
    public let logLoss: MetricValue
    /// Brier score, mean of (p − y)²; undefined unless every score is in [0, 1].
    public let brierScore: MetricValue

    /// One pass over `predictions`.
    public init(_ predictions: BinaryPredictions, threshold: Double = 0.5) {
        self.threshold = threshold
        let reason = "scores are not probabilities (some are outside [0, 1])"
        let count = predictions.count
        let epsilon = Double.ulpOfOne
        let result = predictions.labels.withUnsafeBufferPointer { labelBuffer in
            predictions.scores.withUnsafeBufferPointer { scoreBuffer -> (ConfusionMatrix, MetricValue, MetricValue) in
                guard let y = labelBuffer.baseAddress, let p = scoreBuffer.baseAddress else {
                    return (ConfusionMatrix(trueNegatives: 0, falsePositives: 0, falseNegatives: 0, truePositives: 0), .undefined(reason), .undefined(reason))
                }
                // scikit-learn expands to the columns [1 − p, p] and clips each to [ε, 1 − ε] for log loss:
                // q is the clipped probability of the row's own class.
                @inline(__always) func q(_ i: Int) -> Double {
                    y[i] == 1 ? min(max(p[i], epsilon), 1 - epsilon) : min(max(1 - p[i], epsilon), 1 - epsilon)
                }
                /// Σ −log(q)·weight, four rows at a time through the vector log (branch-free choice of the
                /// row's own class); the last rows are padded with q = 1, whose log is 0.
                func lossSum(_ weight: (Int) -> Double) -> Double {
                    var lanes = SIMD4<Double>()
                    let low = SIMD4<Double>(repeating: epsilon), high = SIMD4<Double>(repeating: 1 - epsilon)
                    var index = 0
                    while index &+ 4 <= count {
                        let probability = UnsafeRawPointer(p + index).loadUnaligned(as: SIMD4<Double>.self)
                        let positive = SIMD4<UInt64>(UInt64(y[index]), UInt64(y[index &+ 1]), UInt64(y[index &+ 2]), UInt64(y[index &+ 3])) .== 1
                        let own = (1 - probability).replacing(with: probability, where: positive)
                        let clipped = own.replacing(with: low, where: own .< low).replacing(with: high, where: own .> high)
                        let weights = SIMD4(weight(index), weight(index &+ 1), weight(index &+ 2), weight(index &+ 3))
                        lanes -= VectorLog.log(clipped) * weights
                        index &+= 4
                    }
                    var values = SIMD4<Double>(repeating: 1), weights = SIMD4<Double>()
                    for lane in 0..<(count - index) {
                        values[lane] = q(index + lane)
                        weights[lane] = weight(index + lane)
                    }
                    lanes -= VectorLog.log(values) * weights
                    return lanes.sum()
                }
                @inline(__always) func brier(_ i: Int) -> Double {
                    let label = Double(y[i]), miss = (1 - label) - (1 - p[i]), hit = label - p[i]
                    return miss * miss + hit * hit
                }
                guard let weights = predictions.weights else {
                    // One pass, four rows at a time: counts, the score range, Brier and log loss together.
                    var truePositives = SIMD4<Double>(), predictedPositives = SIMD4<Double>(), positives = SIMD4<Double>()
                    var brierLanes = SIMD4<Double>(), lossLanes = SIMD4<Double>()
                    var lowest = SIMD4<Double>(repeating: 0), highest = SIMD4<Double>(repeating: 1)
                    let cut = SIMD4<Double>(repeating: threshold), zero = SIMD4<Double>(), one = SIMD4<Double>(repeating: 1)
                    let low = SIMD4<Double>(repeating: epsilon), high = SIMD4<Double>(repeating: 1 - epsilon)
                    var index = 0
                    while index &+ 4 <= count {
                        let probability = UnsafeRawPointer(p + index).loadUnaligned(as: SIMD4<Double>.self)
                        let label = SIMD4<Double>(Double(y[index]), Double(y[index &+ 1]), Double(y[index &+ 2]), Double(y[index &+ 3]))
                        let predicted = zero.replacing(with: one, where: probability .>= cut)
                        truePositives += label * predicted
                        predictedPositives += predicted
                        positives += label
                        lowest = lowest.replacing(with: probability, where: probability .< lowest)
                        highest = highest.replacing(with: probability, where: probability .> highest)
                        let miss = (1 - label) - (1 - probability), hit = label - probability
                        brierLanes += miss * miss + hit * hit
                        let own = (1 - probability).replacing(with: probability, where: label .== one)
                        lossLanes -= VectorLog.log(own.replacing(with: low, where: own .< low).replacing(with: high, where: own .> high))
                        index &+= 4
                    }
                    var tp = truePositives.sum(), predictedCount = predictedPositives.sum(), positiveCount = positives.sum()
                    var probabilities = lowest.min() >= 0 && highest.max() <= 1
                    var brierSum = brierLanes.sum()
                    var tailLoss = SIMD4<Double>(repeating: 1)
                    for row in index..<count {
                        let label = Double(y[row]), predicted: Double = p[row] >= threshold ? 1 : 0
                        tp += label * predicted
                        predictedCount += predicted
                        positiveCount += label
                        brierSum += brier(row)
                        tailLoss[row - index] = q(row)
                        probabilities = probabilities && p[row] >= 0 && p[row] <= 1
                    }
                    let lossSum = lossLanes.sum() - VectorLog.log(tailLoss).sum()
                    let n = Double(count)
                    let confusion = ConfusionMatrix(
                        trueNegatives: n - positiveCount - predictedCount + tp, falsePositives: predictedCount - tp,
                        falseNegatives: positiveCount - tp, truePositives: tp)
                    guard probabilities else { return (confusion, .undefined(reason), .undefined(reason)) }
                    return (confusion, .value(lossSum / n), .value(0.5 * brierSum / n))
                }
                let probabilities = predictions.scoresAreProbabilities
                return weights.withUnsafeBufferPointer { weightBuffer in
                    guard let w = weightBuffer.baseAddress else {
                        return (ConfusionMatrix(trueNegatives: 0, falsePositives: 0, falseNegatives: 0, truePositives: 0), .undefined(reason), .undefined(reason))
                    }
                    var tp = 0.0, fp = 0.0, fn = 0.0, tn = 0.0
                    for i in 0..<count {
                        switch (y[i] == 1, p[i] >= threshold) {
                        case (true, true): tp += w[i]
                        case (false, true): fp += w[i]
                        case (true, false): fn += w[i]
                        case (false, false): tn += w[i]
                        }
                    }
                    let confusion = ConfusionMatrix(trueNegatives: tn, falsePositives: fp, falseNegatives: fn, truePositives: tp)
                    guard probabilities else { return (confusion, .undefined(reason), .undefined(reason)) }
                    let total = FastSums.sum(count) { w[$0] }
                    return (confusion, .value(lossSum { w[$0] } / total),
                            .value(0.5 * FastSums.sum(count) { brier($0) * w[$0] } / total))
                }
            }
        }
        confusion = result.0
        logLoss = result.1
        brierScore = result.2
    }

    private var total: Double { confusion.truePositives + confusion.falsePositives + confusion.falseNegatives + confusion.trueNegatives }

    /// (TP + TN) / all.
    public var accuracy: MetricValue {
        .ratio(confusion.truePositives + confusion.trueNegatives, total, undefined: "there are no rows")
    }

    /// TP / (TP + FP).
    public var precision: MetricValue {
        .ratio(confusion.truePositives, confusion.truePositives + confusion.falsePositives,
               undefined: "no row is predicted positive at this threshold")
    }

    /// TP / (TP + FN), the true positive rate.
    public var recall: MetricValue {
        .ratio(confusion.truePositives, confusion.truePositives + confusion.falseNegatives, undefined: "there are no positive labels")
    }

    /// TN / (TN + FP), the true negative rate.
    public var specificity: MetricValue {
        .ratio(confusion.trueNegatives, confusion.trueNegatives + confusion.falsePositives, undefined: "there are no negative labels")
    }

    /// 2TP / (2TP + FP + FN).
    public var f1: MetricValue {
        .ratio(2 * confusion.truePositives, 2 * confusion.truePositives + confusion.falsePositives + confusion.falseNegatives,
               undefined: "there are no positive labels and no positive predictions")
    }

    /// The mean of recall and specificity.
    public var balancedAccuracy: MetricValue {
        guard let recall = recall.number, let specificity = specificity.number else {
            return .undefined("both classes must be present")
        }
        return .value((specificity + recall) / 2)
    }

    /// Matthews correlation coefficient, in scikit-learn's covariance form.
    public var matthewsCorrelation: MetricValue {
        let c = confusion
        let trueSums = (c.trueNegatives + c.falsePositives, c.falseNegatives + c.truePositives)
        let predictedSums = (c.trueNegatives + c.falseNegatives, c.falsePositives + c.truePositives)
        let samples = predictedSums.0 + predictedSums.1
        let correct = c.trueNegatives + c.truePositives
        let covTruePredicted = correct * samples - (trueSums.0 * predictedSums.0 + trueSums.1 * predictedSums.1)
        let covPredicted = samples * samples - (predictedSums.0 * predictedSums.0 + predictedSums.1 * predictedSums.1)
        let covTrue = samples * samples - (trueSums.0 * trueSums.0 + trueSums.1 * trueSums.1)
        guard covTrue * covPredicted != 0 else {
            return .undefined("all labels or all predictions are of one class")
        }
        return .value(covTruePredicted / (covTrue * covPredicted).squareRoot())
    }
}
