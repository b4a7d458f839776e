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
    ])
    func refusals(section: String, message: String) {
        expectModelSectionRefused(section, saying: message)
    }
}
