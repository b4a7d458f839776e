import Foundation
import MLGateConfig
package import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
package import MLGateStore

/// What `mlgate run` was asked to do.
package struct RunOptions {
    /// What to run (every stage by default) and how; the trigger, job and source are set by who starts it.
    package init(targets: [String] = [], force: Bool = false, dryRun: Bool = false, downstream: Bool = false, wait: Bool = true) {
        self.targets = targets
        self.force = force
        self.dryRun = dryRun
        self.downstream = downstream
        self.wait = wait
    }

    /// Stages to run with what they need (empty: all).
    package var targets: [String] = []
    /// Run even when nothing changed (and skip the run cache).
    package var force = false
    /// Only say what would happen.
    package var dryRun = false
    /// Run the targets and every stage downstream of them, instead of upstream.
    package var downstream = false
    /// Wait for another run in the same worktree instead of failing.
    package var wait = true
    /// What started the run: `cli`, `worker` or `ci`.
    package var trigger = "cli"
    /// The queued job, for worker runs.
    var job: Int?
    /// The code's commit when known in advance (a worker's checkout); otherwise read from git.
    var source: RunSource?
    /// Keep commands' output off standard error (it still goes to the log).
    var quiet = false
    /// Where a run-cache hit's outputs are fetched from when this machine lacks them (a run another machine or
    /// engine trained and pushed); nil restores only what the local object store holds.
    package var remote: RemoteObjects?
}

/// How a run ended, for the command to print and turn into an exit code.
package struct RunSummary: Encodable {
    /// The recorded run's number; nil when nothing needed doing (nothing is recorded then).
    package var run: Int?
    /// The run's status (`succeeded` when everything was up to date).
    package var status: RunStatus
    /// What happened to each stage visited.
    var stages: [StageRun]
    /// Why it failed or was cancelled.
    package var message: String?

    enum CodingKeys: String, CodingKey { case run, status, stages, message }

    /// Encodes every key, absent values as null (docs/json.md).
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run, forKey: .run)
        try container.encode(status, forKey: .status)
        try container.encode(stages, forKey: .stages)
        try container.encode(message, forKey: .message)
    }
}

