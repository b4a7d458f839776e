/// One registered version of a model: an artifact in the object store and where it came from.
public struct ModelVersion: Hashable, Sendable {
    /// The model's name.
    public var model: String
    /// The version number, 1, 2, 3… per model, allocated without gaps.
    public var version: Int
    /// The artifact's object hash (a file, or a folder's manifest).
    public var artifact: String
    /// Whether the artifact is a folder.
    public var artifactIsDirectory: Bool
    /// The path it was registered from, for people.
    public var sourcePath: String?
    /// The commit it was built from.
    public var commit: String?
    /// The run that produced it.
    public var run: Int?
    /// Hashes of the data it was trained and evaluated on (path → hash).
    public var dataHashes: [String: String]
    /// The digest of the gate verdict it was registered with.
    public var verdictDigest: String?
    /// The folder object holding the monitor's reference data captured at registration (`mlgate monitor profile`).
    public var profile: String?
    /// Whether that verdict passed; nil when it was registered without one.
    public var gatePassed: Bool?
    /// The branch it was built on.
    public var branch: String?
    /// Free text.
    public var description: String?
    /// Tags.
    public var tags: [String: String]
    /// active, archived or deleted.
    public var status: String
    /// The lifecycle stage it is in (`staging`, `production`…), if any.
    public var stage: String?
    /// When and by whom it was registered (milliseconds since 1970; `name <email>` or a CI user).
    public var createdAt: Int64
    /// Who registered it.
    public var createdBy: String
    /// The aliases pointing at it.
    public var aliases: [String]

    /// Creates a version.
    public init(model: String, version: Int, artifact: String, artifactIsDirectory: Bool, sourcePath: String?, commit: String?,
                run: Int?, dataHashes: [String: String], verdictDigest: String?, gatePassed: Bool? = nil, branch: String? = nil,
                description: String?, tags: [String: String],
                status: String, stage: String?, createdAt: Int64, createdBy: String, aliases: [String], profile: String? = nil) {
        self.model = model
        self.version = version
        self.artifact = artifact
        self.artifactIsDirectory = artifactIsDirectory
        self.sourcePath = sourcePath
        self.commit = commit
        self.run = run
        self.dataHashes = dataHashes
        self.verdictDigest = verdictDigest
        self.gatePassed = gatePassed
        self.branch = branch
        self.description = description
        self.tags = tags
        self.status = status
        self.stage = stage
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.aliases = aliases
        self.profile = profile
    }

    /// `models:/name/N`.
    public var uri: String { "models:/\(model)/\(version)" }
}

/// One row of the tamper-evident audit log: who changed what in the registry, when and why.
public struct AuditEntry: Hashable, Sendable {
    /// Position in the log, from 1.
    public var sequence: Int
    /// When, in milliseconds since 1970.
    public var at: Int64
    /// Who (`name <email>` from git, or `ci:<provider>:<user>`).
    public var actor: String
    /// What (`register`, `alias-set`, `alias-unset`, `tag`, `promote`, `approve`, `archive`, `delete`).
    public var action: String
    /// The version it concerns (`models:/churn/3`).
    public var subject: String
    /// The state before, as canonical JSON text ("null" for none).
    public var before: String
    /// The state after, as canonical JSON text.
    public var after: String
    /// Why, as given.
    public var reason: String?
    /// The digest of the gate verdict involved, if any.
    public var verdictDigest: String?
    /// The previous row's hash (64 zeros for the first).
    public var previousHash: String
    /// This row's hash: SHA-256 of `canonicalText`.
    public var hash: String

    /// Creates an entry.
    public init(sequence: Int, at: Int64, actor: String, action: String, subject: String, before: String, after: String,
                reason: String?, verdictDigest: String?, previousHash: String, hash: String) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.before = before
        self.after = after
        self.reason = reason
        self.verdictDigest = verdictDigest
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The text whose SHA-256 is `hash`: every field but the hash, as JSON with sorted keys.
    public var canonicalText: String {
        let fields: [(String, String)] = [
            ("action", JSONText.quoted(action)), ("actor", JSONText.quoted(actor)), ("after", JSONText.quoted(after)),
            ("at", String(at)), ("before", JSONText.quoted(before)), ("previous", JSONText.quoted(previousHash)),
            ("reason", reason.map(JSONText.quoted) ?? "null"), ("sequence", String(sequence)), ("subject", JSONText.quoted(subject)),
            ("verdict_digest", verdictDigest.map(JSONText.quoted) ?? "null"),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// The previous hash of the first row.
    public static let genesis = String(repeating: "0", count: 64)
}
