/// The typed body of a registry tag's message and of a line in `refs/notes/mlgate`: one JSON object with sorted
/// keys, written by `text` and read back with any JSON decoder (`Decodable`; unknown keys are ignored).
///
/// What arrives from git is a claim by whoever could write to the remote. `problem(for:)` checks that a tag's
/// message agrees with the tag's own name; the registry's sync checks the rest (the lifecycle, the verdict,
/// the approvals) before anything is imported.
public struct RegistryMessage: Codable, Hashable, Sendable {
    /// The registry action: `register`, `delete`, `promote`, `promote-forced`, `demote`, `alias-set`,
    /// `alias-unset`, `approve`, `tag`, `archive`, `deploy`, `deploy-forced`, `rollback`, `deploy-failed`,
    /// `verdict` (a note carrying a version's gate verdict).
    public var action: String
    /// Who did it (`name <email>` or `ci:<provider>:<user>`).
    public var actor: String?
    /// The model.
    public var model: String
    /// The version, when the event concerns one.
    public var version: Int?
    /// The version's artifact hash.
    public var artifact: String?
    /// When, as ISO 8601 (for people and GTO).
    public var at: String?
    /// When, in milliseconds since 1970 (orders notes).
    public var atMilliseconds: Int64?
    /// The reason given.
    public var reason: String?
    /// The lifecycle stage, for stage moves and approvals.
    public var stage: String?
    /// The model's stage-event number, for stage moves.
    public var event: Int?
    /// The alias, for alias moves.
    public var alias: String?
    /// Whether the version's gate passed, as the registering store recorded it.
    public var gatePassed: Bool?
    /// The digest (SHA-256 of the text) of the version's gate verdict.
    public var verdictDigest: String?
    /// The verdict's full JSON text, on a `verdict` note.
    public var verdict: String?
    /// The branch the version was built on.
    public var branch: String?
    /// The deploy target, for deployments.
    public var target: String?
    /// The version's monitor profile (a folder object: the reference data it was registered with), on a registration.
    public var profile: String?

    enum CodingKeys: String, CodingKey {
        case action, actor, model, version, artifact, at, atMilliseconds = "at_ms", reason, stage, event, alias
        case gatePassed = "gate_passed", verdictDigest = "verdict_digest", verdict, branch, target, profile
    }

    /// Creates a message.
    public init(action: String, actor: String? = nil, model: String, version: Int? = nil, artifact: String? = nil, at: String? = nil,
                atMilliseconds: Int64? = nil, reason: String? = nil, stage: String? = nil, event: Int? = nil, alias: String? = nil,
                gatePassed: Bool? = nil, verdictDigest: String? = nil, verdict: String? = nil, branch: String? = nil, target: String? = nil,
                profile: String? = nil) {
        self.action = action
        self.actor = actor
        self.model = model
        self.version = version
        self.artifact = artifact
        self.at = at
        self.atMilliseconds = atMilliseconds
        self.reason = reason
        self.stage = stage
        self.event = event
        self.alias = alias
        self.gatePassed = gatePassed
        self.verdictDigest = verdictDigest
        self.verdict = verdict
        self.branch = branch
        self.target = target
        self.profile = profile
    }

    /// The message as one line of JSON with sorted keys; absent fields are left out, except `version` (null).
    public var text: String {
        var fields: [(String, String)] = [("action", JSONText.quoted(action)), ("model", JSONText.quoted(model)),
                                          ("version", version.map(String.init) ?? "null")]
        func add(_ key: CodingKeys, _ value: String?) { if let value { fields.append((key.rawValue, value)) } }
        add(.actor, actor.map(JSONText.quoted))
        add(.artifact, artifact.map(JSONText.quoted))
        add(.at, at.map(JSONText.quoted))
        add(.atMilliseconds, atMilliseconds.map(String.init))
        add(.reason, reason.map(JSONText.quoted))
        add(.stage, stage.map(JSONText.quoted))
        add(.event, event.map(String.init))
        add(.alias, alias.map(JSONText.quoted))
        add(.gatePassed, gatePassed.map { $0 ? "true" : "false" })
        add(.verdictDigest, verdictDigest.map(JSONText.quoted))
        add(.verdict, verdict.map(JSONText.quoted))
        add(.branch, branch.map(JSONText.quoted))
        add(.target, target.map(JSONText.quoted))
        add(.profile, profile.map(JSONText.quoted))
        return JSONText.object(fields)
    }

    /// Whether the action moves a version into a stage.
    public var isPromotion: Bool { action == "promote" || action == "promote-forced" }

    /// Why this message cannot be the message of `tag` (it names another model, version, stage or event, an
    /// action of another kind, or an artifact that is not a content hash), or nil when they agree.
    public func problem(for tag: RegistryTag) -> String? {
        guard model == tag.model else { return "its message names model '\(model)', not '\(tag.model)'" }
        if let artifact, !ContentDigest.isWellFormed(artifact) {
            return "its artifact '\(artifact.prefix(80))' is not a SHA-256 content hash"
        }
        if let verdictDigest, !ContentDigest.isWellFormed(verdictDigest) { return "its verdict digest is not a SHA-256 hash" }
        switch tag {
        case .version(_, let number):
            guard action == "register" else { return "a registration tag's message says '\(action)'" }
            guard version == number else { return "its message names version \(version.map(String.init) ?? "none"), not \(number)" }
            guard artifact != nil else { return "its message names no artifact (it was not written by mlgate)" }
        case .deregistration(_, let number):
            guard action == "delete" else { return "a deregistration tag's message says '\(action)'" }
            guard version == number else { return "its message names version \(version.map(String.init) ?? "none"), not \(number)" }
        case .stage(_, let name, let counter):
            guard isPromotion else { return "a stage tag's message says '\(action)'" }
            guard stage == name else { return "its message names stage '\(stage ?? "none")', not '\(name)'" }
            // Tags written before per-tag messages carried one message for both tags of a move, numbered K - 1 on the second.
            guard let event, event == counter || event == counter - 1 else {
                return "its message names stage event \(event.map(String.init) ?? "none"), not \(counter)"
            }
            guard version != nil else { return "its message names no version" }
        case .unstage(_, _, let counter):
            guard isPromotion || action == "demote" else { return "an unassignment tag's message says '\(action)'" }
            guard event == counter else { return "its message names stage event \(event.map(String.init) ?? "none"), not \(counter)" }
            guard version != nil else { return "its message names no version" }
        }
        return nil
    }
}
