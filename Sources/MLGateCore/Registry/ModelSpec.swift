/// A model declared under `models:` in `mlgate.yaml`: where its artifact comes from, how any version of it is
/// evaluated, the criteria a candidate must meet to replace the champion, its lifecycle, and how it is served.
public struct ModelSpec: Hashable, Sendable {
    /// The model's name (the registry's).
    public var name: String
    /// The output a run produces for it (a file or folder), repository-relative.
    public var artifact: PathSpec?
    /// How a version is scored.
    public var evaluation: EvaluationSpec?
    /// What a candidate must meet.
    public var promotion: PromotionSpec
    /// The stages a version moves through and what each requires.
    public var lifecycle: LifecycleSpec
    /// How a version is served over HTTP, for `mlgate package` and `directory` deploy targets; nil when undeclared.
    public var serve: ServeSpec?
    /// How a version scores a batch of rows, for `mlgate score`; nil when undeclared.
    public var scoring: ScoringSpec?
    /// How its production data is watched for drift, for `mlgate monitor`; nil when undeclared.
    public var monitor: MonitorSpec?

    /// Creates a model specification.
    public init(name: String, artifact: PathSpec? = nil, evaluation: EvaluationSpec? = nil,
                promotion: PromotionSpec = PromotionSpec(), lifecycle: LifecycleSpec = LifecycleSpec(), serve: ServeSpec? = nil) {
        self.name = name
        self.artifact = artifact
        self.evaluation = evaluation
        self.promotion = promotion
        self.lifecycle = lifecycle
        self.serve = serve
    }
}

/// How any version of a model scores a file of rows: `mlgate score` runs the command once per partition of the
/// input, with `{model}` the version's artifact, `{input}` the partition (in the input's format, header kept) and
/// `{output}` the file it must write, one row per input row, in order.
public struct ScoringSpec: Hashable, Sendable {
    /// The placeholders the command may use.
    public static let placeholders = ["model", "input", "output"]
    /// The scoring command.
    public var command: StageCommand
    /// The folder it runs in, repository-relative (`""`: the root).
    public var workingDirectory: String

    /// A scoring command run in `workingDirectory`.
    public init(command: StageCommand, workingDirectory: String = "") {
        self.command = command
        self.workingDirectory = workingDirectory
    }
}

/// How any version of a model is served: the command that starts an HTTP server on the model, the code it needs,
/// and where it listens. `mlgate package` copies `files` into the package and writes a Dockerfile around it.
public struct ServeSpec: Hashable, Sendable {
    /// The server command: `{model}` is replaced by the model's path and `{port}` by `port` (shell-quoted in a
    /// string, inside each word of an argument list).
    public var command: StageCommand
    /// The folder the command runs in and `files` are relative to, repository-relative (`""`: the root).
    public var workingDirectory: String
    /// The code the command needs, repository-relative files or folders (a folder is copied whole).
    public var files: [PathSpec]
    /// The TCP port the server listens on.
    public var port: Int
    /// The path answering `GET` with status 200 while the server is healthy.
    public var health: String
    /// The container base image of the generated Dockerfile; nil for the official Python image of the version
    /// the training run recorded (`python:3.11-slim`), else `defaultImage`.
    public var image: String?

    /// The words a serve command may contain in braces.
    public static let placeholders = ["model", "port"]
    /// The port when none is declared.
    public static let defaultPort = 8080
    /// The health path when none is declared.
    public static let defaultHealth = "/health"
    /// The base image when none is declared and the run recorded no Python version.
    public static let defaultImage = "python:3.12-slim"

    /// The base image for a package: `image` when declared, else the slim official image of the Python the run
    /// recorded (`Python 3.11.7` → `python:3.11-slim`, so its package pins install), else `defaultImage`.
    public func baseImage(recordedPython: String?) -> String {
        if let image { return image }
        let numbers = recordedPython?.split(separator: " ").last?.split(separator: ".") ?? []
        guard recordedPython?.hasPrefix("Python 3.") == true, numbers.count >= 2, numbers.prefix(2).allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            return Self.defaultImage
        }
        return "python:\(numbers[0]).\(numbers[1])-slim"
    }

    /// Creates a serve specification.
    public init(command: StageCommand, workingDirectory: String = "", files: [PathSpec], port: Int = ServeSpec.defaultPort,
                health: String = ServeSpec.defaultHealth, image: String? = nil) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.files = files
        self.port = port
        self.health = health
        self.image = image
    }
}

