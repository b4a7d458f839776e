package import Foundation
import MLGateSystem
import MLGateCore
package import MLGateRegistry
package import MLGateStore
import MLGateWorkspace
import MLGateDeploy
import MLGateGit
import MLGatePipeline

/// Drift checks of the models a registry's mlgate.yaml monitors, recorded in the store for their trend.
package struct MonitorService {
    package let registry: RegistryContext

    /// The monitor of `registry`'s models.
    package init(registry: RegistryContext) { self.registry = registry }

    /// Where the current data of a check comes from.
    package enum Current: Sendable {
        /// A file or folder (nil: the monitor's `current`).
        case files(String?)
        /// The request inputs endpoint `endpoint` collected for the model, from `since` on (all when nil).
        case collected(endpoint: String, since: Date?)
    }

    /// Checks `model`'s current data against its reference, and records the report with the version then in the
    /// model's champion stage.
    package func check(_ model: String, current: Current) throws -> DriftReport {
        let models = try registry.workspace.configuration().models
        guard let spec = models.first(where: { $0.name == model }) else {
            throw UsageError("model '\(model)' is not declared under 'models:' in mlgate.yaml.")
        }
        guard let monitor = spec.monitor else {
            throw UsageError("model '\(model)' has no 'monitor' in mlgate.yaml: add monitor: {reference: data/train.csv, current: collected/\(model)/} (docs/monitoring.md).")
        }
        let report: DriftReport
        let described: String
        do {
            (report, described) = try measure(model, monitor: monitor, current: current)
        } catch {
            // A monitor that cannot look at its data is an event too: someone should know the watch stopped.
            try? registry.store.recordMonitorFailure(model: model, reason: "\(error)")
            throw error
        }
        let version = try? registry.store.version(model: model, inStage: spec.promotion.champion)?.uri
        let check = try registry.store.recordMonitorCheck(model: model, version: version ?? nil, current: described, drifted: report.drifted,
                                                          share: report.share, json: try JSONDocument.text(report))
        if report.drifted, monitor.onDrift == .retrain { queueRetraining(model, monitor: monitor, check: check) }
        return report
    }

    /// Queues a training job of the pipeline at HEAD with the drift verdict as its reason (unless one was queued within
    /// the cool-down), and starts a worker. The new model then meets the same gate as any other candidate, so it
    /// replaces the champion only when the promotion criteria say so. Problems are warnings: the check stands.
    private func queueRetraining(_ model: String, monitor: MonitorSpec, check: MonitorCheckRecord) {
        let reporter = registry.reporter
        let prefix = "retrain \(model):"
        do {
            let now = Store.nowMilliseconds
            if let last = try registry.store.newestJob(gating: model), now - last < Int64(monitor.retrainCooldownHours) * 3_600_000 {
                return reporter.progress("drift: a retraining of '\(model)' was queued within the last \(monitor.retrainCooldownHours) h (retrain_cooldown_hours); not queuing another")
            }
            let stages = try registry.workspace.pipeline().stages
            let head = try GitRepository.open(at: registry.workspace.root).head()
            guard let commit = head.commit else { return reporter.warning("drift: no retraining queued: the repository has no commit") }
            let hash = TrustStore.hash(stages)
            let trusted = TrustStore().isTrusted(hash, repository: registry.workspace.layout.directory)
            let reason = "\(prefix) drift in check \(check.id) (\(Int((check.share * 100).rounded())) % of columns drifted, \(check.current))"
            let job = Job(ref: head.branchName.map { "refs/heads/" + $0 } ?? "HEAD", commit: commit.hex, remote: nil, stages: stages.map(\.name),
                          status: trusted ? .queued : .untrusted, trustHash: hash, createdAt: now, updatedAt: now,
                          message: trusted ? nil : "its stage commands are not approved: run 'mlgate trust' after reading them", reason: reason,
                          gateModel: model)
            let (id, added) = try registry.store.enqueue(job)
            guard trusted else { return reporter.warning("drift: retraining job \(id) waits: the stage commands are not approved (mlgate trust --show, then mlgate trust)") }
            reporter.progress(added ? "drift: queued retraining job \(id) of '\(model)' at \(commit.short); its model meets the gate like any candidate (mlgate gate \(model) --candidate RUN)"
                                    : "drift: training job \(id) at \(commit.short) is already queued")
            if added { WorkerLauncher.startIfIdle(layout: registry.workspace.layout) }
        } catch {
            reporter.warning("drift: no retraining queued: \(error)")
        }
    }

    /// Reads the current data and judges it against the reference.
    private func measure(_ model: String, monitor: MonitorSpec, current: Current) throws -> (DriftReport, String) {
        switch current {
        case .files(let given):
            guard let given = given ?? monitor.current.map({ registry.workspace.root + "/" + $0 }) else {
                throw UsageError("say which data to check with --current PATH or --endpoint NAME, or set monitor.current for model '\(model)' in mlgate.yaml.")
            }
            let described = Files.absolute(given)
            return (try DriftCheck.run(model: model, spec: monitor, root: registry.workspace.root, current: described), described)
        case .collected(let endpoint, let since):
            let control = try EndpointControl(endpoint: endpoint, registry: registry)
            guard let collect = control.endpoint.collect else {
                throw UsageError("endpoint '\(endpoint)' collects nothing; add collect: {sample: 1.0} to endpoints.\(endpoint) in mlgate.yaml, serve it, then check.")
            }
            let root = CollectedData.root(collect, workspace: registry.workspace)
            let collected = CollectedData.inputRows(root: root, endpoint: endpoint, model: model, since: since)
            let described = "endpoint \(endpoint)" + (since.map { " since \(CollectedData.timestamp($0))" } ?? "")
            guard collected.rows > 0 else {
                throw UsageError("endpoint '\(endpoint)' collected no request rows for model '\(model)'\(since.map { " since \(CollectedData.timestamp($0))" } ?? "") under \(root)/\(endpoint); serve traffic first, or widen --window.")
            }
            let report = try DriftCheck.run(model: model, spec: monitor, root: registry.workspace.root, current: described,
                                            table: (collected.values, collected.rows))
            return (report, described)
        }
    }

    /// The recorded checks of `model`, newest first.
    package func history(_ model: String, limit: Int) throws -> [MonitorCheckRecord] {
        try registry.store.monitorChecks(model: model, limit: limit)
    }
}
