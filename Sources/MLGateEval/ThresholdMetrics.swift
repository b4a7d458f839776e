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
        var tp = 0.0, fp = 0.0, fn = 0.0, tn = 0.0
        var logSum = CompensatedSum(), brierSum = CompensatedSum(), total = CompensatedSum()
        let probabilities = predictions.scoresAreProbabilities
        let epsilon = Double.ulpOfOne
        let labels = predictions.labels, scores = predictions.scores, weights = predictions.weights
        for row in 0..<labels.count {
            let weight = weights?[row] ?? 1
            let positive = labels[row] == 1
            let predicted = scores[row] >= threshold
            switch (positive, predicted) {
            case (true, true): tp += weight
            case (false, true): fp += weight
            case (true, false): fn += weight
            case (false, false): tn += weight
            }
            guard probabilities else { continue }
            let p = scores[row], y = positive ? 1.0 : 0.0
            // scikit-learn expands to the columns [1 − p, p] and clips each to [ε, 1 − ε].
            let clipped = positive ? min(max(p, epsilon), 1 - epsilon) : min(max(1 - p, epsilon), 1 - epsilon)
            logSum.add(-log(clipped) * weight)
            let miss = (1 - y) - (1 - p), hit = y - p
            brierSum.add((miss * miss + hit * hit) * weight)
            total.add(weight)
        }
        confusion = ConfusionMatrix(trueNegatives: tn, falsePositives: fp, falseNegatives: fn, truePositives: tp)
        if probabilities {
            logLoss = .value(logSum.value / total.value)
            brierScore = .value(0.5 * brierSum.value / total.value)
        } else {
            let reason = "scores are not probabilities (some are outside [0, 1])"
            logLoss = .undefined(reason)
            brierScore = .undefined(reason)
        }
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
