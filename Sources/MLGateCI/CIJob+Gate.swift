package import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateConfig
package import MLGateCore
import MLGateDeploy
package import MLGateEvaluation
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// The gate in a CI job: the pipeline, a verdict per model, and on the default branch registration, promotion
/// and (once the registry is published) deployment.
extension CIJob {
    package func gate(registry: RegistryContext, configuration: MLGateConfiguration, defaultBranch: String, remote: String?) throws {
        let registers = try registersVersions(defaultBranch: defaultBranch)
        let specs = try selectedModels(configuration)
        let champions = specs.compactMap { spec in try? registry.store.resolve(ModelURI(parsing: "\(spec.name)@\(spec.promotion.champion)")) }
        try pullObjects(registry, configuration: configuration, versions: champions, remote: remote)
        if options.dispatch { try trainOnExecutor(registry: registry, configuration: configuration, remote: remote) }
        if !configuration.stages.isEmpty {
            let runner = PipelineRunner(workspace: workspace, store: registry.store, interruption: Interruption())
            var runOptions = RunOptions()
            runOptions.trigger = "ci"
            // Trained on the executor: its outputs are restored from the remote, not trained again here.
            if options.dispatch { runOptions.remote = try RemoteObjects(workspace: workspace, override: nil) }
            let summary = try runner.run(try workspace.pipeline(), options: runOptions)
            result.run = summary.run
            guard summary.status == .succeeded else {
                result.passed = false
                result.warnings.append("the pipeline \(summary.status.rawValue): \(summary.message ?? "")")
                throw RunFailure(summary: summary)
            }
        }
        result.action = options.retrain != nil ? "retrain" : registers ? "register" : "report"
        for spec in specs {
            let gate = try GateContext(model: spec.name, registry: registry)
            let run = try candidateRun(gate)
            let (verdict, curves) = try gate.judgeWithCurves(candidateRun: run, candidatePredictions: nil, championURI: nil, championPredictions: nil)
            _ = try registry.store.recordVerdict(model: spec.name, candidateArtifact: verdict.candidate.artifact ?? "", champion: verdict.champion?.name,
                                                 passed: verdict.passed, json: try JSONDocument.text(verdict))
            verdicts.append(verdict)
            pages[spec.name] = VerdictPage.html(verdict, curves: curves)
            reporter.output(VerdictReport.text(verdict))
            var outcome = CIModelOutcome(model: spec.name, passed: verdict.passed, champion: verdict.champion?.name)
            if registers, verdict.passed {
                try register(spec, run: run, gate: gate, registry: registry, configuration: configuration, outcome: &outcome)
            } else if registers {
                outcome.note = "not registered: the gate failed"
            } else {
                outcome.note = context.event == .pullRequest ? "reported only (pull request)" : "reported only (not a push to \(defaultBranch))"
            }
            result.models.append(outcome)
        }
        result.passed = result.models.allSatisfy(\.passed)
        if registers { recordInNotes(registry, remote: remote) }
    }

    /// Trains the commit on the configured executor (`--dispatch`): one dispatch per CI job (its key names the
    /// provider, run and commit, so a rerun of the job follows the same run), followed to its end, then its run-cache
    /// entries pulled from `remote.objects`, so the pipeline that follows restores (and fetches) them instead of training.
    func trainOnExecutor(registry: RegistryContext, configuration: MLGateConfiguration, remote: String?) throws {
        guard let dispatcher = try Dispatchers.make(configuration.executor) else {
            throw UsageError("--dispatch trains on the executor mlgate.yaml names, and it names none: add executor: {type: kubernetes, image: …} (or github, gitlab; docs/team.md), or drop --dispatch.")
        }
        guard configuration.remote.objects != nil else {
            throw UsageError("--dispatch gets the outputs back through remote.objects, which mlgate.yaml does not set; add remote: {objects: s3://bucket/prefix} (docs/team.md).")
        }
        if let why = dispatcher.cannotFollow {
            throw UsageError("--dispatch waits for the training, and the \(dispatcher.engine) executor cannot follow it: \(why).")
        }
        guard !context.isFork else {
            throw UsageError("--dispatch does not train a pull request from a fork: its branch is not in this repository, and the executor would run the fork's code with this repository's credentials. Gate it on the runner (drop --dispatch for forks).")
        }
        guard let branch = context.branch else {
            throw UsageError("--dispatch needs the branch being built (the engines start runs on a branch), and this job names none; run it on a branch or pull request build.")
        }
        let repository = try? GitRepository.open(at: workspace.root)
        guard let commit = (try? repository?.head().commit?.hex) ?? nil else {
            throw UsageError("--dispatch needs a commit to train; this checkout has none.")
        }
        // One key per CI run and commit: a rerun of the job finds the run its first attempt dispatched.
        let url = context.repositoryURL ?? ((try? repository?.configString("remote.\(remote ?? "origin").url")) ?? nil)
        let request = DispatchRequest(job: 0, ref: branch, commit: commit, repositoryURL: url,
                                      key: "mlgate-ci-\(context.provider.rawValue)-\(DispatchRequest.digest(context.runURL ?? commit))-\(commit.prefix(8))")
        let follower = RemoteRun(dispatcher: dispatcher) { [self] in say($0) }
        let receipt = try follower.start(request, known: nil)
        switch try follower.follow(receipt, stop: { false }) {
        case .succeeded?:
            // What the run pushed: its run-cache entries (their outputs are fetched as the pipeline restores them).
            try pullObjects(registry, configuration: configuration, versions: [], remote: remote)
        case .failed(let reason)?:
            throw EnvironmentError("the training dispatched to \(dispatcher.engine) ended: \(reason); see \(receipt.url).")
        case .unfollowed(let why)?:
            throw EnvironmentError("--dispatch waits for the training, and \(receipt.url) cannot be followed: \(why).")
        case .pending?, .running?, nil:
            throw EnvironmentError("the training dispatched to \(dispatcher.engine) did not finish; see \(receipt.url).")
        }
    }

