import MLGateEval
import Testing

@Suite("exactness against scikit-learn 1.9.1 (fixtures from Fixtures/make_fixtures.py)")
struct ExactnessTests {
    @Test("binary metrics: ties, float32 ties, ±0.0, all-equal, perfect separation, 3 levels, weights, one class")
    func binary() throws {
        let cases = try Fixtures.cases("binary")
        #expect(cases.count >= 12)
        for fixture in cases {
            let name = fixture["name"] as? String ?? "?"
            let predictions = try BinaryPredictions(
                labels: Fixtures.labels(fixture["labels"]), scores: try #require(Fixtures.doubles(fixture["scores"])),
                weights: Fixtures.doubles(fixture["weights"]))
            let expected = try #require(fixture["metrics"] as? [String: Any])
            let ranking = BinaryRanking(predictions)
            let point = ThresholdMetrics(predictions, threshold: try #require(Fixtures.double(fixture["threshold"])))
            let actual: [String: MetricValue] = [
                "roc_auc": ranking.rocAUC, "average_precision": ranking.averagePrecision,
                "accuracy": point.accuracy, "precision": point.precision, "recall": point.recall, "f1": point.f1,
                "specificity": point.specificity, "balanced_accuracy": point.balancedAccuracy,
                "mcc": point.matthewsCorrelation, "log_loss": point.logLoss, "brier_score": point.brierScore,
            ]
            for (metric, value) in actual {
                let want = Fixtures.double(expected[metric])
                #expect(close(value.number, want), "\(name) \(metric): \(value) vs sklearn \(String(describing: want))")
                if want == nil { #expect(value.undefinedReason != nil, "\(name) \(metric) should be undefined") }
            }
            let confusion = (expected["confusion"] as? [Any])?.map(Fixtures.double) ?? []
            let c = point.confusion
            #expect(confusion == [c.trueNegatives, c.falsePositives, c.falseNegatives, c.truePositives].map { Optional($0) }, "\(name) confusion")
            try compareCurves(fixture, ranking, name)
        }
    }

    private func compareCurves(_ fixture: [String: Any], _ ranking: BinaryRanking, _ name: String) throws {
        guard let curves = fixture["curves"] as? [String: Any], let roc = curves["roc"] as? [String: Any],
              let pr = curves["pr"] as? [String: Any] else {
            #expect(ranking.rocCurve() == nil, "\(name): one class has no ROC curve")
            return
        }
        let ours = try #require(ranking.rocCurve())
        for (mine, key) in [(ours.falsePositiveRate, "fpr"), (ours.truePositiveRate, "tpr"), (ours.thresholds, "thresholds")] {
            let theirs = try #require(Fixtures.doubles(roc[key]))
            #expect(mine.count == theirs.count, "\(name) roc \(key) length")
            #expect(zip(mine, theirs).allSatisfy { close($0, $1) }, "\(name) roc \(key)")
        }
        let prOurs = try #require(ranking.precisionRecallCurve())
        for (mine, key) in [(prOurs.precision, "precision"), (prOurs.recall, "recall"), (prOurs.thresholds, "thresholds")] {
            let theirs = try #require(Fixtures.doubles(pr[key]))
            #expect(mine.count == theirs.count, "\(name) pr \(key) length")
            #expect(zip(mine, theirs).allSatisfy { close($0, $1) }, "\(name) pr \(key)")
        }
    }

    @Test("regression metrics: noisy, weighted, perfect, constant target, odd length")
    func regression() throws {
        for fixture in try Fixtures.cases("regression") {
            let name = fixture["name"] as? String ?? "?"
            let metrics = try RegressionMetrics(
                targets: try #require(Fixtures.doubles(fixture["targets"])),
                predictions: try #require(Fixtures.doubles(fixture["predictions"])),
                weights: Fixtures.doubles(fixture["weights"]))
            let expected = try #require(fixture["metrics"] as? [String: Any])
            let actual: [String: Double?] = [
                "mse": metrics.meanSquaredError, "rmse": metrics.rootMeanSquaredError, "mae": metrics.meanAbsoluteError,
                "r2": metrics.r2, "mape": metrics.meanAbsolutePercentageError,
                "median_absolute_error": metrics.medianAbsoluteError.number,
            ]
            for (metric, value) in actual {
                let want = Fixtures.double(expected[metric])
                // MAPE divides by targets near zero; compare it relatively.
                let tolerance = metric == "mape" ? max(1e-12, abs(want ?? 0) * 1e-14) : 1e-12
                #expect(close(value, want, tolerance: tolerance), "\(name) \(metric): \(String(describing: value)) vs \(String(describing: want))")
            }
        }
    }

    @Test("paired DeLong: AUCs, variances, covariance, z and p against the numpy reference")
    func delong() throws {
        for fixture in try Fixtures.cases("delong") {
            let name = fixture["name"] as? String ?? "?"
            let test = try DeLongTest(labels: Fixtures.labels(fixture["labels"]), candidate: try #require(Fixtures.doubles(fixture["a"])),
                                      baseline: try #require(Fixtures.doubles(fixture["b"])))
            #expect(close(test.candidateAUC, Fixtures.double(fixture["auc_a"])), "\(name) auc a")
            #expect(close(test.baselineAUC, Fixtures.double(fixture["auc_b"])), "\(name) auc b")
            #expect(close(test.candidateVariance, Fixtures.double(fixture["var_a"]), tolerance: 1e-15), "\(name) var a")
            #expect(close(test.baselineVariance, Fixtures.double(fixture["var_b"]), tolerance: 1e-15), "\(name) var b")
            #expect(close(test.covariance, Fixtures.double(fixture["cov_ab"]), tolerance: 1e-15), "\(name) cov")
            #expect(close(test.z, Fixtures.double(fixture["z"]), tolerance: 1e-9), "\(name) z")
            #expect(close(test.pValue, Fixtures.double(fixture["p_value"]), tolerance: 1e-12), "\(name) p")
        }
    }

    @Test("McNemar: exact binomial and corrected chi-square against statsmodels")
    func mcnemar() throws {
        for fixture in try Fixtures.cases("mcnemar") {
            let name = fixture["name"] as? String ?? "?"
            let labels = Fixtures.labels(fixture["labels"])
            let a = (fixture["a"] as? [Int] ?? []).map(Double.init), b = (fixture["b"] as? [Int] ?? []).map(Double.init)
            let test = try McNemarTest(labels: labels, candidate: a, baseline: b)
            #expect(test.candidateOnlyCorrect == fixture["discordant_b"] as? Int, "\(name) b")
            #expect(test.baselineOnlyCorrect == fixture["discordant_c"] as? Int, "\(name) c")
            #expect(test.exact == fixture["exact"] as? Bool, "\(name) exact")
            #expect(close(test.statistic, Fixtures.double(fixture["statistic"])), "\(name) statistic")
            #expect(close(test.pValue, Fixtures.double(fixture["p_value"])), "\(name) p: \(test.pValue)")
        }
    }
}

@Suite("multiclass exactness against scikit-learn")
struct MulticlassExactnessTests {
    @Test("accuracy, macro/micro/weighted P/R/F1, log loss, one-vs-rest AUC; weights; a class with no rows")
    func multiclass() throws {
        for fixture in try Fixtures.cases("multiclass") {
            let name = fixture["name"] as? String ?? "?"
            let probabilities = ((fixture["probabilities"] as? [Any]) ?? []).compactMap(Fixtures.doubles)
            let metrics = try MulticlassMetrics(labels: (fixture["labels"] as? [Int]) ?? [], probabilities: probabilities,
                                                weights: Fixtures.doubles(fixture["weights"]))
            let expected = try #require(fixture["metrics"] as? [String: Any])
            let actual: [String: MetricValue] = [
                "accuracy": .value(metrics.accuracy),
                "precision_macro": metrics.precision.macro, "precision_micro": metrics.precision.micro, "precision_weighted": metrics.precision.weighted,
                "recall_macro": metrics.recall.macro, "recall_micro": metrics.recall.micro, "recall_weighted": metrics.recall.weighted,
                "f1_macro": metrics.f1.macro, "f1_micro": metrics.f1.micro, "f1_weighted": metrics.f1.weighted,
                "log_loss": metrics.logLoss, "roc_auc_ovr": metrics.rocAUC.macro, "roc_auc_ovr_weighted": metrics.rocAUC.weighted,
            ]
            for (metric, value) in actual {
                let want = Fixtures.double(expected[metric])
                #expect(close(value.number, want), "\(name) \(metric): \(value) vs sklearn \(String(describing: want))")
            }
        }
    }
}
