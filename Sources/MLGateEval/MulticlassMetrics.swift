#if canImport(Glibc)
import Glibc
#endif

/// Multiclass metrics for labels 0…K−1 and one probability column per class, in scikit-learn's
/// definitions: accuracy of the arg-max class, macro / micro / weighted precision, recall and F1
/// (classes whose metric divides by zero are left out of the macro and weighted means, as scikit-learn
/// does with `zero_division=nan`), log loss, and one-vs-rest ROC AUC (macro and prevalence-weighted).
public struct MulticlassMetrics: Sendable {
    public let classCount: Int
    public let accuracy: Double
    public let precision: (macro: MetricValue, micro: MetricValue, weighted: MetricValue)
    public let recall: (macro: MetricValue, micro: MetricValue, weighted: MetricValue)
    public let f1: (macro: MetricValue, micro: MetricValue, weighted: MetricValue)
    public let logLoss: MetricValue
    public let rocAUC: (macro: MetricValue, weighted: MetricValue)
    /// confusion[true][predicted], weighted.
    public let confusion: [[Double]]

    /// Validates and computes. `probabilities[c][row]` is the probability of class c.
    public init(labels: [Int], probabilities: [[Double]], weights: [Double]? = nil) throws(EvalError) {
        guard !labels.isEmpty else { throw .empty }
        let k = probabilities.count
        for column in probabilities where column.count != labels.count {
            throw .lengthMismatch(what: "probabilities", expected: labels.count, actual: column.count)
        }
        if let row = labels.firstIndex(where: { $0 < 0 || $0 >= k }) { throw .badClass(row: row, value: labels[row], classes: k) }
        for column in probabilities {
            if let row = column.firstIndex(where: { !$0.isFinite }) { throw .notFinite(what: "score", row: row, value: column[row]) }
        }
        try validate(weights: weights, rows: labels.count)
        classCount = k
        var confusion = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        var loss = CompensatedSum(), total = CompensatedSum()
        var probabilitiesValid = true
        for row in 0..<labels.count {
            let weight = weights?[row] ?? 1
            var best = 0
            var sum = 0.0
            for c in 0..<k {
                let p = probabilities[c][row]
                if p > probabilities[best][row] { best = c }
                if p < 0 || p > 1 { probabilitiesValid = false }
                sum += p
            }
            if abs(sum - 1) > 1e-6 { probabilitiesValid = false }
            confusion[labels[row]][best] += weight
            let clipped = min(max(probabilities[labels[row]][row], .ulpOfOne), 1 - .ulpOfOne)
            loss.add(-log(clipped) * weight)
            total.add(weight)
        }
        self.confusion = confusion
        let all = total.value
        accuracy = (0..<k).reduce(0.0) { $0 + confusion[$1][$1] } / all
        logLoss = probabilitiesValid ? .value(loss.value / all)
            : .undefined("each row's class probabilities must lie in [0, 1] and sum to 1")

        let support = (0..<k).map { c in confusion[c].reduce(0, +) }
        let predicted = (0..<k).map { c in (0..<k).reduce(0.0) { $0 + confusion[$1][c] } }
        let truePositives = (0..<k).map { confusion[$0][$0] }
        func perClass(_ denominator: [Double]) -> [Double?] {
            (0..<k).map { denominator[$0] == 0 ? nil : truePositives[$0] / denominator[$0] }
        }
        let precisions = perClass(predicted), recalls = perClass(support)
        let f1s: [Double?] = (0..<k).map { c in
            let denominator = predicted[c] + support[c]
            return denominator == 0 ? nil : 2 * truePositives[c] / denominator
        }
        func averages(_ values: [Double?], micro: MetricValue) -> (macro: MetricValue, micro: MetricValue, weighted: MetricValue) {
            let defined = values.enumerated().compactMap { index, value in value.map { (index, $0) } }
            guard !defined.isEmpty else {
                let reason = "no class has a defined value"
                return (.undefined(reason), micro, .undefined(reason))
            }
            let macro = defined.reduce(0) { $0 + $1.1 } / Double(defined.count)
            let weight = defined.reduce(0) { $0 + support[$1.0] }
            let weighted: MetricValue = weight == 0 ? .undefined("no labels") : .value(defined.reduce(0) { $0 + $1.1 * support[$1.0] } / weight)
            return (.value(macro), micro, weighted)
        }
        let microValue = MetricValue.value(truePositives.reduce(0, +) / all)
        precision = averages(precisions, micro: microValue)
        recall = averages(recalls, micro: microValue)
        f1 = averages(f1s, micro: microValue)

        if !probabilitiesValid {
            let reason = "each row's class probabilities must lie in [0, 1] and sum to 1"
            rocAUC = (.undefined(reason), .undefined(reason))
        } else {
            // Per class, one-vs-rest; a class without rows has no AUC: it makes the macro mean undefined,
            // and weighs nothing in the prevalence-weighted mean (scikit-learn sets its weight to 0).
            var aucs: [Double?] = []
            for c in 0..<k {
                let binary = labels.map { UInt8($0 == c ? 1 : 0) }
                let predictions = try? BinaryPredictions(labels: binary, scores: probabilities[c], weights: weights)
                aucs.append(support[c] > 0 ? predictions.flatMap { BinaryRanking($0).rocAUC.number } : nil)
            }
            let present = zip(aucs, support).compactMap { auc, weight in auc.map { ($0, weight) } }
            let macro: MetricValue = present.count == k ? .value(present.reduce(0) { $0 + $1.0 } / Double(k))
                : .undefined("a class has no rows (or is in every row), so its one-vs-rest AUC is undefined")
            let weight = present.reduce(0) { $0 + $1.1 }
            let weighted: MetricValue = present.isEmpty || weight == 0 ? .undefined("no class has a defined one-vs-rest AUC")
                : .value(present.reduce(0) { $0 + $1.0 * $1.1 } / weight)
            rocAUC = (macro, weighted)
        }
    }
}
