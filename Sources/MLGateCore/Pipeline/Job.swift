/// A training job the `pre-push` hook queued: run the pipeline at a pushed commit.
public struct Job: Hashable, Sendable, Encodable {
    enum CodingKeys: String, CodingKey { case id, ref, commit, remote, stages, status, trustHash = "trust_hash", createdAt = "created_at", updatedAt = "updated_at", leaseOwner = "lease_owner", attempts, run, message, reason, gateModel = "gate_model", executor, remoteID = "remote_id", remoteURL = "remote_url" }

    /// The job's number.
    public var id: Int
    /// The ref pushed (`refs/heads/main`).
    public var ref: String
    /// The commit to train.
    public var commit: String
    /// The remote pushed to.
    public var remote: String?
    /// The stages whose dependencies the pushed commits touched.
    public var stages: [String]
    /// Where the job is.
    public var status: JobStatus
    /// The hash of the stage commands, which the user must have trusted.
    public var trustHash: String
    /// When it was queued and last changed, in milliseconds since 1970.
    public var createdAt: Int64
    /// When it last changed.
    public var updatedAt: Int64
    /// The worker holding it (`host:pid:start`) while running.
    public var leaseOwner: String?
    /// How many times a worker took it.
    public var attempts: Int
    /// The run it produced.
    public var run: Int?
    /// Why it failed or waits, in one line.
    public var message: String?
    /// Why it was queued when not by a push (`retrain churn: drift in check 12 …`); nil for a push.
    public var reason: String?
    /// The model whose gate judges the run once it trains (a retraining), registering and promoting it only when it
    /// passes; nil for a job that only trains.
    public var gateModel: String?
    /// The engine it was dispatched to (`github`, `gitlab`, `kubernetes`); nil when a worker trains it here.
    public var executor: String?
    /// The engine's id for the dispatched run (a workflow run id, a pipeline id, a Job name).
    public var remoteID: String?
    /// The dispatched run's page (or the Job's `namespace/name`).
    public var remoteURL: String?

    /// The branch pushed (`ref` without `refs/heads/`), or the ref itself when it names no branch.
    public var branch: String { ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : ref }

    /// Encodes every key (absent values as null), times as ISO 8601 UTC.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(ref, forKey: .ref)
        try container.encode(commit, forKey: .commit)
        try container.encode(remote, forKey: .remote)
        try container.encode(stages, forKey: .stages)
        try container.encode(status, forKey: .status)
        try container.encode(trustHash, forKey: .trustHash)
        try container.encode(Timestamp.iso8601(createdAt / 1000), forKey: .createdAt)
        try container.encode(Timestamp.iso8601(updatedAt / 1000), forKey: .updatedAt)
        try container.encode(leaseOwner, forKey: .leaseOwner)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(run, forKey: .run)
        try container.encode(message, forKey: .message)
        try container.encode(reason, forKey: .reason)
        try container.encode(gateModel, forKey: .gateModel)
        try container.encode(executor, forKey: .executor)
        try container.encode(remoteID, forKey: .remoteID)
        try container.encode(remoteURL, forKey: .remoteURL)
    }

    /// Creates a job.
    public init(id: Int = 0, ref: String, commit: String, remote: String?, stages: [String], status: JobStatus = .queued,
                trustHash: String, createdAt: Int64, updatedAt: Int64, leaseOwner: String? = nil, attempts: Int = 0,
                run: Int? = nil, message: String? = nil, reason: String? = nil, gateModel: String? = nil,
                executor: String? = nil, remoteID: String? = nil, remoteURL: String? = nil) {
        self.id = id
        self.ref = ref
        self.commit = commit
        self.remote = remote
        self.stages = stages
        self.status = status
        self.trustHash = trustHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.leaseOwner = leaseOwner
        self.attempts = attempts
        self.run = run
        self.message = message
        self.reason = reason
        self.gateModel = gateModel
        self.executor = executor
        self.remoteID = remoteID
        self.remoteURL = remoteURL
    }
}

/// Where a queued job is.
public enum JobStatus: String, Hashable, Sendable, Codable, CaseIterable {
    /// Waiting for a worker.
    case queued
    /// A worker holds its lease.
    case running
    /// Its run succeeded.
    case succeeded
    /// Its run failed.
    case failed
    /// Cancelled with `mlgate queue cancel`.
    case cancelled
    /// Its stage commands changed since the user last trusted them; `mlgate trust` queues it again.
    case untrusted
}
