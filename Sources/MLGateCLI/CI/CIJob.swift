import ArgumentParser
import Foundation
import MLGateConfig
import MLGateCore
import MLGateGit
import MLGateHooks
import MLGateStore

/// One `mlgate ci` invocation: where it runs, what it may do, and the result it reports.
final class CIJob {
    let options: CICommand
    let context: CIContext
    let secrets: CISecrets
    let workspace: Workspace
    let git: GitCommandLine
    /// The token for the pull request comment, taken before the environment is narrowed.
    let commentToken: String?
    /// The job's variables without secrets, as they were before commands' environment was narrowed (where
    /// the provider's report files and API addresses are named).
    let jobEnvironment: [String: String]
    var result: CIResult
    private var verdicts: [Verdict] = []
    /// Versions to deploy after the registry is published: (model, artifact).
    private var pendingDeploys: [(String, String)] = []

    init(options: CICommand) throws {
        let environment = ProcessInfo.processInfo.environment
        let forced = options.provider.flatMap(CIProvider.init(rawValue:))
        let provider = forced ?? CIContext.provider(in: environment)
        var context = CIContext.detect(environment: environment, provider: provider,
                                       githubEvent: provider == .github ? Self.githubEvent(environment["GITHUB_EVENT_PATH"]) : nil)
        workspace = try Workspace.current()
        // git keeps the job's whole environment (credential helpers, SSH agents, GIT_CONFIG_*), even after the
        // environment commands inherit is narrowed.
        git = GitCommandLine(directory: workspace.root, environment: environment)
        if context.commit == nil || context.commit == "HEAD", let head = try? git.run(["rev-parse", "HEAD"]), head.status == 0 { context.commit = head.output }
        if context.branch == nil, context.event == .push, let head = try? git.run(["symbolic-ref", "--short", "HEAD"]), head.status == 0 {
            context.branch = head.output
        }
        self.context = context
        self.options = options
        secrets = CISecrets(environment: environment)
        jobEnvironment = environment.filter { !CISecrets.looksSecret($0.key, value: $0.value) }
        commentToken = context.isFork ? nil : Self.token(for: provider, environment)
        result = CIResult(context: context, mode: options.release ? "release" : "gate")
    }

    /// Runs the job; reports are written whatever happens, then the exit code says how it went.
    func execute() throws {
        say(context.summary)
        for missing in context.missing { warn("\(context.provider.displayName) did not set \(missing)") }
        do {
            if context.isFork { try Self.dropSecretsByRestarting() }
            excludeOwnFiles()
            let configuration = try prepareConfiguration()
            narrowEnvironment(configuration)
            let registry = try RegistryContext(workspace: workspace, store: workspace.openStore())
            let remote = try remoteName(configuration)
            if let remote { try fetchRegistry(registry, remote: remote, configuration: configuration) }
            else { warn("this repository has no git remote: the registry is read from and written to local refs only") }
            let defaultBranch = resolvedDefaultBranch(configuration)
            result.defaultBranch = defaultBranch
            if options.release {
                try CIRelease(job: self, registry: registry, configuration: configuration).run()
            } else {
                try gate(registry: registry, configuration: configuration, defaultBranch: defaultBranch, remote: remote)
            }
            // The registry goes out before anything is deployed: a version number is final only once its tag is
            // on the remote, and a deployment must name the final one.
            if result.changedRegistry, let remote, !options.noPush { try publish(registry, remote: remote, configuration: configuration) }
            if try runPendingDeploys(registry, configuration: configuration), let remote, !options.noPush {
                try publish(registry, remote: remote, configuration: configuration)
            }
        } catch {
            let text = secrets.redact(String(describing: error))
            result.error = text
            finish()
            // What reaches the terminal is redacted too (git's messages may quote a URL with a token).
            if let failure = error as? any MLGateError { throw RedactedFailure(category: failure.category, description: text) }
            throw error
        }
        finish()
        if !result.passed { throw ExitCode(1) }
    }

    // MARK: - Steps

