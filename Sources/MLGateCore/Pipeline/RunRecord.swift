/// What one `mlgate run` did: where it ran, with what, and what came out — the record `mlgate runs` shows.
public struct RunRecord: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey { case number, uuid, status, source, targets, trigger, job, environment, startedAt = "started_at", finishedAt = "finished_at", logObject = "log_object", stages, message }

    /// The run number people type (`mlgate runs show 12`); unique in this store.
    public var number: Int
    /// A globally unique id, for exports.
    public var uuid: String
    /// How the run ended (or `running`).
    public var status: RunStatus
    /// The commit checked out, with whether the worktree differed from it.
    public var source: RunSource
    /// The stages asked for (empty: all).
    public var targets: [String]
    /// What started it: `cli`, `worker` or `ci`.
    public var trigger: String
    /// The queued job it ran, for worker runs.
    public var job: Int?
    /// The software and machine it ran on.
    public var environment: RunEnvironment
    /// Milliseconds since 1970 when it started and ended.
    public var startedAt: Int64
    /// When it ended, or nil while running.
    public var finishedAt: Int64?
    /// The object holding the run's combined log, once finished.
    public var logObject: String?
    /// Each stage visited, in order.
    public var stages: [StageRun]
    /// Why it failed or was cancelled, in one line.
    public var message: String?

    /// Creates a record.
    public init(number: Int = 0, uuid: String, status: RunStatus = .running, source: RunSource, targets: [String], trigger: String,
                job: Int? = nil, environment: RunEnvironment, startedAt: Int64, finishedAt: Int64? = nil, logObject: String? = nil,
                stages: [StageRun] = [], message: String? = nil) {
        self.number = number
        self.uuid = uuid
        self.status = status
        self.source = source
        self.targets = targets
        self.trigger = trigger
        self.job = job
        self.environment = environment
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.logObject = logObject
        self.stages = stages
        self.message = message
    }

    /// Wall time in milliseconds, once finished.
    public var durationMilliseconds: Int64? { finishedAt.map { $0 - startedAt } }

    /// Every metric the run's stages read, by name (`stage:file:key` is not needed: later stages win).
    public var metrics: [String: Double] { metricDetails.mapValues(\.value) }

    /// Every metric the run's stages read, by name, with its file and source; later stages win a name clash.
    public var metricDetails: [String: StageRun.Metric] {
        var result: [String: StageRun.Metric] = [:]
        for stage in stages { for metric in stage.metrics { result[metric.name] = metric } }
        return result
    }

    /// The run's git facts under MLflow's tag names, so tools that read MLflow runs understand them.
    public var mlflowTags: [String: String] {
        var tags = ["mlflow.source.git.dirty": source.dirty ? "true" : "false", "mlflow.source.type": "PROJECT"]
        if let commit = source.commit { tags["mlflow.source.git.commit"] = commit }
        if let branch = source.branch { tags["mlflow.source.git.branch"] = branch }
        if let url = source.repositoryURL { tags["mlflow.source.git.repoURL"] = url }
        return tags
    }
}

/// How a run ended.
public enum RunStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case running, succeeded, failed, cancelled
    /// The process died without finishing the record (found later: its pid is gone).
    case abandoned
}

