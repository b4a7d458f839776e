package import MLGateEval

/// One model's ROC and precision–recall curves on a set of rows, with the areas under them: what `mlgate eval
/// --curves` prints and the gate's HTML report draws.
package struct RankingCurves {
    /// The model's part in a comparison: `candidate` or `champion`.
    package var role: String
    /// How the report names it (`run 3`, `models:/churn/2`).
    package var name: String
    /// The ROC curve (scikit-learn's `roc_curve`, intermediate points dropped).
    package var roc: ROCCurve
    /// The precision–recall curve (scikit-learn's `precision_recall_curve`).
    package var precisionRecall: PrecisionRecallCurve
    /// The area under the ROC curve, when defined.
    package var rocAUC: Double?
    /// The average precision, when defined.
    package var averagePrecision: Double?

    /// The curves of the binary `scores` against `inputs`' labels and weights; nil when the rows hold one class only.
    package init?(role: String, name: String, inputs: EvalInputs, scores: [Double]) {
        guard let predictions = try? BinaryPredictions(labels: inputs.labels.map { UInt8($0) }, scores: scores, weights: inputs.weights) else { return nil }
        let ranking = BinaryRanking(predictions)
        guard let roc = ranking.rocCurve(), let precisionRecall = ranking.precisionRecallCurve() else { return nil }
        self.role = role
        self.name = name
        self.roc = roc
        self.precisionRecall = precisionRecall
        rocAUC = ranking.rocAUC.number
        averagePrecision = ranking.averagePrecision.number
    }
}