    /// The configuration the job runs: on a fork's pull request, the base branch's mlgate.yaml.
    private func prepareConfiguration() throws -> MLGateConfiguration {
        guard context.isFork else { return try workspace.configuration() }
        // The base: the commit the provider names, else the tip of the target branch (else the default branch).
        // Not the pull request's remote.git: a fork must not choose where its base comes from.
        let name = options.remote ?? "origin"
        let branch = context.baseBranch ?? options.defaultBranch ?? context.defaultBranch ?? "main"
        let base: String
        if let sha = context.baseCommit {
            base = sha
            if (try? git.run(["cat-file", "-e", sha + "^{commit}"]).status) != 0 { try? git.fetch(remote: name, refspecs: [sha]) }
        } else {
            base = "refs/remotes/\(name)/\(branch)"
            try? git.fetch(remote: name, refspecs: ["+refs/heads/\(branch):\(base)"])
        }
        let repository = try GitRepository.open(at: workspace.root)
        guard let commit = try? repository.resolve(base), let text = try repository.fileText(at: commit, path: ConfigLoader.fileName) else {
            throw EnvironmentError("this pull request comes from a fork: mlgate runs the base branch's mlgate.yaml, but could not read it at \(base). Fetch the base branch (\(context.provider.fullHistoryFix)) and run again.")
        }
        let path = workspace.layout.directory + "/ci/base-mlgate.yaml"
        try FileManager.default.createDirectory(atPath: workspace.layout.directory + "/ci", withIntermediateDirectories: true)
        try AtomicFile.write(text, to: path)
        Workspace.configurationOverride = path
        say("pull request from a fork: running the commands of mlgate.yaml at \(commit.hex.prefix(10)) (the base branch), without secrets")
        result.warnings.append("pull request from a fork: the base branch's mlgate.yaml was used and no secrets were passed")
        return try workspace.configuration()
    }