/// The code a run ran: the commit, the branch, and the uncommitted changes.
public struct RunSource: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey { case commit, branch, dirty, dirtyReason = "dirty_reason", diffObject = "diff_object", repositoryURL = "repo_url" }

    /// The commit HEAD pointed at (nil in a repository without commits).
    public var commit: String?
    /// The branch checked out, or nil when detached.
    public var branch: String?
    /// Whether files other than mlgate's own `mlgate.lock` differed from the commit (tracked or new, not ignored).
    public var dirty: Bool { dirtyReason == .changes }
    /// Why the worktree differed from the commit, or nil when it did not.
    public var dirtyReason: DirtyReason?
    /// The object holding `git diff` of those changes, when the worktree differed.
    public var diffObject: String?
    /// The URL of the git remote, when there is one.
    public var repositoryURL: String?

    /// Why a run's worktree differed from its commit.
    public enum DirtyReason: String, Hashable, Sendable, Codable {
        /// Files other than `mlgate.lock` differed: the run is dirty.
        case changes
        /// Only mlgate's own `mlgate.lock` differed (not committed yet, or updated by an earlier run): the code
        /// and data are the commit's, so the run is not dirty.
        case lockOnly = "mlgate.lock"
    }

    /// Encodes every key, absent values as null (the documented `--json` contract).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(commit, forKey: .commit)
        try container.encode(branch, forKey: .branch)
        try container.encode(dirty, forKey: .dirty)
        try container.encode(dirtyReason, forKey: .dirtyReason)
        try container.encode(diffObject, forKey: .diffObject)
        try container.encode(repositoryURL, forKey: .repositoryURL)
    }

    /// Decodes a source; `dirty` is implied by `dirty_reason` when present.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        commit = try container.decodeIfPresent(String.self, forKey: .commit)
        branch = try container.decodeIfPresent(String.self, forKey: .branch)
        let dirty = try container.decodeIfPresent(Bool.self, forKey: .dirty) ?? false
        dirtyReason = try container.decodeIfPresent(DirtyReason.self, forKey: .dirtyReason) ?? (dirty ? .changes : nil)
        diffObject = try container.decodeIfPresent(String.self, forKey: .diffObject)
        repositoryURL = try container.decodeIfPresent(String.self, forKey: .repositoryURL)
    }

    /// Creates a source.
    public init(commit: String?, branch: String?, dirtyReason: DirtyReason? = nil, diffObject: String? = nil, repositoryURL: String? = nil) {
        self.commit = commit
        self.branch = branch
        self.dirtyReason = dirtyReason
        self.diffObject = diffObject
        self.repositoryURL = repositoryURL
    }

    /// Creates a source from a plain dirty flag (a worker's checkout, which is clean, or tests).
    public init(commit: String?, branch: String?, dirty: Bool, diffObject: String? = nil, repositoryURL: String? = nil) {
        self.init(commit: commit, branch: branch, dirtyReason: dirty ? .changes : nil, diffObject: diffObject, repositoryURL: repositoryURL)
    }
}

/// The software and machine a run ran on, as found (not as declared).
public struct RunEnvironment: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey {
        case python, packagesObject = "packages_object", packagesTool = "packages_tool", packageCount = "package_count", os, cpu, host, mlgate
        case ciRunURL = "ci_run_url", dispatchKey = "dispatch_key"
    }

    /// `python3 --version`, when python3 is on PATH.
    public var python: String?
    /// The object holding `pip freeze` (or `conda list --export`) output, when available.
    public var packagesObject: String?
    /// Which tool listed the packages: `pip freeze` or `conda list --export`.
    public var packagesTool: String?
    /// The number of packages listed.
    public var packageCount: Int?
    /// The operating system (`uname -srm`).
    public var os: String
    /// The CPU model and logical core count.
    public var cpu: String
    /// The host name.
    public var host: String
    /// The mlgate version.
    public var mlgate: String
    /// The page of the CI job it ran in (GitHub Actions run, GitLab job, …), when it ran in one.
    public var ciRunURL: String?
    /// The queue job's key (`MLGATE_JOB`) when the job was dispatched to an executor and this is its run there.
    public var dispatchKey: String?

    /// Encodes every key, absent values as null.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(python, forKey: .python)
        try container.encode(packagesObject, forKey: .packagesObject)
        try container.encode(packagesTool, forKey: .packagesTool)
        try container.encode(packageCount, forKey: .packageCount)
        try container.encode(os, forKey: .os)
        try container.encode(cpu, forKey: .cpu)
        try container.encode(host, forKey: .host)
        try container.encode(mlgate, forKey: .mlgate)
        try container.encode(ciRunURL, forKey: .ciRunURL)
        try container.encode(dispatchKey, forKey: .dispatchKey)
    }

    /// Creates an environment.
    public init(python: String? = nil, packagesObject: String? = nil, packagesTool: String? = nil, packageCount: Int? = nil,
                os: String, cpu: String, host: String, mlgate: String) {
        self.python = python
        self.packagesObject = packagesObject
        self.packagesTool = packagesTool
        self.packageCount = packageCount
        self.os = os
        self.cpu = cpu
        self.host = host
        self.mlgate = mlgate
    }
}