    /// Whether the versions that pass are registered: on a push to the default branch, and in a retraining
    /// (`--retrain`) of a scheduled or manual job on it; anywhere else `--retrain` is refused before anything runs.
    package func registersVersions(defaultBranch: String) throws -> Bool {
        guard options.retrain != nil else { return context.isPush(to: defaultBranch) }
        guard context.event == .manual || context.event == .push, context.branch == defaultBranch else {
            throw UsageError("--retrain registers the retrained model, so it runs in a scheduled or manual job on \(defaultBranch); this job is \(context.summary). Drop --retrain to gate and report only.")
        }
        return true
    }

    /// Why a passing version is registered and promoted, for the audit log.
    var registrationReason: String {
        options.retrain.map { "retrained (\($0)); passed its gate in CI" } ?? "passed its gate in CI"
    }

    /// The models to gate or release: --model, else every model with promotion criteria (and, to gate, an
    /// `evaluate` section).
    package func selectedModels(_ configuration: MLGateConfiguration, toGate: Bool = true) throws -> [ModelSpec] {
        if options.models.isEmpty {
            let specs = configuration.models.filter { !$0.promotion.criteria.isEmpty && (!toGate || $0.evaluation != nil) }
            guard !specs.isEmpty else {
                throw UsageError("mlgate.yaml declares no model with \(toGate ? "'evaluate' and " : "")'promotion' criteria, so there is nothing to \(toGate ? "gate" : "release"); name one with --model (docs/registry.md#promotion).")
            }
            return specs
        }
        return try options.models.map { name in
            guard let spec = configuration.models.first(where: { $0.name == name }) else {
                throw UsageError("--model \(name): there is no model '\(name)' under 'models:' in mlgate.yaml.")
            }
            return spec
        }
    }

    /// The newest succeeded run whose output is the artifact now in the worktree (its metrics feed 'source'
    /// criteria, and the version links to it), or nil to judge the worktree's artifact alone.
    package func candidateRun(_ gate: GateContext) throws -> Int? {
        guard let artifact = gate.spec.artifact else { return nil }
        let full = workspace.root + "/" + artifact.path
        guard FileManager.default.fileExists(atPath: full) else { return nil }
        let hash = try gate.registry.versionFromPath(full).artifact
        let path = artifact.path.hasSuffix("/") ? String(artifact.path.dropLast()) : artifact.path
        return try gate.registry.store.runs(limit: 50).first { run in
            run.status == .succeeded && run.stages.flatMap(\.outputs).contains { $0.path == path && $0.hash == hash }
        }?.number
    }