/// How predictions for one model artifact are produced and read.
public struct EvaluationSpec: Hashable, Sendable {
    /// The command that writes predictions; `{model}` and `{predictions}` are replaced by paths (passed as
    /// separate arguments for an argv command, shell-quoted for a string).
    public var command: StageCommand
    /// Its working directory, repository-relative.
    public var workingDirectory: String
    /// Files the predictions depend on besides the model (the evaluation data); their hashes key the cache.
    public var data: [PathSpec]
    /// binary, multiclass or regression.
    public var task: String
    /// The column identifying rows (joins the candidate's and the champion's predictions).
    public var id: String
    /// The column of true labels.
    public var label: String
    /// The score column; for multiclass, one column per class in class order.
    public var scores: [String]
    /// Slice columns, for reference.
    public var slices: [String]

    /// Creates an evaluation.
    public init(command: StageCommand, workingDirectory: String = "", data: [PathSpec] = [], task: String,
                id: String = "id", label: String = "label", scores: [String] = ["score"], slices: [String] = []) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.data = data
        self.task = task
        self.id = id
        self.label = label
        self.scores = scores
        self.slices = slices
    }
}

/// The promotion criteria of a model.
public struct PromotionSpec: Hashable, Sendable {
    /// The lifecycle stage (or alias) whose version is the champion to beat.
    public var champion: String
    /// Whether every criterion must pass (`all`) or one is enough (`any`).
    public var requireAll: Bool
    /// The criteria.
    public var criteria: [Criterion]

    /// Creates promotion settings.
    public init(champion: String = "production", requireAll: Bool = true, criteria: [Criterion] = []) {
        self.champion = champion
        self.requireAll = requireAll
        self.criteria = criteria
    }
}

/// One promotion criterion.
public struct Criterion: Hashable, Sendable {
    /// The metric (`roc_auc`, `log_loss`…, or a key of a metrics file).
    public var metric: String
    /// Whether larger values are better.
    public var higherIsBetter: Bool
    /// A metrics file (JSON/YAML) the value comes from, for custom metrics; nil for the evaluation kernel's metrics.
    public var source: String?
    /// An absolute floor (`min`).
    public var minimum: Double?
    /// An absolute ceiling (`max`).
    public var maximum: Double?
    /// Comparison with the champion.
    public var versusChampion: ChampionComparison?
    /// A statistical test against the champion.
    public var test: StatisticalTest?
    /// Evaluate per value of this slice column as well (each slice with at least `minimumRows` rows must pass).
    public var slice: String?
    /// The fewest rows a slice needs to be judged.
    public var minimumRows: Int

    /// Creates a criterion.
    public init(metric: String, higherIsBetter: Bool, source: String? = nil, minimum: Double? = nil, maximum: Double? = nil,
                versusChampion: ChampionComparison? = nil, test: StatisticalTest? = nil, slice: String? = nil, minimumRows: Int = 30) {
        self.metric = metric
        self.higherIsBetter = higherIsBetter
        self.source = source
        self.minimum = minimum
        self.maximum = maximum
        self.versusChampion = versusChampion
        self.test = test
        self.slice = slice
        self.minimumRows = minimumRows
    }

    /// A short description, as verdicts show it.
    public var summary: String {
        var parts: [String] = []
        if let minimum { parts.append("\(metric) ≥ \(GateRules.format(minimum))") }
        if let maximum { parts.append("\(metric) ≤ \(GateRules.format(maximum))") }
        if let versus = versusChampion { parts.append(versus.summary(metric: metric, higherIsBetter: higherIsBetter)) }
        if let test {
            // A test alone still names its metric: "f1: bootstrap superiority at α = 0.05".
            let named = parts.isEmpty ? "\(metric): " : ""
            parts.append("\(named)\(test.name) \(test.kind == .superiority ? "superiority" : "non-inferiority (margin \(GateRules.format(test.margin)))") at α = \(GateRules.format(test.alpha))")
        }
        if parts.isEmpty { parts.append(metric) }
        return parts.joined(separator: ", ") + (slice.map { " in every \($0) slice of ≥ \(minimumRows) rows" } ?? "")
    }
}