/// One stage as a run visited it.
public struct StageRun: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey { case stage, outcome, memo, command, exitStatus = "exit_status", durationMilliseconds = "duration_ms", dependencies = "deps", parameters = "params", outputs = "outs", metrics, environment, message }

    /// The stage's name.
    public var stage: String
    /// What happened to it.
    public var outcome: StageOutcome
    /// The memo it was judged by.
    public var memo: String
    /// The command as one line.
    public var command: String
    /// The command's exit status (a signal number is reported as 128 + N), when it ran.
    public var exitStatus: Int32?
    /// Wall time of the command, when it ran.
    public var durationMilliseconds: Int64?
    /// Dependency hashes.
    public var dependencies: [HashedPath]
    /// Parameter values.
    public var parameters: [ParameterValue]
    /// Output hashes.
    public var outputs: [LockedOutput]
    /// Metrics read from the stage's metric files.
    public var metrics: [Metric]
    /// The environment file, its hash and the check's result.
    public var environment: EnvironmentFinding?
    /// Why it failed, in one line.
    public var message: String?

    /// Encodes every key, absent values as null.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(stage, forKey: .stage)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(memo, forKey: .memo)
        try container.encode(command, forKey: .command)
        try container.encode(exitStatus, forKey: .exitStatus)
        try container.encode(durationMilliseconds, forKey: .durationMilliseconds)
        try container.encode(dependencies, forKey: .dependencies)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(outputs, forKey: .outputs)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(environment, forKey: .environment)
        try container.encode(message, forKey: .message)
    }

    /// Creates a stage run.
    public init(stage: String, outcome: StageOutcome, memo: String, command: String, exitStatus: Int32? = nil,
                durationMilliseconds: Int64? = nil, dependencies: [HashedPath] = [], parameters: [ParameterValue] = [],
                outputs: [LockedOutput] = [], metrics: [Metric] = [], environment: EnvironmentFinding? = nil, message: String? = nil) {
        self.stage = stage
        self.outcome = outcome
        self.memo = memo
        self.command = command
        self.exitStatus = exitStatus
        self.durationMilliseconds = durationMilliseconds
        self.dependencies = dependencies
        self.parameters = parameters
        self.outputs = outputs
        self.metrics = metrics
        self.environment = environment
        self.message = message
    }

    /// One numeric value from a metrics file.
    public struct Metric: Hashable, Sendable, Codable {
        enum CodingKeys: String, CodingKey { case name, value, file, source }

        /// The dotted key in the file (`roc_auc`, `test.accuracy`).
        public var name: String
        /// The value.
        public var value: Double
        /// The file it came from.
        public var file: String
        /// Where the value comes from: the stage ran in this run, or it did not and its outputs are those of
        /// `mlgate.lock` or the run cache; nil in records made before mlgate said.
        public var source: MetricSource?

        /// Creates a metric.
        public init(name: String, value: Double, file: String, source: MetricSource? = nil) {
            self.name = name
            self.value = value
            self.file = file
            self.source = source
        }

        /// Encodes every key, an unknown source as null.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(value, forKey: .value)
            try container.encode(file, forKey: .file)
            try container.encode(source, forKey: .source)
        }
    }
}

/// Where a run's metric value comes from.
public enum MetricSource: String, Hashable, Sendable, Codable {
    /// The stage ran in this run and wrote the metrics file.
    case ran
    /// The stage was up to date: its metrics file is the one `mlgate.lock` records (or was restored from it).
    case lock = "mlgate.lock"
    /// The stage's outputs, metrics file included, were restored from an earlier run with the same inputs.
    case runCache = "run cache"

    /// Whether the value was carried over from an earlier run rather than produced by this one.
    public var isCarried: Bool { self != .ran }
}

/// What a run did with a stage.
public enum StageOutcome: String, Hashable, Sendable, Codable {
    /// The command ran and succeeded.
    case ran
    /// Nothing changed since the locked run; nothing was done.
    case skipped
    /// An earlier run with the same memo left its outputs in the object store; they were restored.
    case restored
    /// The command failed, or a declared output was missing afterwards.
    case failed
    /// The run was stopped while this stage ran.
    case cancelled
    /// The stage is frozen in mlgate.yaml.
    case frozen
}

/// The environment file a stage named, and how the installed packages compared with it.
public struct EnvironmentFinding: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey { case file, hash = "sha256", mismatches }

    /// The file.
    public var file: String
    /// Its SHA-256.
    public var hash: String
    /// Pins the installed packages do not satisfy (`name: wanted 1.2, found 1.3`); empty when they match.
    public var mismatches: [String]

    /// Creates a finding.
    public init(file: String, hash: String, mismatches: [String]) {
        self.file = file
        self.hash = hash
        self.mismatches = mismatches
    }
}