    /// Registers a passing version, promotes it as far as the lifecycle allows, and deploys it.
    package func register(_ spec: ModelSpec, run: Int?, gate: GateContext, registry: RegistryContext, configuration: MLGateConfiguration,
                          outcome: inout CIModelOutcome) throws {
        var new: NewModelVersion
        if let run {
            new = try registry.versionFromRun(run, model: spec.name, artifact: nil)
            if let warning = try registry.dirtyRunWarning(run) { warn(warning) }
        } else if let artifact = spec.artifact {
            new = try registry.versionFromPath(workspace.root + "/" + artifact.path)
        } else {
            outcome.note = "not registered: model '\(spec.name)' has no 'artifact'"
            return
        }
        new.branch = context.branch
        new.tags["ci"] = context.provider.rawValue
        if let url = context.runURL { new.tags["ci_run"] = url }
        new.description = "registered by mlgate ci: \(context.summary)"
        new.profile = registry.captureProfile(of: spec, root: workspace.root, dataHashes: new.dataHashes)
        if let verdict = try registry.store.latestVerdict(model: spec.name, artifact: new.artifact) {
            new.verdict = verdict.json
            new.verdictDigest = verdict.digest
            new.verdictPassed = verdict.passed
        }
        let version = try registry.store.register(model: spec.name, new, by: registry.actor(reason: registrationReason))
        result.changedRegistry = true
        outcome.registered = version.uri
        outcome.version = version.version
        say("registered \(version.uri)")
        let target = try promotionTarget(spec, configuration: configuration)
        outcome.waiting = try promote(version, towards: target, registry: registry, reason: registrationReason, outcome: &outcome)
        scheduleDeploy(version)
    }

    /// The stage a passing version moves towards: --stage, 'ci.promote_to', the champion's stage, else the last stage.
    package func promotionTarget(_ spec: ModelSpec, configuration: MLGateConfiguration) throws -> String {
        let stage = options.stage ?? configuration.ci.promoteTo ?? (spec.lifecycle.stages.contains(spec.promotion.champion)
                                                                     ? spec.promotion.champion : spec.lifecycle.stages.last ?? "production")
        guard spec.lifecycle.stages.contains(stage) else {
            throw UsageError("'\(stage)' is not a lifecycle stage of model '\(spec.name)' (its stages are \(spec.lifecycle.stages.joined(separator: ", "))); fix --stage or 'ci.promote_to'.")
        }
        return stage
    }

    /// Promotes `version` one stage at a time up to `target`; returns what stops it short, if anything.
    package func promote(_ version: ModelVersion, towards target: String, registry: RegistryContext, reason: String,
                 outcome: inout CIModelOutcome) throws -> String? {
        let progress = try registry.promote(version, towards: target, reason: reason)
        for stage in progress.stages {
            result.changedRegistry = true
            outcome.stages.append(stage)
            say("promoted \(version.uri) to \(stage)")
        }
        guard let stopped = progress.stoppedAt else { return nil }
        // A CI job never forces: it says what is missing and how it gets there (docs/ci.md#the-release-gate).
        let approve = stopped.missing.contains { $0.contains("approval") }
            ? "; approve it ('mlgate approve \(version.model) \(version.version) --stage \(stopped.stage)', then 'mlgate models push') and run the release job"
            : ""
        say("\(version.uri) stays short of \(stopped.stage): \(stopped.text + approve)")
        return "\(stopped.stage): \(stopped.text + approve)"
    }

    /// Deploys `version` once the registry is published (see `runPendingDeploys`).
    package func scheduleDeploy(_ version: ModelVersion) {
        pendingDeploys.append((version.model, version.artifact))
    }

    /// Deploys each scheduled version (found again by its artifact: publishing may have renumbered it) to
    /// --target, 'ci.deploy', or the targets whose `model:` now resolves to it. Returns whether anything deployed.
    package func runPendingDeploys(_ registry: RegistryContext, configuration: MLGateConfiguration) throws -> Bool {
        var deployedAny = false
        for (model, artifact) in pendingDeploys {
            guard let version = try registry.store.versions(model: model).first(where: { $0.artifact == artifact && $0.status == "active" }) else { continue }
            let named = options.targets.isEmpty ? configuration.ci.deploy : options.targets
            let candidates = try named.map { names in
                try names.map { name in
                    guard let target = configuration.deployTargets.first(where: { $0.name == name }) else {
                        throw UsageError("there is no deploy target '\(name)' in mlgate.yaml; the targets are \(configuration.deployTargets.map(\.name).joined(separator: ", ")).")
                    }
                    return target
                }
            } ?? configuration.deployTargets.filter { $0.model.map { (try? ModelURI(parsing: $0))?.name == model } ?? false }
            for target in candidates {
                if let reference = target.model, (try? registry.store.resolve(ModelURI(parsing: reference)))?.version != version.version {
                    continue  // the target serves a stage or alias this version has not reached
                }
                try DeployContext(target: target.name, registry: registry).deploy(version, rollback: false, reason: "deployed by mlgate ci")
                deployedAny = true
                if let index = result.models.firstIndex(where: { $0.model == model }) { result.models[index].deployed.append(target.name) }
                say("deployed \(version.uri) to \(target.name)")
            }
        }
        pendingDeploys = []
        return deployedAny
    }
}
