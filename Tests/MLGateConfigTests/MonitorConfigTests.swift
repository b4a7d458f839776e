import MLGateConfig
import MLGateCore
import Testing

@Suite("a model's monitor section in mlgate.yaml")
struct MonitorConfigTests {
    @Test("every key is read; evidently and a drift share of 0.5 by default")
    func read() throws {
        let models = try ConfigLoader.parse("""
            version: 1
            models:
              a:
                monitor: {reference: data/train.csv, current: collected/a/, preset: azure, columns: {id: ignore, zip: categorical}, drift_share: 0.3}
              b:
                monitor: {reference: data/train.csv}
              c:
                monitor:
                  reference: data/train.csv
                  columns:
                    tenure: {kind: numeric, method: psi, threshold: 0.2}
                    region: {method: chisquare}
                    charges: {threshold: 0.25}
            """, file: "mlgate.yaml").models
        #expect(models.first?.monitor == MonitorSpec(reference: "data/train.csv", current: "collected/a", preset: .azure,
                                                     columns: ["id": .init(kind: .ignore), "zip": .init(kind: .categorical)], driftShare: 0.3))
        #expect(models[1].monitor == MonitorSpec(reference: "data/train.csv"))
        #expect(models.last?.monitor?.columns == [
            "tenure": .init(kind: .numeric, method: .psi, threshold: 0.2),
            "region": .init(method: .chisquare),
            "charges": .init(threshold: 0.25),
        ])
    }

    @Test("the prediction and performance signals: their columns and task default to the evaluation's")
    func signals() throws {
        let models = try ConfigLoader.parse("""
            version: 1
            models:
              a:
                evaluate:
                  cmd: python3 p.py {model} {predictions}
                  task: binary
                  columns: {id: id, label: churned, score: p}
                monitor:
                  reference: data/train.csv
                  prediction: {reference: data/train_scores.csv, method: psi, threshold: 0.2}
                  performance: {metric: log_loss, max: 0.5}
              b:
                monitor:
                  reference: data/train.csv
                  performance: {task: regression, metric: r2, min: 0.3, label: y, score: yhat, min_rows: 100}
            """, file: "mlgate.yaml").models
        let a = try #require(models.first?.monitor)
        #expect(a.prediction == MonitorSpec.PredictionSignal(column: "p", reference: "data/train_scores.csv", rule: .init(method: .psi, threshold: 0.2)))
        #expect(a.performance == MonitorSpec.PerformanceSignal(metric: "log_loss", task: "binary", bound: 0.5, higherIsBetter: false, label: "churned", score: "p"))
        #expect(models[1].monitor?.prediction == nil)
        #expect(models[1].monitor?.performance == MonitorSpec.PerformanceSignal(metric: "r2", task: "regression", bound: 0.3, higherIsBetter: true,
                                                                                  label: "y", score: "yhat", minimumRows: 100))
    }

    @Test("bad monitors are refused at their line", arguments: [
        ("monitor: {current: x.csv}", "needs a 'reference'"),
        ("monitor: {reference: r.csv, preset: nannyml}", "is evidently or azure"),
        ("monitor: {reference: r.csv, columns: {a: text}}", "numeric, categorical or ignore"),
        ("monitor: {reference: r.csv, columns: {a: {kind: text}}}", "numeric, categorical or ignore"),
        ("monitor: {reference: r.csv, columns: {a: {method: wasserstein}}}", "is one of ks, wasserstein_norm, psi"),
        ("monitor: {reference: r.csv, columns: {a: {kind: categorical, method: ks}}}", "compares numbers, and column 'a' is categorical"),
        ("monitor: {reference: r.csv, columns: {a: {kind: ignore, method: psi}}}", "is ignored, so it has no method"),
        ("monitor: {reference: r.csv, columns: {a: {method: ks, threshold: 5}}}", "a p-value for ks, below 1"),
        ("monitor: {reference: r.csv, columns: {a: {threshold: -1}}}", "a number above 0"),
        ("monitor: {reference: r.csv, columns: {a: {methd: psi}}}", "unknown key 'methd' in the monitor rule of column 'a'"),
        ("monitor: {reference: r.csv, drift_share: 0}", "more than 0, at most 1"),
        ("monitor: {reference: r.csv, window: 24h}", "unknown key 'window' in 'monitor'"),
        ("monitor: {reference: ../outside.csv}", "mlgate.yaml:4:"),
        ("monitor: {reference: r.csv, prediction: {method: psi}}", "needs a 'column'"),
        ("monitor: {reference: r.csv, prediction: {column: s, kind: ignore}}", "cannot be ignored"),
        ("monitor: {reference: r.csv, prediction: {column: s, method: k}}", "is one of ks, wasserstein_norm"),
        ("monitor: {reference: r.csv, prediction: {column: s, colour: red}}", "unknown key 'colour' in the monitor prediction"),
        ("monitor: {reference: r.csv, performance: {metric: roc_auc, min: 0.7}}", "needs a 'task' (binary or regression)"),
        ("monitor: {reference: r.csv, performance: {task: multiclass, metric: accuracy, min: 0.7}}", "binary and regression tasks"),
        ("monitor: {reference: r.csv, performance: {task: binary, metric: rmse, max: 0.7}}", "needs a 'metric' of the binary task"),
        ("monitor: {reference: r.csv, performance: {task: binary, metric: roc_auc, max: 0.7}}", "so its bound is 'min'"),
        ("monitor: {reference: r.csv, performance: {task: binary, metric: roc_auc}}", "needs 'min': the worst roc_auc"),
        ("monitor: {reference: r.csv, performance: {task: binary, metric: roc_auc, min: 0.7, min_rows: 0}}", "at least 1 (default 30)"),
    ])
    func refusals(section: String, message: String) {
        expectModelSectionRefused(section, saying: message)
    }
}
