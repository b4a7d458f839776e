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
        let probabilities = predictions.scoresAreProbabilities
        let reason = "scores are not probabilities (some are outside [0, 1])"
        let count = predictions.count
        let epsilon = Double.ulpOfOne
        let result = predictions.labels.withUnsafeBufferPointer { labelBuffer in
            predictions.scores.withUnsafeBufferPointer { scoreBuffer -> (ConfusionMatrix, MetricValue, MetricValue) in
                guard let y = labelBuffer.baseAddress, let p = scoreBuffer.baseAddress else {
                    return (ConfusionMatrix(trueNegatives: 0, falsePositives: 0, falseNegatives: 0, truePositives: 0), .undefined(reason), .undefined(reason))
                }
                // scikit-learn expands to the columns [1 − p, p] and clips each to [ε, 1 − ε] for log loss.
                @inline(__always) func loss(_ i: Int) -> Double {
                    y[i] == 1 ? -log(min(max(p[i], epsilon), 1 - epsilon)) : -log(min(max(1 - p[i], epsilon), 1 - epsilon))
                }
                @inline(__always) func brier(_ i: Int) -> Double {
                    let label = Double(y[i]), miss = (1 - label) - (1 - p[i]), hit = label - p[i]
                    return miss * miss + hit * hit
                }
                guard let weights = predictions.weights else {
                    var truePositives = 0, predictedPositives = 0, positives = 0
                    for i in 0..<count {
                        let label = Int(y[i]), predicted = p[i] >= threshold ? 1 : 0
                        truePositives &+= label & predicted
                        predictedPositives &+= predicted
                        positives &+= label
                    }
                    let confusion = ConfusionMatrix(
                        trueNegatives: Double(count - positives - predictedPositives + truePositives),
                        falsePositives: Double(predictedPositives - truePositives),
                        falseNegatives: Double(positives - truePositives), truePositives: Double(truePositives))
                    guard probabilities else { return (confusion, .undefined(reason), .undefined(reason)) }
                    return (confusion, .value(FastSums.sum(count, loss) / Double(count)), .value(0.5 * FastSums.sum(count, brier) / Double(count)))
                }
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
                    return (confusion, .value(FastSums.sum(count) { loss($0) * w[$0] } / total),
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
