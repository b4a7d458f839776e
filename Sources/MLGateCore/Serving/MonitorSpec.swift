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

    /// The reference data (a CSV, TSV, JSON Lines, Feather or .npy file), repository-relative.
    public var reference: String
    /// The current data: a file or a folder of files with the same columns, repository-relative; nil to give it on
    /// the command line.
    public var current: String?
    /// Whose defaults apply.
    public var preset: Preset
    /// Columns read another way than inferred (or ignored), by name.
    public var columns: [String: ColumnKind]
    /// The share of drifted columns from which the dataset counts as drifted.
    public var driftShare: Double
    /// What a check that finds drift does besides reporting it.
    public var onDrift: DriftAction = .report
    /// The fewest hours between two retraining jobs queued by drift of this model.
    public var retrainCooldownHours: Int = 24

    /// What drift sets off (`on_drift`).
    public enum DriftAction: String, Sendable, Hashable, CaseIterable {
        /// Report it (exit 1, a `drift.detected` event); nothing more.
        case report
        /// Also queue a training job of the pipeline at HEAD, with the verdict as its reason.
        case retrain
    }

    /// A monitor of `reference` with `preset`'s defaults.
    public init(reference: String, current: String? = nil, preset: Preset = .evidently, columns: [String: ColumnKind] = [:], driftShare: Double = 0.5) {
        self.reference = reference
        self.current = current
        self.preset = preset
        self.columns = columns
        self.driftShare = driftShare
    }
}
