import MLGateWorkspace
package import MLGateEval

/// One model's metrics on some rows: every metric of the task, by name, plus its confusion matrix.
package struct ModelMetrics {
    package var values: [String: MetricValue]
    package var confusion: [[Double]]?

    /// Computes every metric of `task` for `scores` on the rows `subset` (all rows when nil).
    package static func compute(task: EvalTask, inputs: EvalInputs, scores: ModelScores, threshold: Double,
                        subset: [Int]? = nil, weights override: [Double]? = nil, names: [String]? = nil) throws -> ModelMetrics {
        try compute(task: task, labels: inputs.labels, targets: inputs.targets, weights: inputs.weights, scores: scores, threshold: threshold,
                    subset: subset, weights: override, names: names)
    }

    /// Computes every metric of `task` for `scores` against `labels` (binary, multiclass) or `targets` (regression),
    /// weighted by `weights` unless `override` replaces them, on the rows `subset` (all rows when nil).
    package static func compute(task: EvalTask, labels: [Int], targets: [Double], weights: [Double]?, scores: ModelScores, threshold: Double,
                                subset: [Int]? = nil, weights override: [Double]? = nil, names: [String]? = nil) throws -> ModelMetrics {
        func pick<T>(_ values: [T]) -> [T] { subset.map { $0.map { values[$0] } } ?? values }
        let weights = override.map(pick) ?? weights.map(pick)
        switch task {
        case .binary:
            // All rows with the inputs' weights: the model's shared order; otherwise (slices, resamples) a new one.
            let order = subset == nil && override == nil ? scores.order : nil
            let predictions = try order?.predictions
                ?? BinaryPredictions(labels: pick(labels).map { UInt8($0) }, scores: pick(scores.columns[0]), weights: weights)
            let ranking = order.map { BinaryRanking($0) } ?? BinaryRanking(predictions)
            let point = ThresholdMetrics(predictions, threshold: threshold)
            return ModelMetrics(values: [
                "roc_auc": ranking.rocAUC, "average_precision": ranking.averagePrecision, "accuracy": point.accuracy,
                "precision": point.precision, "recall": point.recall, "f1": point.f1, "log_loss": point.logLoss,
                "brier_score": point.brierScore, "specificity": point.specificity, "balanced_accuracy": point.balancedAccuracy,
                "matthews_corrcoef": point.matthewsCorrelation,
            ], confusion: point.confusion.rows)
        case .multiclass:
            let metrics = try MulticlassMetrics(labels: pick(labels), probabilities: scores.columns.map(pick), weights: weights)
            return ModelMetrics(values: [
                "accuracy": .value(metrics.accuracy),
                "precision_macro": metrics.precision.macro, "precision_micro": metrics.precision.micro, "precision_weighted": metrics.precision.weighted,
                "recall_macro": metrics.recall.macro, "recall_micro": metrics.recall.micro, "recall_weighted": metrics.recall.weighted,
                "f1_macro": metrics.f1.macro, "f1_micro": metrics.f1.micro, "f1_weighted": metrics.f1.weighted,
                "log_loss": metrics.logLoss, "roc_auc_ovr": metrics.rocAUC.macro, "roc_auc_ovr_weighted": metrics.rocAUC.weighted,
            ], confusion: metrics.confusion)
        case .regression:
            let metrics = try RegressionMetrics(targets: pick(targets), predictions: pick(scores.columns[0]), weights: weights)
            var values: [String: MetricValue] = [
                "mse": .value(metrics.meanSquaredError), "rmse": .value(metrics.rootMeanSquaredError),
                "mae": .value(metrics.meanAbsoluteError), "r2": .value(metrics.r2), "mape": .value(metrics.meanAbsolutePercentageError),
            ]
            if names?.contains("median_absolute_error") ?? true { values["median_absolute_error"] = metrics.medianAbsoluteError }
            return ModelMetrics(values: values, confusion: nil)
        }
    }
}

/// The Poisson paired bootstrap over the requested metrics: intervals for the candidate, the baseline and
/// their difference, all from the same resampled row weights.
package struct BootstrapIntervals {
    package var candidate: [String: ClosedRange<Double>] = [:]
    package var baseline: [String: ClosedRange<Double>] = [:]
    package var difference: [String: ClosedRange<Double>] = [:]

    package init(task: EvalTask, inputs: EvalInputs, metrics: [String], threshold: Double, resamples: Int, seed: UInt64, level: Double) throws {
        // AUC and AP: 8-lane weighted walks over each model's shared order; the rest from a weighted pass.
        let rankingOnly = task == .binary && Set(metrics).isSubset(of: ["roc_auc", "average_precision"])
        typealias Draw = Result<(first: [String: MetricValue], second: [String: MetricValue]?), any Error>
        let bootstrap = PoissonBootstrap(rows: inputs.rowCount, resamples: resamples, seed: seed)
        let draws: [Draw]
        if rankingOnly, let candidateOrder = inputs.candidate.order {
            let orders = [candidateOrder] + (inputs.baseline?.order.map { [$0] } ?? [])
            let ranked = bootstrap.rankingMetrics(orders, averagePrecision: metrics.contains("average_precision"))
            func values(_ draw: RankingDraw) -> [String: MetricValue] { ["roc_auc": draw.rocAUC, "average_precision": draw.averagePrecision] }
            draws = (0..<resamples).map { index in .success((values(ranked[0][index]), ranked.count > 1 ? values(ranked[1][index]) : nil)) }
        } else {
            draws = bootstrap.map { counts in
                Result {
                    let weights = inputs.weights.map { zip($0, counts).map { $0 * Double($1) } } ?? counts.map(Double.init)
                    return (try ModelMetrics.compute(task: task, inputs: inputs, scores: inputs.candidate, threshold: threshold, weights: weights, names: metrics).values,
                            try inputs.baseline.map { try ModelMetrics.compute(task: task, inputs: inputs, scores: $0, threshold: threshold, weights: weights, names: metrics).values })
                }
            }
        }
        var candidateDraws: [String: [Double]] = [:], baselineDraws: [String: [Double]] = [:], differenceDraws: [String: [Double]] = [:]
        var failure: (any Error)?
        for draw in draws {
            switch draw {
            case .failure(let error):
                failure = failure ?? error  // a resample whose weights are all zero; rare at useful sizes
            case .success(let (first, second)):
                for name in metrics {
                    guard let value = first[name]?.number else { continue }
                    candidateDraws[name, default: []].append(value)
                    if let other = second?[name]?.number {
                        baselineDraws[name, default: []].append(other)
                        differenceDraws[name, default: []].append(value - other)
                    }
                }
            }
        }
        if candidateDraws.isEmpty, let failure { throw failure }
        for (name, draws) in candidateDraws { candidate[name] = PoissonBootstrap.interval(draws, level: level) }
        for (name, draws) in baselineDraws { baseline[name] = PoissonBootstrap.interval(draws, level: level) }
        for (name, draws) in differenceDraws { difference[name] = PoissonBootstrap.interval(draws, level: level) }
    }
}
