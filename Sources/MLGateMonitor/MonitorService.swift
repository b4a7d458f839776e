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
    /// model's champion stage. The reference is that version's profile, captured when it was registered, unless it
    /// has none or `referenceFiles` asks for the monitor's files in the repository.
    package func check(_ model: String, current: Current, referenceFiles: Bool = false) throws -> DriftReport {
        let models = try registry.workspace.configuration().models
        guard let spec = models.first(where: { $0.name == model }) else {
            throw UsageError("model '\(model)' is not declared under 'models:' in mlgate.yaml.")
        }
        guard let monitor = spec.monitor else {
            throw UsageError("model '\(model)' has no 'monitor' in mlgate.yaml: add monitor: {reference: data/train.csv, current: collected/\(model)/} (docs/monitoring.md).")
        }
        let champion = try registry.store.version(model: model, inStage: spec.promotion.champion)
        let root = registry.workspace.root
        if !referenceFiles, let hash = champion?.profile, !registry.objects.contains(hash), (try? registry.workspace.configuration().remote.objects) != nil {
            // A version registered on another machine: its profile travels through remote.objects.
            _ = try? RemoteObjects(workspace: registry.workspace, override: nil).fetch([hash], into: registry.objects)
        }
        let profile = referenceFiles ? nil : try champion.flatMap { try registry.openProfile(of: $0) }
        defer { profile?.remove() }
        let reference = profile.map { opened in
            ReferenceData(data: opened.reference, predictions: opened.predictions ?? monitor.prediction?.reference.map { root + "/" + $0 },
                          name: "profile of \(champion?.uri ?? model) (\(opened.profile.reference))")
        } ?? ReferenceData(files: monitor, root: root)
        let report: DriftReport
        let described: String
        do {
            (report, described) = try measure(model, monitor: monitor, reference: reference, current: current)
        } catch {
            // A monitor that cannot look at its data is an event too: someone should know the watch stopped.
            try? registry.store.recordMonitorFailure(model: model, reason: "\(error)")
            throw error
        }
        let check = try registry.store.recordMonitorCheck(model: model, version: champion?.uri, current: described, drifted: report.drifted,
                                                          share: report.share, json: try JSONDocument.text(report))
        if report.drifted, monitor.onDrift == .retrain { queueRetraining(model, monitor: monitor, check: check, report: report) }
        return report
    }

    /// Queues a training job of the pipeline at HEAD with the drift verdict as its reason (unless one was queued within
    /// the cool-down), and starts a worker. The new model then meets the same gate as any other candidate, so it
    /// replaces the champion only when the promotion criteria say so. Problems are warnings: the check stands.
    private func queueRetraining(_ model: String, monitor: MonitorSpec, check: MonitorCheckRecord, report: DriftReport) {
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
            let reason = "\(prefix) drift in check \(check.id) (\(report.summary), \(check.current))"
            let job = Job(ref: head.branchName.map { "refs/heads/" + $0 } ?? "HEAD", commit: commit.hex, remote: nil, stages: stages.map(\.name),
                          status: trusted ? .queued : .untrusted, trustHash: hash, createdAt: now, updatedAt: now,
                          message: trusted ? nil : "its stage commands are not approved: run 'mlgate trust' after reading them", reason: reason,
                          gateModel: model)
            let (id, added) = try registry.store.enqueue(job)
            guard trusted else { return reporter.warning("drift: retraining job \(id) waits: the stage commands are not approved (mlgate trust --show, then mlgate trust)") }
            reporter.progress(added ? "drift: queued retraining job \(id) of '\(model)' at \(commit.short); its model meets the gate like any candidate (mlgate gate \(model) --candidate RUN)"
                                    : "drift: training job \(id) at \(commit.short) is already queued; once trained, its model meets the gate like any candidate")
            if added { WorkerLauncher.startIfIdle(layout: registry.workspace.layout) }
        } catch {
            reporter.warning("drift: no retraining queued: \(error)")
        }
    }

    /// Reads the current data and judges it against the reference, and the model's outputs and performance when
    /// the monitor has those signals.
    private func measure(_ model: String, monitor: MonitorSpec, reference: ReferenceData, current: Current) throws -> (DriftReport, String) {
        let root = registry.workspace.root
        switch current {
        case .files(let given):
            guard let given = given ?? monitor.current.map({ root + "/" + $0 }) else {
                throw UsageError("say which data to check with --current PATH or --endpoint NAME, or set monitor.current for model '\(model)' in mlgate.yaml.")
            }
            let described = Files.absolute(given)
            // The signals' columns come from the same read of the files: the output, and the true outcome where they have one.
            let names = [monitor.prediction?.column, monitor.performance?.label, monitor.performance?.score].compactMap { $0 }
            var (report, cells) = try DriftCheck.run(model: model, spec: monitor, reference: reference, current: described, signals: names)
            if monitor.prediction != nil || monitor.performance != nil {
                var observed = Signals.Observed(outputs: monitor.prediction.flatMap { cells[$0.column] }, source: described)
                if let performance = monitor.performance, let labels = cells[performance.label], let scores = cells[performance.score] {
                    observed.labelled = Array(zip(labels, scores)).map { (label: $0.0, score: $0.1) }
                }
                try Signals.judge(&report, spec: monitor, reference: reference, observed: observed)
            }
            return (report, described)
        case .collected(let endpoint, let since):
            let control = try EndpointControl(endpoint: endpoint, registry: registry)
            guard let collect = control.endpoint.collect else {
                throw UsageError("endpoint '\(endpoint)' collects nothing; add collect: {sample: 1.0} to endpoints.\(endpoint) in mlgate.yaml, serve it, then check.")
            }
            let folder = CollectedData.root(collect, workspace: registry.workspace)
            let inputs = CollectedData.rows(.inputs, root: folder, endpoint: endpoint, model: model, since: since)
            let window = since.map { " since \(CollectedData.timestamp($0))" } ?? ""
            let described = "endpoint \(endpoint)" + window
            guard inputs.count > 0 else {
                throw UsageError("endpoint '\(endpoint)' collected no request rows for model '\(model)'\(window) under \(folder)/\(endpoint); serve traffic first, or widen --window.")
            }
            var report = try DriftCheck.run(model: model, spec: monitor, reference: reference, current: described, table: (inputs.values, inputs.count))
            if monitor.prediction != nil || monitor.performance != nil {
                // The answers, paired with the ground truth by request id.
                let column = monitor.prediction?.column ?? monitor.performance?.score ?? "score"
                let outputs = CollectedData.rows(.outputs, root: folder, endpoint: endpoint, model: model, since: since, valueColumn: column)
                var observed = Signals.Observed(outputs: monitor.prediction.flatMap { outputs.values[$0.column] }, source: described)
                if let performance = monitor.performance, let scores = outputs.values[performance.score] {
                    let labels = CollectedData.labels(root: folder, endpoint: endpoint)
                    observed.labelled = zip(outputs.correlations, scores).compactMap { id, score in labels[id].map { (label: $0, score: score) } }
                }
                try Signals.judge(&report, spec: monitor, reference: reference, observed: observed)
            }
            return (report, described)
        }
    }

    /// The recorded checks of `model`, newest first.
    package func history(_ model: String, limit: Int) throws -> [MonitorCheckRecord] {
        try registry.store.monitorChecks(model: model, limit: limit)
    }
}
