/// How a model's production data is watched for drift (`models.NAME.monitor` in mlgate.yaml): the reference it was
/// trained on, where the current data is, whose defaults decide drift, and how each column is read.
public struct MonitorSpec: Hashable, Sendable {
    /// Whose methods and thresholds a column's drift follows.
    public enum Preset: String, Sendable, Hashable, CaseIterable {
        /// Evidently 0.7: KS or χ² at p 0.05 for a reference of at most 1,000 rows, else normalised Wasserstein
        /// 0.1 (numbers with more than 5 values) or Jensen–Shannon 0.1 (natural log); dataset drift at a share.
        case evidently
        /// Azure ML monitoring: normalised Wasserstein 0.1 for numbers, Jensen–Shannon (base 2) 0.1 for categories.
        case azure
    }

    /// How a column is read.
    public enum ColumnKind: String, Sendable, Hashable {
        case numeric, categorical, ignore
    }

    /// A drift statistic a column can be judged by instead of its preset's choice (Evidently's names for them).
    public enum DriftMethod: String, Sendable, Hashable, CaseIterable {
        /// Two-sample Kolmogorov–Smirnov, its p-value; numeric columns only.
        case ks
        /// Wasserstein-1 normalised by the reference's standard deviation; numeric columns only.
        case wasserstein = "wasserstein_norm"
        /// The population stability index over the preset's bins (numbers) or the categories.
        case psi
        /// Jensen–Shannon distance over the preset's bins or the categories (base 2 for azure, natural log for evidently).
        case jensenshannon
        /// Pearson's χ² test of the category counts, its p-value.
        case chisquare
        /// The pooled two-proportion z-test on the first value, its p-value; for columns of at most two values.
        case z

        /// Whether the statistic is a p-value (drift at or below the threshold) rather than a distance (drift at or above it).
        public var isPValue: Bool { self == .ks || self == .chisquare || self == .z }
        /// Whether it is defined for numbers only.
        public var isNumericOnly: Bool { self == .ks || self == .wasserstein }
    }

    /// How one column is read and judged when not as inferred and as the preset says: `columns: {zip: categorical}`
    /// or `columns: {tenure: {kind: numeric, method: psi, threshold: 0.2}}`.
    public struct ColumnRule: Hashable, Sendable {
        /// Its kind; nil to infer it.
        public var kind: ColumnKind?
        /// Its statistic; nil for the preset's.
        public var method: DriftMethod?
        /// Its threshold; nil for the preset's (or, with `method`, that method's usual one).
        public var threshold: Double?

        /// A rule; every part optional.
        public init(kind: ColumnKind? = nil, method: DriftMethod? = nil, threshold: Double? = nil) {
            self.kind = kind
            self.method = method
            self.threshold = threshold
        }
    }

    /// The prediction-drift signal (`prediction:`): the model's output column in production, judged like a column
    /// against the model's outputs on the reference.
    public struct PredictionSignal: Hashable, Sendable {
        /// The output column: a field of the collected answers' rows, or a column of the current data files.
        public var column: String
        /// The file holding the reference outputs in `column`, repository-relative; nil: the monitor's reference.
        public var reference: String?
        /// Its kind, method and threshold, as for a column (the preset's when unset).
        public var rule: ColumnRule

        /// A signal on `column`.
        public init(column: String, reference: String? = nil, rule: ColumnRule = ColumnRule()) {
            self.column = column
            self.reference = reference
            self.rule = rule
        }
    }

    /// The performance signal (`performance:`): a metric of the model's task on the production rows whose true
    /// outcome is known (`mlgate collect labels`, or a label column in the current files), against a bound.
    public struct PerformanceSignal: Hashable, Sendable {
        /// A metric of `task` (the gate's names: roc_auc, log_loss, rmse, …).
        public var metric: String
        /// binary or regression.
        public var task: String
        /// The bound: the worst value still acceptable.
        public var bound: Double
        /// Whether larger values are better (the bound is a `min`) or smaller (a `max`).
        public var higherIsBetter: Bool
        /// The column of true outcomes in current data files (collected labels are their records' `label`).
        public var label: String
        /// The output column holding the model's score or prediction.
        public var score: String
        /// The fewest labelled rows before the metric is judged; fewer leave the signal unjudged.
        public var minimumRows: Int

        /// A signal on `metric` of `task`, bounded by `bound`.
        public init(metric: String, task: String, bound: Double, higherIsBetter: Bool, label: String = "label", score: String = "score", minimumRows: Int = 30) {
            self.metric = metric
            self.task = task
            self.bound = bound
            self.higherIsBetter = higherIsBetter
            self.label = label
            self.score = score
            self.minimumRows = minimumRows
        }
    }

    /// The reference data (a CSV, TSV, JSON Lines, Feather or .npy file), repository-relative.
    public var reference: String
    /// The current data: a file or a folder of files with the same columns, repository-relative; nil to give it on
    /// the command line.
    public var current: String?
    /// Whose defaults apply.
    public var preset: Preset
    /// Columns read or judged another way than inferred and preset (or ignored), by name.
    public var columns: [String: ColumnRule]
    /// The share of drifted columns from which the dataset counts as drifted.
    public var driftShare: Double
    /// What a check that finds drift does besides reporting it.
    public var onDrift: DriftAction = .report
    /// The fewest hours between two retraining jobs queued by drift of this model.
    public var retrainCooldownHours: Int = 24

    /// The prediction-drift signal; nil for none.
    public var prediction: PredictionSignal?
    /// The performance signal; nil for none.
    public var performance: PerformanceSignal?

    /// What drift sets off (`on_drift`).
    public enum DriftAction: String, Sendable, Hashable, CaseIterable {
        /// Report it (exit 1, a `drift.detected` event); nothing more.
        case report
        /// Also queue a training job of the pipeline at HEAD, with the verdict as its reason.
        case retrain
    }

    /// A monitor of `reference` with `preset`'s defaults.
    public init(reference: String, current: String? = nil, preset: Preset = .evidently, columns: [String: ColumnRule] = [:], driftShare: Double = 0.5) {
        self.reference = reference
        self.current = current
        self.preset = preset
        self.columns = columns
        self.driftShare = driftShare
    }
}
