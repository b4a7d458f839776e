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
            """, file: "mlgate.yaml").models
        #expect(models.first?.monitor == MonitorSpec(reference: "data/train.csv", current: "collected/a", preset: .azure,
                                                     columns: ["id": .ignore, "zip": .categorical], driftShare: 0.3))
        #expect(models.last?.monitor == MonitorSpec(reference: "data/train.csv"))
    }

    @Test("bad monitors are refused at their line", arguments: [
        ("monitor: {current: x.csv}", "needs a 'reference'"),
        ("monitor: {reference: r.csv, preset: nannyml}", "is evidently or azure"),
        ("monitor: {reference: r.csv, columns: {a: text}}", "numeric, categorical or ignore"),
        ("monitor: {reference: r.csv, drift_share: 0}", "more than 0, at most 1"),
        ("monitor: {reference: r.csv, window: 24h}", "unknown key 'window' in 'monitor'"),
        ("monitor: {reference: ../outside.csv}", "mlgate.yaml:4:"),
    ])
    func refusals(section: String, message: String) {
        expectModelSectionRefused(section, saying: message)
    }
}