/// Runs the stages of a pipeline in order, skipping those whose memo matches `mlgate.lock`, restoring
/// outputs from the object store when an earlier run had the same memo, and recording what it did.
package final class PipelineRunner {
    /// The remote a run's cache hits are fetched from (`RunOptions.remote`).
    private var remote: RemoteObjects?
    private let workspace: Workspace
    private let store: Store
    private let objects: ObjectStore
    private let hasher: FileHasher
    private let console: RunConsole
    private let interruption: Interruption
    private let executor: any StageExecutor
    private var lock = LockFile()
    private var record: RunRecord?
    private var visited: [StageRun] = []
    private var probe: EnvironmentProbe.Found?
    private var usesPython = false
    private var objectsLock: FileLock?
    /// The pipeline's stages by name, for recording the stages visited before the run was recorded.
    private var stagesByName: [String: StageSpec] = [:]
    /// Whether this run wrote the first `mlgate.lock` (it then says, once, to commit it).
    private var createdLock = false

    /// A runner for `workspace`, recording into `store`.
    package init(workspace: Workspace, store: Store, interruption: Interruption, executor: any StageExecutor = LocalExecutor(), quiet: Bool = false) {
        self.executor = executor
        self.workspace = workspace
        self.store = store
        self.objects = workspace.objects
        self.hasher = FileHasher(store: store)
        self.console = RunConsole(reporter: workspace.reporter, quiet: quiet)
        self.interruption = interruption
    }

    /// What the runner decided for one stage.
    enum Decision: Equatable {
        case skip
        case restore([LockedOutput], from: MetricSource)
        case run(reasons: [String])
        case frozen
    }

    /// Runs `pipeline` as `options` say.
    package func run(_ pipeline: Pipeline, options: RunOptions) throws -> RunSummary {
        let stages = try pipeline.order(targets: options.targets, downstream: options.downstream)
        stagesByName = Dictionary(stages.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        remote = options.remote
        try preflight(stages, pipeline: pipeline)
        lock = try LockReader.load(path: workspace.lockPath)
        if options.dryRun { return try dryRun(stages, options: options) }

        let runLock = try RunLock(layout: workspace.layout, root: workspace.root, wait: options.wait, reporter: workspace.reporter,
                                  describe: "mlgate run (pid \(getpid()), started \(Timestamp.iso8601(Int64(Date().timeIntervalSince1970))))")
        defer { withExtendedLifetime(runLock) {} }
        usesPython = stages.contains { $0.environment != nil || $0.command.display.contains("python") }
        var failure: String?
        var cancelled = false
        do {
            (failure, cancelled) = try runStages(stages, pipeline: pipeline, options: options)
        } catch {
            // A failure after the record began still ends it, so it never stays 'running'.
            hasher.save()
            _ = try? finish(status: .failed, message: "\(error)", pipeline: pipeline)
            throw error
        }
        hasher.save()
        let status: RunStatus = cancelled ? .cancelled : failure != nil ? .failed : .succeeded
        let message = cancelled ? "cancelled (Ctrl-C or SIGTERM)" : failure
        guard let record else {
            // Nothing to record; a run killed after its last stage is still found dead and marked abandoned.
            try abandonDeadRuns()
            if cancelled { console.status("cancelled", style: .bad) } else if failure == nil { console.status("Everything is up to date.") }
            return RunSummary(run: nil, status: status, stages: visited, message: message)
        }
        let finished = try finish(status: status, message: message, pipeline: pipeline)
        let counts = Dictionary(grouping: visited, by: \.outcome).mapValues(\.count)
        let tally = [(StageOutcome.ran, "ran"), (.restored, "restored"), (.skipped, "up to date"), (.frozen, "frozen"),
                     (.failed, "failed"), (.cancelled, "cancelled")]
            .compactMap { outcome, word in counts[outcome].map { "\($0) \(word)" } }.joined(separator: ", ")
        let seconds = String(format: "%.1f", Double(finished - record.startedAt) / 1000)
        console.status("run \(record.number) \(status.rawValue): \(tally) (\(seconds) s)", style: status == .succeeded ? .bold : .bad)
        if createdLock {
            console.status("wrote \(LockFile.fileName): commit it with your code (git add \(LockFile.fileName)); it records what each stage ran with. Until then git status lists it; mlgate does not count it as an uncommitted change.")
        }
        return RunSummary(run: record.number, status: status, stages: visited, message: message)
    }

    /// Visits `stages` in order; returns why the run failed (nil when it did not) and whether it was cancelled.
    private func runStages(_ stages: [StageSpec], pipeline: Pipeline, options: RunOptions) throws -> (failure: String?, cancelled: Bool) {
        for (position, stage) in stages.enumerated() {
            if interruption.happened { return (nil, true) }
            let facts = try self.facts(of: stage)
            let decision = try decide(stage, facts: facts, force: options.force)
            let progress = "[\(position + 1)/\(stages.count)] \(stage.name)"
            var result: StageRun
            switch decision {
            case .frozen:
                result = StageRun(stage: stage.name, outcome: .frozen, memo: facts.memo, command: stage.command.display)
                console.status("· \(progress) is frozen; not run", style: .dim)
            case .skip:
                let outputs = (lock.stages[stage.name]?.outputs ?? []).map { output in
                    var output = output
                    output.isDirectory = stage.writtenPaths.first { $0.path == output.path }?.isDirectory ?? false
                    return output
                }
                result = StageRun(stage: stage.name, outcome: .skipped, memo: facts.memo, command: stage.command.display,
                                  dependencies: facts.dependencies, parameters: facts.parameters, outputs: outputs)
                console.status("· \(progress) is up to date", style: .dim)
            case .restore(let outputs, let origin):
                try begin(options)
                if let restored = try restore(stage, outputs: outputs) {
                    result = StageRun(stage: stage.name, outcome: .restored, memo: facts.memo, command: stage.command.display,
                                      dependencies: facts.dependencies, parameters: facts.parameters, outputs: restored,
                                      metrics: readMetrics(stage, source: origin))
                    console.status("↺ \(progress) restored from the run cache (\(Self.describe(origin)))", style: .good)
                } else {
                    result = try execute(stage, facts: facts, progress: progress, reasons: ["its cached outputs could not be restored"])
                }
            case .run(let reasons):
                try begin(options)
                result = try execute(stage, facts: facts, progress: progress, reasons: reasons)
            }
            if [.ran, .restored, .skipped].contains(result.outcome) {
                lock.stages[stage.name] = StageLock(command: stage.command.display, memo: facts.memo, dependencies: facts.dependencies,
                                                    parameters: facts.parameters, environment: facts.environment, outputs: result.outputs)
            }
            visited.append(result)
            if let record {
                try recordStage(at: visited.count - 1, of: record.number, cacheable: result.outputs.allSatisfy(\.cache))
            }
            if result.outcome != .skipped { try writeLock(pipeline) }
            if result.outcome == .cancelled { return (nil, true) }
            if result.outcome == .failed { return ("stage '\(stage.name)' failed: \(result.message ?? "see the log")", false) }
        }
        return (nil, false)
    }

    /// Ends the run record: the lock file, the log stored as an object, the status; returns the end time.
    @discardableResult
    private func finish(status: RunStatus, message: String?, pipeline: Pipeline) throws -> Int64 {
        guard let record else { return Store.nowMilliseconds }
        try writeLock(pipeline)
        var logObject: String?
        if let log = console.closeLog() {
            logObject = try? objects.put(file: log).hash
            if logObject != nil { unlink(log) }
        }
        let finished = Store.nowMilliseconds
        try store.finishRun(record.number, status: status, finishedAt: finished, logObject: logObject, message: message)
        objectsLock = nil
        return finished
    }

    // MARK: Deciding

    /// What a stage depends on right now, and the memo over it.
    struct Facts {
        var dependencies: [HashedPath]
        var parameters: [ParameterValue]
        var environment: HashedPath?
        var memo: String
    }

    private func facts(of stage: StageSpec) throws -> Facts {
        var dependencies: [HashedPath] = []
        for dependency in stage.dependencies.sorted() {
            guard let hashed = try hasher.hash(dependency, root: workspace.root) else {
                throw UsageError("stage '\(stage.name)' depends on '\(dependency.path)', which does not exist; create it, or fix 'deps' in mlgate.yaml.")
            }
            dependencies.append(hashed)
        }
        var parameters: [ParameterValue] = []
        for source in stage.parameters {
            parameters += try ParamsReader.values(of: source, root: workspace.root, stage: stage.name)
        }
        parameters.sort { ($0.file, $0.key) < ($1.file, $1.key) }
        var environment: HashedPath?
        if let spec = stage.environment {
            guard let hashed = try hasher.hash(PathSpec(spec.file), root: workspace.root) else {
                throw UsageError("stage '\(stage.name)' names the environment file '\(spec.file)', which does not exist.")
            }
            environment = hashed
        }
        let text = StageMemo.text(stage: stage, dependencies: dependencies, parameters: parameters, environment: environment)
        return Facts(dependencies: dependencies, parameters: parameters, environment: environment, memo: ContentHash.of(Array(text.utf8)))
    }

    private func decide(_ stage: StageSpec, facts: Facts, force: Bool) throws -> Decision {
        if stage.frozen { return .frozen }
        if force { return .run(reasons: ["--force"]) }
        if stage.alwaysChanged { return .run(reasons: ["always_changed"]) }
        let locked = lock.stages[stage.name]
        let paths = stage.writtenPaths
        if let locked, locked.memo == facts.memo {
            var changed: [String] = []
            for path in paths {
                let current = try hasher.hash(path, root: workspace.root)
                if current?.hash != locked.outputs.first(where: { $0.path == path.path })?.hash { changed.append(path.path) }
            }
            if changed.isEmpty { return .skip }
            if restorable(locked.outputs, paths: paths) { return .restore(locked.outputs, from: .lock) }
            return .run(reasons: changed.map { "\($0) was changed or removed" })
        }
        if let cached = try store.cachedOutputs(memo: facts.memo), restorable(cached, paths: paths) || fetched(cached, paths: paths) {
            return .restore(cached, from: .runCache)
        }
        return .run(reasons: reasons(stage, facts: facts, locked: locked))
    }

    /// Fetches the cached `outputs` of `paths` this machine lacks from the run's remote, if it has one; true when
    /// they are all here afterwards.
    private func fetched(_ outputs: [LockedOutput], paths: [PathSpec]) -> Bool {
        guard let remote else { return false }
        let wanted = Set(paths.compactMap { path in outputs.first { $0.path == path.path && $0.cache }?.hash })
        guard wanted.count == paths.count, (try? remote.fetch(wanted, into: objects)) != nil else { return false }
        return restorable(outputs, paths: paths)
    }

    private func restorable(_ outputs: [LockedOutput], paths: [PathSpec]) -> Bool {
        paths.allSatisfy { path in outputs.contains { $0.path == path.path && $0.cache && objects.contains($0.hash) } }
    }

    private func reasons(_ stage: StageSpec, facts: Facts, locked: StageLock?) -> [String] {
        guard let locked else { return ["it has not run yet"] }
        var reasons: [String] = []
        if locked.command != stage.command.display { reasons.append("its command changed") }
        let before = Dictionary(locked.dependencies.map { ($0.path, $0.hash) }, uniquingKeysWith: { a, _ in a })
        let changed = facts.dependencies.filter { before[$0.path] != $0.hash }.map(\.path)
        if !changed.isEmpty { reasons.append("changed: " + changed.joined(separator: ", ")) }
        let oldParameters = Dictionary(locked.parameters.map { ($0.key, $0.json) }, uniquingKeysWith: { a, _ in a })
        let parameters = facts.parameters.filter { oldParameters[$0.key] != $0.json }
            .flatMap { ParameterChange.changedKeys($0.key, old: oldParameters[$0.key], new: $0.json) }
        if !parameters.isEmpty { reasons.append("parameters changed: " + parameters.joined(separator: ", ")) }
        if locked.environment?.hash != facts.environment?.hash { reasons.append("its environment file changed") }
        return reasons.isEmpty ? ["its definition in mlgate.yaml changed"] : reasons
    }

    // MARK: Doing

    private func restore(_ stage: StageSpec, outputs: [LockedOutput]) throws -> [LockedOutput]? {
        var restored: [LockedOutput] = []
        for path in stage.writtenPaths {
            guard let output = outputs.first(where: { $0.path == path.path }) else { return nil }
            try confine(path, of: stage)
            do {
                try objects.checkout(output.hash, to: workspace.root + "/" + path.path)
            } catch {
                console.status("warning: \(error.description)", style: .bad)
                return nil
            }
            restored.append(LockedOutput(path: path.path, hash: output.hash, cache: true, isDirectory: path.isDirectory))
        }
        return restored
    }

    private func execute(_ stage: StageSpec, facts: Facts, progress: String, reasons: [String]) throws -> StageRun {
        var result = StageRun(stage: stage.name, outcome: .failed, memo: facts.memo, command: stage.command.display,
                              dependencies: facts.dependencies, parameters: facts.parameters)
        console.status("▶ \(progress): \(stage.command.display)", style: .bold)
        console.status("  because \(reasons.joined(separator: "; "))", style: .dim)
        if let spec = stage.environment, let hash = facts.environment?.hash {
            let finding = environmentFinding(spec, hash: hash)
            result.environment = finding
            if !finding.mismatches.isEmpty, spec.check != .off {
                let text = "the installed packages do not match \(spec.file): \(finding.mismatches.joined(separator: "; "))"
                if spec.check == .strict {
                    result.message = text + " (check: strict)"
                    console.status("✗ \(progress): \(result.message ?? "")", style: .bad)
                    return result
                }
                console.status("warning: \(text)", style: .bad)
            }
        }
        for path in stage.writtenPaths {
            try confine(path, of: stage)
            ObjectStore.removeTree(workspace.root + "/" + path.path)
        }
        let directory = stage.workingDirectory.isEmpty ? workspace.root : workspace.root + "/" + stage.workingDirectory
        var environment = ProcessInfo.processInfo.environment
        for variable in stage.environmentVariables { environment[variable.name] = variable.value }
        environment["MLGATE_STAGE"] = stage.name
        if let number = record?.number { environment["MLGATE_RUN"] = String(number) }
        let started = Store.nowMilliseconds
        let status = try executor.execute(argv: stage.command.argv, directory: directory, environment: environment,
                                          interruption: interruption) { console.output(stage: stage.name, $0) }
        result.exitStatus = status
        result.durationMilliseconds = Store.nowMilliseconds - started
        let seconds = String(format: "%.2f s", Double(result.durationMilliseconds ?? 0) / 1000)
        if interruption.happened {
            result.outcome = .cancelled
            result.message = "stopped by Ctrl-C or SIGTERM"
            console.status("✗ \(progress) cancelled after \(seconds)", style: .bad)
            return result
        }
        guard status == 0 else {
            result.message = status > 128 ? "killed by signal \(status - 128)" : "exited with status \(status)"
            console.status("✗ \(progress) \(result.message ?? "") after \(seconds); nothing was cached", style: .bad)
            return result
        }
        var outputs: [LockedOutput] = []
        for output in stage.outputs.map({ ($0.path, $0.cache) }) + stage.metrics.map({ ($0, true) }) {
            let (path, cache) = output
            let full = workspace.root + "/" + path.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !path.isDirectory || isDirectory.boolValue else {
                result.message = "it exited 0 but did not write its declared output '\(path.path)'\(path.isDirectory ? " (a folder)" : "")"
                console.status("✗ \(progress): \(result.message ?? "")", style: .bad)
                return result
            }
            do {
                let hash: String
                if cache {
                    try confine(path, of: stage)
                    hash = isDirectory.boolValue ? try objects.put(directory: full, confinedTo: workspace.root) : try objects.put(file: full).hash
                } else {
                    hash = try hasher.hash(path, root: workspace.root)?.hash ?? ""
                }
                outputs.append(LockedOutput(path: path.path, hash: hash, cache: cache, isDirectory: isDirectory.boolValue))
            } catch {
                result.message = "caching '\(path.path)' failed: \(error)"
                console.status("✗ \(progress): \(result.message ?? "")", style: .bad)
                return result
            }
        }
        result.outputs = outputs
        result.metrics = readMetrics(stage, source: .ran)
        result.outcome = .ran
        console.status("✓ \(progress) \(seconds)", style: .good)
        return result
    }

    /// The numbers in `stage`'s metrics files, marked with where they come from.
    private func readMetrics(_ stage: StageSpec, source: MetricSource) -> [StageRun.Metric] {
        stage.metrics.flatMap { path in
            let numbers = (try? MetricsReader.numbers(file: path.path, root: workspace.root)) ?? []
            return numbers.map { StageRun.Metric(name: $0.name, value: $0.value, file: path.path, source: source) }
        }
    }

    /// Records the visited stage at `position` into run `number`. An up-to-date stage carries its metrics: its
    /// metrics files are the ones `mlgate.lock` records (their hashes were just checked), read only now that
    /// the run is recorded, so a run with nothing to do reads nothing more.
    private func recordStage(at position: Int, of number: Int, cacheable: Bool) throws {
        if visited[position].outcome == .skipped, visited[position].metrics.isEmpty,
           let stage = stagesByName[visited[position].stage] {
            visited[position].metrics = readMetrics(stage, source: .lock)
        }
        try store.recordStage(run: number, position: position, visited[position], cacheable: cacheable)
    }

    /// How a restore's origin is shown in progress lines.
    private static func describe(_ origin: MetricSource) -> String {
        origin == .lock ? "mlgate.lock" : "an earlier run with the same inputs"
    }

    private func environmentFinding(_ spec: EnvironmentSpec, hash: String) -> EnvironmentFinding {
        guard spec.check != .off, let installed = probe?.packages,
              let text = try? String(contentsOfFile: workspace.root + "/" + spec.file, encoding: .utf8) else {
            return EnvironmentFinding(file: spec.file, hash: hash, mismatches: [])
        }
        return EnvironmentFinding(file: spec.file, hash: hash, mismatches: EnvironmentProbe.mismatches(specification: text, installed: installed))
    }

    /// Starts the run record the first time a stage needs work, before anything slow: the row goes in with
    /// the commit and the machine, then the uncommitted changes and the Python packages are found and added.
    /// A process killed at any point after this leaves a `running` record that the next run marks abandoned.
    private func begin(_ options: RunOptions) throws {
        guard record == nil else { return }
        interruption.arm()
        objectsLock = try FileLock.objects(workspace.layout, exclusive: false)
        try objects.prepare()
        try abandonDeadRuns()
        let repository = options.source == nil ? try GitRepository.open(at: workspace.root) : nil
        var source = try options.source ?? headSource(repository)
        var started = RunRecord(uuid: UUID().uuidString.lowercased(), source: source, targets: options.targets, trigger: options.trigger,
                                job: options.job, environment: EnvironmentProbe.probe(python: false, directory: workspace.root).environment,
                                startedAt: Store.nowMilliseconds)
        started.number = try store.beginRun(started, pid: getpid())
        record = started
        let found = EnvironmentProbe.probe(python: usesPython, directory: workspace.root)
        probe = found
        var environment = found.environment
        if let packages = found.packages { environment.packagesObject = try? objects.put(bytes: Array(packages.utf8)) }
        if let repository { source = try withUncommittedChanges(source, in: repository) }
        try store.completeRunStart(started.number, source: source, environment: environment)
        started.source = source
        started.environment = environment
        record = started
        try console.openLog(workspace.logDirectory + "/run-\(started.number).log")
        let worktree = switch source.dirtyReason {
        case .changes: " with uncommitted changes"
        case .lockOnly: " (only mlgate.lock differs from the commit; the run is not dirty)"
        case nil: ""
        }
        console.status("run \(started.number) started at \(source.commit.map { String($0.prefix(12)) } ?? "no commit")\(source.branch.map { " on \($0)" } ?? "")\(worktree)")
        for position in visited.indices {
            try recordStage(at: position, of: started.number, cacheable: false)
        }
    }

    /// Marks the runs on this host whose process is gone as abandoned.
    private func abandonDeadRuns() throws {
        try store.abandonDeadRuns(host: EnvironmentProbe.hostName()) { kill($0, 0) == 0 || errno == EPERM }
    }

    /// The commit, branch and remote URL of the worktree, from libgit2: quick to find.
    private func headSource(_ repository: GitRepository?) throws -> RunSource {
        guard let repository else { return RunSource(commit: nil, branch: nil, dirty: false) }
        let head = try repository.head()
        let remote = (try? workspace.configuration().remote.git) ?? nil
        let url = (try? repository.configString("remote.\(remote ?? "origin").url")) ?? nil
        return RunSource(commit: head.commit?.hex, branch: head.branchName, dirty: false, repositoryURL: url)
    }

    /// `source` with the worktree's uncommitted changes (kept as an object), which can take a while to find.
    /// When the only change is mlgate's own `mlgate.lock` the run is not dirty: its reason says so.
    private func withUncommittedChanges(_ source: RunSource, in repository: GitRepository) throws -> RunSource {
        var source = source
        let changes = (try? repository.uncommittedChanges()) ?? WorktreeChanges(patch: "", paths: [])
        guard !changes.isEmpty else { return source }
        source.dirtyReason = changes.paths == [lockPathInRepository(repository)] ? .lockOnly : .changes
        source.diffObject = changes.patch.isEmpty ? nil : try objects.put(bytes: Array(changes.patch.utf8))
        return source
    }

    /// `mlgate.lock` relative to the repository's worktree, as git names changed paths.
    private func lockPathInRepository(_ repository: GitRepository) -> String {
        var top = repository.workingDirectory ?? workspace.root
        if top.hasSuffix("/") { top.removeLast() }
        let lock = workspace.lockPath
        return lock.hasPrefix(top + "/") ? String(lock.dropFirst(top.count + 1)) : LockFile.fileName
    }

    private func writeLock(_ pipeline: Pipeline) throws {
        let names = Set(pipeline.stages.map(\.name))
        lock.stages = lock.stages.filter { names.contains($0.key) }
        let text = lock.text
        let current = try? String(contentsOfFile: workspace.lockPath, encoding: .utf8)
        if current == text || current == nil && lock.stages.isEmpty { return }
        try AtomicFile.write(text, to: workspace.lockPath)
        if current == nil { createdLock = true }
    }

    // MARK: Checking

    /// Refuses a declared path of `stage` that leads out of the repository through a symbolic link; checked before
    /// the plan starts and again right before each delete, restore and store.
    private func confine(_ path: PathSpec, of stage: StageSpec, as role: String = "output") throws {
        try ConfinedPath.check(path.path, under: workspace.root, what: "the \(role) '\(path.path)\(path.isDirectory ? "/" : "")' of stage '\(stage.name)'")
    }

    /// Refuses, before anything runs, a plan whose outside inputs are missing (dependencies, parameter files and
    /// keys, and environment files that no stage in the plan writes) or whose declared paths leave the repository
    /// through a symbolic link.
    private func preflight(_ stages: [StageSpec], pipeline: Pipeline) throws {
        for stage in stages {
            for path in stage.writtenPaths { try confine(path, of: stage) }
            for path in stage.dependencies { try confine(path, of: stage, as: "dependency") }
            for source in stage.parameters { try confine(PathSpec(source.file), of: stage, as: "parameter file") }
            if let spec = stage.environment { try confine(PathSpec(spec.file), of: stage, as: "environment file") }
            if !stage.workingDirectory.isEmpty { try confine(PathSpec(stage.workingDirectory), of: stage, as: "working directory") }
        }
        let written = stages.flatMap(\.writtenPaths)
        func producedByPlan(_ path: PathSpec) -> Bool { written.contains { $0.overlaps(path) } }
        for stage in stages {
            for dependency in stage.dependencies where !producedByPlan(dependency) {
                guard FileManager.default.fileExists(atPath: workspace.root + "/" + dependency.path) else {
                    let writer = pipeline.stages.first { $0.writtenPaths.contains(where: dependency.overlaps) }
                    throw UsageError("stage '\(stage.name)' depends on '\(dependency.path)', which does not exist"
                        + (writer.map { "; stage '\($0.name)' writes it: run it first (or drop --downstream)." } ?? "; create it, or fix 'deps' in mlgate.yaml."))
                }
            }
            for source in stage.parameters where !producedByPlan(PathSpec(source.file)) {
                _ = try ParamsReader.values(of: source, root: workspace.root, stage: stage.name)
            }
            if let spec = stage.environment, !FileManager.default.fileExists(atPath: workspace.root + "/" + spec.file) {
                throw UsageError("stage '\(stage.name)' names the environment file '\(spec.file)', which does not exist; create it or fix 'environment' in mlgate.yaml.")
            }
        }
    }

    private func dryRun(_ stages: [StageSpec], options: RunOptions) throws -> RunSummary {
        var changing: [PathSpec] = []
        var planned: [StageRun] = []
        for (position, stage) in stages.enumerated() {
            let progress = "[\(position + 1)/\(stages.count)] \(stage.name)"
            let upstream = stage.dependencies.filter { dependency in changing.contains(where: dependency.overlaps) }
            let decision: Decision
            let memo: String
            if !upstream.isEmpty, !stage.frozen {
                decision = .run(reasons: ["an upstream stage will change " + upstream.map(\.path).joined(separator: ", ")])
                memo = ""
            } else {
                let facts = try self.facts(of: stage)
                decision = try decide(stage, facts: facts, force: options.force)
                memo = facts.memo
            }
            switch decision {
            case .frozen:
                console.status("· \(progress) is frozen; would not run")
                planned.append(StageRun(stage: stage.name, outcome: .frozen, memo: memo, command: stage.command.display))
            case .skip:
                console.status("· \(progress) is up to date")
                planned.append(StageRun(stage: stage.name, outcome: .skipped, memo: memo, command: stage.command.display))
            case .restore(_, let origin):
                console.status("↺ \(progress) would be restored from the run cache (\(Self.describe(origin)))")
                changing += stage.writtenPaths
                planned.append(StageRun(stage: stage.name, outcome: .restored, memo: memo, command: stage.command.display))
            case .run(let reasons):
                console.status("▶ \(progress) would run: \(stage.command.display)\n  because \(reasons.joined(separator: "; "))")
                changing += stage.writtenPaths
                planned.append(StageRun(stage: stage.name, outcome: .ran, memo: memo, command: stage.command.display))
            }
        }
        return RunSummary(run: nil, status: .succeeded, stages: planned, message: "dry run: nothing was changed")
    }
}

/// Which keys of a parameter changed, to the leaf: a stage that reads the whole `train` mapping is told
/// `train.C` changed, not just `train`.
package enum ParameterChange {
    /// The dotted keys under `key` whose values differ between the canonical JSON texts `old` (nil: the
    /// parameter is new) and `new`; `[key]` when the values are not both mappings.
    static func changedKeys(_ key: String, old: String?, new: String) -> [String] {
        guard let old, let before = parse(old), let after = parse(new) else { return [key] }
        let keys = leaves(key, before, after)
        return keys.isEmpty ? [key] : keys
    }

    private static func leaves(_ key: String, _ before: Any, _ after: Any) -> [String] {
        guard let left = before as? [String: Any], let right = after as? [String: Any] else {
            return (before as? NSObject) == (after as? NSObject) ? [] : [key]
        }
        return Set(left.keys).union(right.keys).sorted().flatMap { name -> [String] in
            let path = key + "." + name
            guard let l = left[name], let r = right[name] else { return [path] }
            return leaves(path, l, r)
        }
    }

    private static func parse(_ json: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
    }
}

/// A run that ended with a failed stage: exit 1, with the stage and reason.
package struct RunFailure: MLGateError {
    package let summary: RunSummary

    /// The failure of the run `summary` describes.
    package init(summary: RunSummary) { self.summary = summary }
    package var category: FailureCategory { .refused }
    package var description: String {
        (summary.message ?? "the run failed") + (summary.run.map { "; see 'mlgate runs show \($0) --log'." } ?? ".")
    }
}