/// How a candidate's metric must compare with the champion's.
public struct ChampionComparison: Hashable, Sendable {
    /// The bound, in the metric's units, or relative to |champion| when `relative`.
    public var amount: Double
    /// Whether the candidate must improve by at least `amount` (true) or may degrade by at most `amount` (false).
    public var mustImprove: Bool
    /// Whether `amount` is a fraction of |champion|.
    public var relative: Bool

    /// Creates a comparison.
    public init(amount: Double, mustImprove: Bool, relative: Bool) {
        self.amount = amount
        self.mustImprove = mustImprove
        self.relative = relative
    }

    func summary(metric: String, higherIsBetter: Bool) -> String {
        let size = relative ? "\(GateRules.format(amount * 100))% of the champion" : GateRules.format(amount)
        return mustImprove ? "\(metric) better than the champion by ≥ \(size)" : "\(metric) worse than the champion by ≤ \(size)"
    }
}

/// A paired test against the champion on the same rows.
public struct StatisticalTest: Hashable, Sendable {
    /// delong, mcnemar or bootstrap.
    public var name: String
    /// The significance level, in (0, 1).
    public var alpha: Double
    /// Superiority (the candidate is better) or non-inferiority (it is not worse by more than `margin`).
    public var kind: Kind
    /// The non-inferiority margin, in the metric's units.
    public var margin: Double
    /// Bootstrap resamples.
    public var resamples: Int

    /// The hypothesis tested.
    public enum Kind: String, Hashable, Sendable {
        case superiority
        case nonInferiority = "non_inferiority"
    }

    /// Creates a test.
    public init(name: String, alpha: Double = 0.05, kind: Kind = .superiority, margin: Double = 0, resamples: Int = 1000) {
        self.name = name
        self.alpha = alpha
        self.kind = kind
        self.margin = margin
        self.resamples = resamples
    }
}

/// The lifecycle a model's versions move through (`staging → production`), and what entering each stage needs.
public struct LifecycleSpec: Hashable, Sendable {
    /// The stages, in order.
    public var stages: [String]
    /// Requirements per stage.
    public var requirements: [String: StageRequirement]

    /// Creates a lifecycle.
    public init(stages: [String] = ["staging", "production"], requirements: [String: StageRequirement] = [:]) {
        self.stages = stages
        self.requirements = requirements
    }

    /// What is missing for `version` (in stage `from`, with `gatePassed`, `approvals`, built on `branch`) to enter
    /// `stage`; empty when the move is allowed. Throws when `stage` is not a stage of this lifecycle.
    public func missing(to stage: String, from current: String?, gatePassed: Bool?, approvals: Int, branch: String?) throws(RegistryError) -> [String] {
        guard let target = stages.firstIndex(of: stage) else {
            throw RegistryError(.invalidInput, "'\(stage)' is not a lifecycle stage of this model; its stages are \(stages.joined(separator: ", ")).")
        }
        var missing: [String] = []
        let position = current.flatMap { stages.firstIndex(of: $0) } ?? -1
        if target > position + 1 {
            missing.append("versions move one stage at a time: it is in \(current ?? "no stage"), so it must enter \(stages[position + 1]) first")
        }
        let requirement = requirements[stage] ?? StageRequirement()
        if requirement.gate, gatePassed != true {
            missing.append(gatePassed == false ? "its gate verdict is 'failed'" : "it has no passed gate verdict (register it with one: 'mlgate gate' then 'mlgate models register --run')")
        }
        if approvals < requirement.approvals {
            missing.append("\(requirement.approvals) approval\(requirement.approvals == 1 ? "" : "s") for \(stage) (has \(approvals); 'mlgate approve')")
        }
        if let wanted = requirement.branch, branch != wanted {
            missing.append("it must be built from branch \(wanted) (it was built from \(branch ?? "an unknown branch"))")
        }
        return missing
    }
}

/// What entering one lifecycle stage requires.
public struct StageRequirement: Hashable, Sendable {
    /// A passed gate verdict.
    public var gate: Bool
    /// How many distinct approvals.
    public var approvals: Int
    /// The branch the version's commit must come from.
    public var branch: String?

    /// Creates a requirement.
    public init(gate: Bool = false, approvals: Int = 0, branch: String? = nil) {
        self.gate = gate
        self.approvals = approvals
        self.branch = branch
    }
}
