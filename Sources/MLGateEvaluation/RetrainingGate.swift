import MLGateCore
import MLGateStore
import MLGateWorkspace
package import MLGateRegistry

/// What a retraining job of the queue does once its run trained: the model's gate against its champion, the verdict
/// recorded, and only when it passes, the run's output registered and promoted stage by stage towards the
/// champion's stage as far as the lifecycle allows, never forced. A model that fails its gate replaces nothing.
package struct RetrainingGate {
    /// The job's checkout: its mlgate.yaml, evaluation command and data judge the candidate.
    package let judging: RegistryContext
    /// The repository's registry: the version is registered there, and its tags and notes written to its git.
    package let registering: RegistryContext

    /// A gate judging in `judging`'s checkout and registering in `registering`.
    package init(judging: RegistryContext, registering: RegistryContext) {
        self.judging = judging
        self.registering = registering
    }

    /// Gates run `run` as a candidate of `model`, retrained because of `reason`; returns one line for the job's
    /// record: the verdict, and what was registered and promoted, or why nothing was.
    package func judge(model: String, run: Int, reason: String) throws -> String {
        let gate = try GateContext(model: model, registry: judging)
        let verdict = try gate.judge(candidateRun: run, candidatePredictions: nil, championURI: nil, championPredictions: nil)
        let json = try JSONDocument.text(verdict)
        let digest = try registering.store.recordVerdict(model: model, candidateArtifact: verdict.candidate.artifact ?? "",
                                                         champion: verdict.champion?.name, passed: verdict.passed, json: json)
        let against = verdict.champion.map { " against \($0.name)" } ?? " (no champion yet)"
        guard verdict.passed else {
            let failed = verdict.criteria.filter { !$0.passed }.map(\.criterion)
            return "gate failed\(against): \(failed.joined(separator: "; ")); nothing registered"
        }
        var new = try registering.versionFromRun(run, model: model, artifact: nil)
        new.description = "retrained by the queue: \(reason)"
        new.verdict = json
        new.verdictDigest = digest
        new.verdictPassed = true
        // The reference the new version was trained on is the job checkout's.
        new.profile = registering.captureProfile(of: gate.spec, root: judging.workspace.root, dataHashes: new.dataHashes)
        let registrationReason = "retrained (\(reason)); passed its gate"
        let version = try registering.store.register(model: model, new, by: registering.actor(reason: registrationReason))
        let progress = try registering.promote(version, towards: gate.spec.promotion.champion, reason: registrationReason)
        registering.publish()
        var line = "gate passed\(against); registered \(version.uri)"
        if !progress.stages.isEmpty { line += ", promoted to " + progress.stages.joined(separator: " → ") }
        if let stopped = progress.stoppedAt { line += "; short of \(stopped.stage): \(stopped.text)" }
        return line
    }
}
