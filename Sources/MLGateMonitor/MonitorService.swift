import Foundation
import MLGateSystem
package import MLGateCore
package import MLGateRegistry
package import MLGateStore
import MLGateWorkspace

/// Drift checks of the models a registry's mlgate.yaml monitors, recorded in the store for their trend.
package struct MonitorService {
    package let registry: RegistryContext

    /// The monitor of `registry`'s models.
    package init(registry: RegistryContext) { self.registry = registry }

    /// Checks `model`'s current data (`current`, else the monitor's `current`) against its reference, and records
    /// the report with the version then in the model's champion stage.
    package func check(_ model: String, current: String?) throws -> DriftReport {
        let models = try registry.workspace.configuration().models
        guard let spec = models.first(where: { $0.name == model }) else {
            throw UsageError("model '\(model)' is not declared under 'models:' in mlgate.yaml.")
        }
        guard let monitor = spec.monitor else {
            throw UsageError("model '\(model)' has no 'monitor' in mlgate.yaml: add monitor: {reference: data/train.csv, current: collected/\(model)/} (docs/monitoring.md).")
        }
        guard let given = current ?? monitor.current.map({ registry.workspace.root + "/" + $0 }) else {
            throw UsageError("say which data to check with --current PATH, or set monitor.current for model '\(model)' in mlgate.yaml.")
        }
        let path = Files.absolute(given)
        let report = try DriftCheck.run(model: model, spec: monitor, root: registry.workspace.root, current: path)
        let version = try? registry.store.version(model: model, inStage: spec.promotion.champion)?.uri
        try registry.store.recordMonitorCheck(model: model, version: version ?? nil, current: path, drifted: report.drifted, share: report.share,
                                              json: try JSONDocument.text(report))
        return report
    }

    /// The recorded checks of `model`, newest first.
    package func history(_ model: String, limit: Int) throws -> [MonitorCheckRecord] {
        try registry.store.monitorChecks(model: model, limit: limit)
    }
}