    /// Restarts mlgate without secret-looking variables, so no child can read them from this process either.
    private static func dropSecretsByRestarting() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MLGATE_CI_RESTARTED"] == nil else { return }
        var kept = environment.filter { !CISecrets.looksSecret($0.key, value: $0.value) }
        kept["MLGATE_CI_RESTARTED"] = "1"
        let arguments = CommandLine.arguments
        let cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = kept.map { strdup("\($0.key)=\($0.value)") } + [nil]
        fflush(nil)
        #if os(Linux)
        let executable = "/proc/self/exe"
        #else
        let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
        #endif
        execve(executable, cArguments, cEnvironment)
        throw EnvironmentError("could not restart mlgate without the job's secrets (\(String(cString: strerror(errno)))); refusing to run a fork's commands with them.")
    }

    /// Keeps `.mlgate/` and the reports out of `git status` in the job's checkout, so runs are not recorded as
    /// dirty because of mlgate's own files (`.git/info/exclude`, which is never committed).
    private func excludeOwnFiles() {
        guard let gitDirectory = try? git.run(["rev-parse", "--git-common-dir"]), gitDirectory.status == 0 else { return }
        let directory = gitDirectory.output.hasPrefix("/") ? gitDirectory.output : workspace.root + "/" + gitDirectory.output
        let path = directory + "/info/exclude"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let reports = CIReportWriter.absolute(options.reports ?? "mlgate-reports")
        var wanted = ["/.mlgate/"]
        if reports.hasPrefix(workspace.root + "/") { wanted.append("/" + reports.dropFirst(workspace.root.count + 1) + "/") }
        let missing = wanted.filter { !existing.split(separator: "\n").contains(Substring($0)) }
        guard !missing.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: directory + "/info", withIntermediateDirectories: true)
        try? AtomicFile.write(existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + missing.joined(separator: "\n") + "\n", to: path)
    }

    /// Leaves only what commands may see in this process's environment, so every child inherits that.
    private func narrowEnvironment(_ configuration: MLGateConfiguration) {
        let current = ProcessInfo.processInfo.environment
        let allowed = CISecrets.commandEnvironment(current, untrusted: context.isFork, pass: configuration.ci.passEnvironment)
        for name in current.keys where allowed[name] == nil { unsetenv(name) }
    }

    /// The remote to fetch and push the registry with, or nil when the repository has none.
    private func remoteName(_ configuration: MLGateConfiguration) throws -> String? {
        let name = options.remote ?? configuration.remote.git ?? "origin"
        let found = try git.run(["remote"]).output.split(separator: "\n").map(String.init)
        if found.contains(name) { return name }
        if options.remote != nil || configuration.remote.git != nil {
            throw UsageError("there is no git remote '\(name)' (the remotes are \(found.isEmpty ? "none" : found.joined(separator: ", "))); fix --remote or 'remote.git'.")
        }
        return nil
    }

    /// Fetches the registry's tags and notes by refspec (no history), rebuilds the registry from them, and
    /// fetches the run cache and the champions' artifacts from the remote object store when one is set.
    private func fetchRegistry(_ registry: RegistryContext, remote: String, configuration: MLGateConfiguration) throws {
        let names = Set(configuration.models.map(\.name))
        let patterns = names.isEmpty ? ["refs/tags/*"] : names.sorted().flatMap { ["refs/tags/\($0)@*", "refs/tags/\($0)#*"] }
        // Ask the remote what exists first: fetching a pattern that matches nothing fails in a shallow clone.
        let listed = try git.run(["ls-remote", remote] + patterns + [GitRepository.registryNotesRef])
        guard listed.status == 0 else {
            throw EnvironmentError("could not read the registry's refs from '\(remote)' (git ls-remote exit \(listed.status)): \(secrets.redact(listed.output)). Check the job's access to the repository.")
        }
        let references = listed.output.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) }.filter { !$0.hasSuffix("^{}") }
        let tags = references.filter { $0.hasPrefix("refs/tags/") }
        if !tags.isEmpty { try git.fetch(remote: remote, refspecs: tags.map { "+\($0):\($0)" }) }
        if references.contains(GitRepository.registryNotesRef) {
            try git.fetch(remote: remote, refspecs: ["+\(GitRepository.registryNotesRef):refs/mlgate/remote-notes"])
            try GitRepository.open(at: workspace.root).mergeRegistryNotes(onto: "refs/mlgate/remote-notes")
        }
        let synced = try RegistryMirror.sync(registry)
        say("registry: \(synced.found) version\(synced.found == 1 ? "" : "s") from \(tags.count) tag\(tags.count == 1 ? "" : "s") on \(remote)"
            + (synced.stages.isEmpty ? "" : " (\(synced.stages.joined(separator: ", ")))"))
    }

    /// Objects the job needs from the remote object store: the run cache and mlgate.lock's outputs, and the
    /// champions' artifacts.
    func pullObjects(_ registry: RegistryContext, configuration: MLGateConfiguration, artifacts: Set<String>) throws {
        if configuration.remote.objects != nil {
            let remote = try RemoteObjects(workspace: workspace, override: nil)
            let pulled = try remote.pull(into: workspace, store: registry.store, all: false, extra: artifacts)
            say("object store: \(pulled.fetched) objects and \(pulled.imported) run-cache entries from \(remote.root)")
        }
        for hash in artifacts where !registry.objects.contains(hash) {
            throw EnvironmentError("the artifact \(hash.prefix(12)) is neither in .mlgate/objects nor in a remote object store; set 'remote.objects' in mlgate.yaml to a shared folder, or cache .mlgate/objects between jobs (docs/ci.md#artifacts).")
        }
    }

    private func resolvedDefaultBranch(_ configuration: MLGateConfiguration) -> String {
        if let branch = options.defaultBranch ?? context.defaultBranch ?? configuration.ci.defaultBranch { return branch }
        let remote = configuration.remote.git ?? "origin"
        if let head = try? git.run(["symbolic-ref", "--short", "refs/remotes/\(remote)/HEAD"]), head.status == 0 {
            return String(head.output.dropFirst(remote.count + 1))
        }
        return "main"
    }

    // MARK: - The gate

    private func gate(registry: RegistryContext, configuration: MLGateConfiguration, defaultBranch: String, remote: String?) throws {
        let specs = try selectedModels(configuration)
        var champions = Set<String>()
        for spec in specs {
            guard let champion = try? registry.store.resolve(ModelURI(parsing: "\(spec.name)@\(spec.promotion.champion)")) else { continue }
            champions.insert(champion.artifact)
        }
        try pullObjects(registry, configuration: configuration, artifacts: champions)
        if !configuration.stages.isEmpty {
            let runner = PipelineRunner(workspace: workspace, store: registry.store, interruption: Interruption())
            var runOptions = RunOptions()
            runOptions.trigger = "ci"
            let summary = try runner.run(try workspace.pipeline(), options: runOptions)
            result.run = summary.run
            guard summary.status == .succeeded else {
                result.passed = false
                result.warnings.append("the pipeline \(summary.status.rawValue): \(summary.message ?? "")")
                throw RunFailure(summary: summary)
            }
        }
        let registers = context.isPush(to: defaultBranch)
        result.action = registers ? "register" : "report"
        for spec in specs {
            let gate = try GateContext(model: spec.name)
            let run = try candidateRun(gate)
            let verdict = try gate.judge(candidateRun: run, candidatePredictions: nil, championURI: nil, championPredictions: nil)
            _ = try registry.store.recordVerdict(model: spec.name, candidateArtifact: verdict.candidate.artifact ?? "", champion: verdict.champion?.name,
                                                 passed: verdict.passed, json: try Output.jsonText(verdict))
            verdicts.append(verdict)
            print(VerdictReport.text(verdict))
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

    /// On the default branch, writes the job's run and the pushed commits into `refs/notes/mlgate`, so they
    /// outlive the runner: one `ci-run` line on the commit built (its metrics, verdicts and link), and one
    /// `lineage` line on each commit pushed since the provider's previous commit that the hooks may have missed.
    private func recordInNotes(_ registry: RegistryContext, remote: String?) {
        guard let head = context.commit, let headID = CommitID(hex: head), let repository = try? GitRepository.open(at: workspace.root) else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        func line(_ fields: [(String, String)]) -> String {
            "{" + fields.sorted { $0.0 < $1.0 }.map { "\(JSONText.quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        }
        func quoted(_ value: String?) -> String { value.map(JSONText.quoted) ?? "null" }
        let metrics = (result.run.flatMap { try? registry.store.run($0) } ?? nil)?.metrics ?? [:]
        let run = line([
            ("action", quoted("ci-run")), ("actor", quoted(context.actor)), ("at_ms", String(now)), ("branch", quoted(context.branch)),
            ("commit", quoted(head)), ("event", quoted(context.event.rawValue)), ("provider", quoted(context.provider.rawValue)),
            ("run", result.run.map(String.init) ?? "null"), ("run_url", quoted(context.runURL)),
            ("metrics", "{" + metrics.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\($0.value.isFinite ? String($0.value) : "null")" }.joined(separator: ",") + "}"),
            ("gates", "{" + result.models.map { "\(JSONText.quoted($0.model)):\($0.passed)" }.joined(separator: ",") + "}"),
        ])
        do {
            try repository.appendNote([secrets.redact(run)], to: headID)
            for commit in pushedCommits(remote: remote) where commit != head {
                guard let id = CommitID(hex: commit) else { continue }
                try repository.appendNote([line([("action", quoted("lineage")), ("at_ms", String(now)), ("branch", quoted(context.branch)),
                                                  ("commit", quoted(commit)), ("provider", quoted(context.provider.rawValue)),
                                                  ("source", quoted("ci"))])], to: id)
            }
            result.changedRegistry = true
        } catch {
            warn("the run was not recorded in refs/notes/mlgate: \(error)")
        }
    }

    /// The commits a push brought (previous..HEAD, at most 500). In a shallow clone, history is deepened in
    /// steps of 50 commits, four times at most, until the previous commit is reached; past that only HEAD is
    /// recorded, with the provider's fix for full history.
    private func pushedCommits(remote: String?) -> [String] {
        guard let previous = context.previousCommit, let head = context.commit else { return [] }
        // Reachable through history, not merely present (a registry tag's fetch may have brought it alone).
        func present() -> Bool { (try? git.run(["merge-base", "--is-ancestor", previous, head]).status) == 0 }
        var deepened = 0
        while !present(), git.isShallow, let remote, let branch = context.branch, deepened < 4 {
            guard (try? git.run(["fetch", "--quiet", "--no-tags", "--deepen=50", remote, "+refs/heads/\(branch):refs/remotes/\(remote)/\(branch)"]).status) == 0 else { break }
            deepened += 1
        }
        guard present() else {
            warn("the commit before this push (\(previous.prefix(10))) is not within reach of this clone\(deepened > 0 ? " after deepening by \(deepened * 50) commits" : ""); lineage is recorded for \(head.prefix(10)) only. To record every pushed commit, \(context.provider.fullHistoryFix).")
            return []
        }
        if deepened > 0 { say("deepened the clone by \(deepened * 50) commits to reach \(previous.prefix(10))") }
        guard let listed = try? git.run(["rev-list", "--max-count=500", "\(previous)..\(head)"]), listed.status == 0 else { return [] }
        return listed.output.split(separator: "\n").map(String.init)
    }

    /// The models to gate or release: --model, else every model with promotion criteria (and, to gate, an
    /// `evaluate` section).
    func selectedModels(_ configuration: MLGateConfiguration, toGate: Bool = true) throws -> [ModelSpec] {
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
    private func candidateRun(_ gate: GateContext) throws -> Int? {
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
    private func register(_ spec: ModelSpec, run: Int?, gate: GateContext, registry: RegistryContext, configuration: MLGateConfiguration,
                          outcome: inout CIModelOutcome) throws {
        var new: NewModelVersion
        if let run {
            new = try registry.versionFromRun(run, model: spec.name, artifact: nil)
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
        if let verdict = try registry.store.latestVerdict(model: spec.name, artifact: new.artifact) {
            new.verdict = verdict.json
            new.verdictDigest = verdict.digest
            new.verdictPassed = verdict.passed
        }
        let version = try registry.store.register(model: spec.name, new, by: registry.actor(reason: "passed its gate in CI"))
        result.changedRegistry = true
        outcome.registered = version.uri
        outcome.version = version.version
        say("registered \(version.uri)")
        let target = try promotionTarget(spec, configuration: configuration)
        outcome.waiting = try promote(version, towards: target, registry: registry, reason: "passed its gate in CI", outcome: &outcome)
        scheduleDeploy(version)
    }

    /// The stage a passing version moves towards: --stage, 'ci.promote_to', the champion's stage, else the last stage.
    func promotionTarget(_ spec: ModelSpec, configuration: MLGateConfiguration) throws -> String {
        let stage = options.stage ?? configuration.ci.promoteTo ?? (spec.lifecycle.stages.contains(spec.promotion.champion)
                                                                     ? spec.promotion.champion : spec.lifecycle.stages.last ?? "production")
        guard spec.lifecycle.stages.contains(stage) else {
            throw UsageError("'\(stage)' is not a lifecycle stage of model '\(spec.name)' (its stages are \(spec.lifecycle.stages.joined(separator: ", "))); fix --stage or 'ci.promote_to'.")
        }
        return stage
    }

    /// Promotes `version` one stage at a time up to `target`; returns what stops it short, if anything.
    func promote(_ version: ModelVersion, towards target: String, registry: RegistryContext, reason: String,
                 outcome: inout CIModelOutcome) throws -> String? {
        let lifecycle = try registry.lifecycle(of: version.model)
        guard let last = lifecycle.stages.firstIndex(of: target) else { return nil }
        let start = version.stage.flatMap { lifecycle.stages.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
        guard start <= last else { return nil }
        for stage in lifecycle.stages[start...last] {
            do {
                try registry.promote(version.model, version: version.version, to: stage, force: false, reason: reason)
            } catch let error as RegistryError where error.category == .refused {
                say("\(version.uri) stays short of \(stage): \(error.description)")
                return "\(stage): \(error.description)"
            }
            result.changedRegistry = true
            outcome.stages.append(stage)
            say("promoted \(version.uri) to \(stage)")
        }
        return nil
    }

    /// Deploys `version` once the registry is published (see `runPendingDeploys`).
    func scheduleDeploy(_ version: ModelVersion) {
        pendingDeploys.append((version.model, version.artifact))
    }

    /// Deploys each scheduled version (found again by its artifact: publishing may have renumbered it) to
    /// --target, 'ci.deploy', or the targets whose `model:` now resolves to it. Returns whether anything deployed.
    func runPendingDeploys(_ registry: RegistryContext, configuration: MLGateConfiguration) throws -> Bool {
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
                try DeployContext(target: target.name).deploy(version, rollback: false, reason: "deployed by mlgate ci")
                deployedAny = true
                if let index = result.models.firstIndex(where: { $0.model == model }) { result.models[index].deployed.append(target.name) }
                say("deployed \(version.uri) to \(target.name)")
            }
        }
        pendingDeploys = []
        return deployedAny
    }

    // MARK: - Publishing and reports

    /// Pushes the objects, then the registry's tags and notes (fetch → merge → retry). What the job registered
    /// lives only on this runner until then, so a failure is exit 3 (after the reports are written).
    private func publish(_ registry: RegistryContext, remote: String, configuration: MLGateConfiguration) throws {
        // A version registered, promoted or deployed here exists nowhere else: failing to push it fails the job.
        // Notes alone (the run of a failed gate) are worth a warning, not a different exit code.
        let critical = result.models.contains { $0.registered != nil || !$0.stages.isEmpty || !$0.deployed.isEmpty }
        do {
            try push(registry, remote: remote, configuration: configuration)
        } catch where !critical {
            warn(secrets.redact(String(describing: error)))
        }
    }

    private func push(_ registry: RegistryContext, remote: String, configuration: MLGateConfiguration) throws {
        RegistryMirror.drain(registry)
        if let pending = try? registry.store.pendingMirrorEvents(), !pending.isEmpty {
            throw EnvironmentError("\(pending.count) registry change\(pending.count == 1 ? "" : "s") could not be written to git tags and notes (see the warnings above); nothing was pushed. Re-run the job.")
        }
        if configuration.remote.objects != nil {
            do {
                _ = try RemoteObjects(workspace: workspace, override: nil).push(from: workspace, store: registry.store)
            } catch {
                throw EnvironmentError("the objects were not copied to the remote object store: \(error). The registry was not pushed either, so no tag names an artifact the next job cannot find; re-run the job.")
            }
        }
        do {
            let pushed = try RegistryRemote.push(registry, remote: remote, transport: git)
            result.pushedTags = pushed.tags
            say("pushed \(pushed.tags) registry tag\(pushed.tags == 1 ? "" : "s") and refs/notes/mlgate to \(remote)")
        } catch {
            throw EnvironmentError("the registry was not pushed to \(remote): \(secrets.redact(String(describing: error))). Give the job's credentials the right to push tags and refs/notes/mlgate (docs/ci.md#pushing-the-registry), then re-run it.")
        }
    }

    /// Writes every report and the comment; a failure here is a warning, never a different verdict.
    private func finish() {
        let writer = CIReportWriter(job: self, verdicts: verdicts)
        writer.writeAll()
        if options.comment { writer.comment(token: commentToken) }
    }

    func say(_ text: String) { printError("mlgate ci: " + secrets.redact(text)) }

    func warn(_ text: String) {
        let clean = secrets.redact(text)
        result.warnings.append(clean)
        printError("warning: " + clean)
    }

    // MARK: - Environment

    /// The facts of GitHub's event payload, or nil when there is none.
    static func githubEvent(_ path: String?) -> GitHubEventFacts? {
        guard let path, let data = FileManager.default.contents(atPath: path),
              let payload = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        let pull = payload["pull_request"] as? [String: Any]
        let head = pull?["head"] as? [String: Any]
        let base = pull?["base"] as? [String: Any]
        func repository(_ side: [String: Any]?) -> String? { (side?["repo"] as? [String: Any])?["full_name"] as? String }
        return GitHubEventFacts(pullRequestNumber: (pull?["number"] as? Int) ?? (payload["number"] as? Int), headSHA: head?["sha"] as? String,
                                headRef: head?["ref"] as? String, headRepository: repository(head) ?? (head == nil ? nil : "(deleted fork)"),
                                baseSHA: base?["sha"] as? String, baseRef: base?["ref"] as? String, baseRepository: repository(base),
                                defaultBranch: (payload["repository"] as? [String: Any])?["default_branch"] as? String,
                                before: payload["before"] as? String)
    }

    /// The API token for the pull request comment.
    static func token(for provider: CIProvider, _ environment: [String: String]) -> String? {
        let names = provider == .gitlab ? ["MLGATE_GITLAB_TOKEN", "GITLAB_TOKEN"] : ["GITHUB_TOKEN", "MLGATE_GITHUB_TOKEN"]
        return names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
    }
}

/// What one model's gate led to in a CI job.
struct CIModelOutcome: Encodable {
    var model: String
    var passed: Bool
    var champion: String?
    var registered: String?
    var version: Int?
    var stages: [String] = []
    var waiting: String?
    var deployed: [String] = []
    var note: String?

    enum CodingKeys: String, CodingKey { case model, passed, champion, registered, version, stages, waiting, deployed, note }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(passed, forKey: .passed)
        try container.encode(champion, forKey: .champion)
        try container.encode(registered, forKey: .registered)
        try container.encode(version, forKey: .version)
        try container.encode(stages, forKey: .stages)
        try container.encode(waiting, forKey: .waiting)
        try container.encode(deployed, forKey: .deployed)
        try container.encode(note, forKey: .note)
    }
}

/// The result of a CI job, as `gate.json` holds it (docs/json.md).
struct CIResult {
    var context: CIContext
    var mode: String
    var action = "report"
    var defaultBranch: String?
    var passed = false
    var run: Int?
    var models: [CIModelOutcome] = []
    var changedRegistry = false
    var pushedTags: Int?
    var comment: String?
    var warnings: [String] = []
    var error: String?
}

/// An error whose text went through the secret redactor, with the category (exit code) of the original.
struct RedactedFailure: MLGateError {
    let category: FailureCategory
    let description: String
}
