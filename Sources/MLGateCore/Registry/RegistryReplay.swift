/// A registry tag found in git, with what the sync needs to judge it.
public struct FoundTag: Hashable, Sendable {
    /// The tag.
    public var tag: RegistryTag
    /// The commit it points at (hex).
    public var commit: String
    /// Its message, parsed; nil when the message is not mlgate's JSON.
    public var message: RegistryMessage?
    /// Whether its signature was checked and found good (`ci.require_signed_tags`), with the reason when not.
    public var signature: SignatureCheck

    /// Creates a found tag.
    public init(tag: RegistryTag, commit: String, message: RegistryMessage?, signature: SignatureCheck = .notChecked) {
        self.tag = tag
        self.commit = commit
        self.message = message
        self.signature = signature
    }
}

/// The outcome of checking a tag's signature with `git verify-tag`.
public enum SignatureCheck: Hashable, Sendable {
    /// Signatures are not required, so none was checked.
    case notChecked
    /// The signature is good and its key is trusted.
    case verified
    /// There is no good signature; why.
    case unverified(String)
}

/// A version the local store holds: its facts are this store's own and need no proof.
public struct KnownVersion: Hashable, Sendable {
    /// The artifact hash.
    public var artifact: String
    /// The commit, if any.
    public var commit: String?
    /// Whether its gate passed (nil: registered without a verdict).
    public var gatePassed: Bool?
    /// The branch it was built on.
    public var branch: String?

    /// Creates the facts of a known version.
    public init(artifact: String, commit: String?, gatePassed: Bool?, branch: String?) {
        self.artifact = artifact
        self.commit = commit
        self.gatePassed = gatePassed
        self.branch = branch
    }
}

/// A gate verdict whose digest was checked against its text, and what the text says.
public struct CheckedVerdict: Hashable, Sendable {
    /// The model it judged.
    public var model: String
    /// The candidate's artifact hash.
    public var artifact: String?
    /// Whether it passed.
    public var passed: Bool

    /// Creates a checked verdict.
    public init(model: String, artifact: String?, passed: Bool) {
        self.model = model
        self.artifact = artifact
        self.passed = passed
    }
}

/// A registered version found in git and accepted by the replay.
public struct AcceptedVersion: Hashable, Sendable {
    /// The model.
    public var model: String
    /// The version number.
    public var version: Int
    /// The artifact hash.
    public var artifact: String
    /// The commit of its registration tag.
    public var commit: String
    /// Whether its gate passed, as its verdict (checked) says; nil without one.
    public var gatePassed: Bool?
    /// The verdict's digest.
    public var verdictDigest: String?
    /// The branch its message names.
    public var branch: String?
    /// Who registered it (the message's actor).
    public var actor: String?
    /// When, in milliseconds since 1970 (0 when the message does not say).
    public var at: Int64
    /// Whether the local store already holds it.
    public var known: Bool
    /// Its monitor profile, when the message names a well-formed one (the object is checked when it is read).
    public var profile: String?
}

/// What a registry tag in git was refused for; it is left out of the store.
public struct RejectedTag: Error, Hashable, Sendable, CustomStringConvertible {
    /// The tag's name.
    public var name: String
    /// Why.
    public var reason: String

    /// Creates a rejection.
    public init(name: String, reason: String) {
        self.name = name
        self.reason = reason
    }

    public var description: String { "\(name): \(reason)" }
}

/// Rebuilds the registry's versions and stages from the tags in git under the same rules as a local change.
///
/// A tag is evidence written by whoever could push to the remote, so nothing in it is taken on trust:
///
/// - its message must be mlgate's and agree with the tag's name (model, version, stage, event number), and an
///   artifact must be a content hash;
/// - a registration's gate counts as passed only when its verdict travels with the notes and hashes to the
///   digest the tag names, judged the same model and the same artifact;
/// - stage events are replayed in event-number order per model, and each move into a stage must be one the
///   model's lifecycle allows from where the version is at that point (one stage at a time, a passed gate,
///   approvals on the version's own commit, the branch), into a stage no other version holds; a forced move is
///   accepted only from a signed tag; leaving a stage needs the version to be in it;
/// - with signatures required, every tag this store did not write itself needs a good signature.
///
/// Tags this store wrote itself (`localTags`) are its own changes and are applied as they are. Whatever fails is
/// rejected with its reason and left out; nothing is half applied.
public struct RegistryReplay: Sendable {
    /// The registry tags found in git.
    public var tags: [FoundTag]
    /// The versions the local store holds, by `model/version`.
    public var known: [String: KnownVersion]
    /// The tags this store's own outbox wrote: name → the version it is about. A tag of that name about another
    /// version (one fetched over ours) is not ours.
    public var localTags: [String: Int]
    /// Verdicts from the notes (and the store), by digest, each already checked against its text.
    public var verdicts: [String: CheckedVerdict]
    /// Who approved each version for each stage, by `model/version/stage` (notes on the version's commit, and the
    /// store's own approvals).
    public var approvals: [String: Set<String>]
    /// Each model's lifecycle.
    public var lifecycle: @Sendable (String) -> LifecycleSpec
    /// Whether every tag from elsewhere needs a good signature (`ci.require_signed_tags`).
    public var requireSignatures: Bool

    /// Creates a replay.
    public init(tags: [FoundTag], known: [String: KnownVersion], localTags: [String: Int], verdicts: [String: CheckedVerdict],
                approvals: [String: Set<String>], requireSignatures: Bool, lifecycle: @escaping @Sendable (String) -> LifecycleSpec) {
        self.tags = tags
        self.known = known
        self.localTags = localTags
        self.verdicts = verdicts
        self.approvals = approvals
        self.requireSignatures = requireSignatures
        self.lifecycle = lifecycle
    }

    /// What the replay accepted and refused.
    public struct Result: Sendable {
        /// Every registration accepted (known to the store or new), sorted by model and version.
        public var versions: [AcceptedVersion] = []
        /// The stage each accepted version holds after the replay (absent: none), by `model/version`.
        public var stages: [String: String] = [:]
        /// Versions deregistered in git (`NAME@vN.0.0!`), as `model/version`.
        public var deregistered: Set<String> = []
        /// The highest version number and stage-event number per model among every registry tag, accepted or
        /// not, so local numbering never reuses a name git already holds.
        public var highestVersion: [String: Int] = [:]
        /// The highest stage-event number per model.
        public var highestEvent: [String: Int] = [:]
        /// The tags refused, with their reasons, in tag-name order.
        public var rejected: [RejectedTag] = []
        /// Tags accepted with a claim left out (a gate that cannot be checked), with what was left out.
        public var notes: [RejectedTag] = []
    }

    /// Runs the replay.
    public func run() -> Result {
        var result = Result()
        var rejected: [RejectedTag] = []
        var notes: [RejectedTag] = []
        var candidates: [FoundTag] = []
        for found in tags.sorted(by: { $0.tag.name < $1.tag.name }) {
            switch found.tag {
            case .version(let model, let number), .deregistration(let model, let number):
                result.highestVersion[model] = max(result.highestVersion[model] ?? 0, number)
            case .stage(let model, _, let counter), .unstage(let model, _, let counter):
                result.highestEvent[model] = max(result.highestEvent[model] ?? 0, counter)
            }
            guard let message = found.message else {
                rejected.append(RejectedTag(name: found.tag.name, reason: "its message is not mlgate's JSON"))
                continue
            }
            if let problem = message.problem(for: found.tag) {
                rejected.append(RejectedTag(name: found.tag.name, reason: problem))
                continue
            }
            if requireSignatures, !isLocal(found), case .unverified(let why) = found.signature {
                rejected.append(RejectedTag(name: found.tag.name, reason: "it has no good signature (ci.require_signed_tags): \(why)"))
                continue
            }
            candidates.append(found)
        }

        // Registrations and deregistrations.
        var accepted: [String: AcceptedVersion] = [:]
        for found in candidates {
            guard let message = found.message else { continue }
            switch found.tag {
            case .version(let model, let number):
                switch accept(found, message: message, model: model, number: number) {
                case .success(let version):
                    accepted["\(model)/\(number)"] = version.version
                    if let note = version.note { notes.append(RejectedTag(name: found.tag.name, reason: note)) }
                case .failure(let rejection):
                    rejected.append(rejection)
                }
            case .deregistration(let model, let number):
                // Sorted by name, a version's registration tag comes just before its deregistration.
                if let registered = accepted["\(model)/\(number)"], registered.commit != found.commit {
                    rejected.append(RejectedTag(name: found.tag.name, reason: "it points at another commit than version \(number)'s registration"))
                    continue
                }
                result.deregistered.insert("\(model)/\(number)")
            case .stage, .unstage:
                continue
            }
        }
        // A deleted version's stage history is still replayed (its tags stay valid); it is left out at the end.

        // Stage events, per model in event order.
        let stageTags = candidates.filter { $0.tag.counter != nil }
        for (model, events) in Dictionary(grouping: stageTags, by: \.tag.model) {
            let byCounter = Dictionary(grouping: events) { $0.tag.counter ?? 0 }
            var holder: [Int: String] = [:]  // version → stage
            // A move is two events: the unassignment from the stage it leaves (K), then the assignment (K + 1),
            // which the lifecycle judges as a move from that stage.
            var leaving: (counter: Int, version: Int, stage: String)?
            for counter in byCounter.keys.sorted() {
                guard let group = byCounter[counter] else { continue }
                guard group.count == 1, let event = group.first, let message = event.message, let number = message.version else {
                    for clash in group {
                        rejected.append(RejectedTag(name: clash.tag.name, reason: "\(group.count) tags claim stage event \(counter) of \(model)"))
                    }
                    continue
                }
                let name = event.tag.name
                guard let version = accepted["\(model)/\(number)"] else {
                    rejected.append(RejectedTag(name: name, reason: "it names version \(number), which is not a registered version found in git (or was refused)"))
                    continue
                }
                guard version.commit == event.commit else {
                    rejected.append(RejectedTag(name: name, reason: "it points at commit \(event.commit.prefix(10)), not at version \(number)'s commit \(version.commit.prefix(10))"))
                    continue
                }
                let local = isLocal(event)
                switch event.tag {
                case .unstage(_, let stage, _):
                    guard local || holder[number] == stage else {
                        rejected.append(RejectedTag(name: name, reason: "version \(number) is not in \(stage) at stage event \(counter)"))
                        continue
                    }
                    if holder[number] == stage { holder[number] = nil }
                    leaving = (counter, number, stage)
                case .stage(_, let stage, _):
                    let other = holder.first { $0.key != number && $0.value == stage }?.key
                    let from = leaving.flatMap { $0.counter == counter - 1 && $0.version == number ? $0.stage : nil } ?? holder[number]
                    if !local {
                        if let problem = moveProblem(message: message, event: event, version: version, into: stage, from: from) {
                            rejected.append(RejectedTag(name: name, reason: problem))
                            continue
                        }
                        if let other {
                            rejected.append(RejectedTag(name: name, reason: "\(stage) already holds version \(other) at stage event \(counter) (one version per stage: its unassignment tag must come first)"))
                            continue
                        }
                    }
                    if let other { holder[other] = nil }
                    holder[number] = stage
                case .version, .deregistration:
                    continue
                }
            }
            for (number, stage) in holder { result.stages["\(model)/\(number)"] = stage }
        }
        for key in result.deregistered {
            accepted[key] = nil
            result.stages[key] = nil
        }
        result.versions = accepted.values.sorted { ($0.model, $0.version) < ($1.model, $1.version) }
        result.rejected = rejected.sorted { $0.name < $1.name }
        result.notes = notes.sorted { $0.name < $1.name }
        return result
    }

    /// Whether `found` is a tag this store wrote itself, about the same version.
    private func isLocal(_ found: FoundTag) -> Bool {
        guard let version = localTags[found.tag.name] else { return false }
        return found.message?.version == version
    }

    /// A registration tag checked against the store and the verdicts. A gate claim no verdict in the notes backs
    /// (tags written before verdicts travelled, or a forgery) is left out — the version counts as having no gate,
    /// as one registered without one — and said in the note; a claim a verdict contradicts refuses the tag.
    private func accept(_ found: FoundTag, message: RegistryMessage, model: String, number: Int)
        -> Swift.Result<(version: AcceptedVersion, note: String?), RejectedTag> {
        let name = found.tag.name
        guard let artifact = message.artifact else { return .failure(RejectedTag(name: name, reason: "its message names no artifact")) }
        var version = AcceptedVersion(model: model, version: number, artifact: artifact, commit: found.commit, gatePassed: nil,
                                      verdictDigest: nil, branch: message.branch, actor: message.actor,
                                      at: message.atMilliseconds ?? 0, known: false,
                                      profile: message.profile.flatMap { ContentDigest.isWellFormed($0) ? $0 : nil })
        if let mine = known["\(model)/\(number)"] {
            guard mine.artifact == artifact, mine.commit == nil || mine.commit == found.commit else {
                return .failure(RejectedTag(name: name, reason: "this store's version \(number) of \(model) has another artifact or commit; the tag is not its registration"))
            }
            version.known = true
            version.gatePassed = mine.gatePassed
            version.verdictDigest = message.verdictDigest
            version.branch = mine.branch
            return .success((version, nil))
        }
        guard let digest = message.verdictDigest, let verdict = verdicts[digest] else {
            let claim = message.verdictDigest.map { "its verdict \($0.prefix(12)) does not travel with refs/notes/mlgate" }
                ?? (message.gatePassed == true ? "it claims a passed gate but names no verdict" : nil)
            return .success((version, claim.map { "\($0), so its gate cannot be checked: imported as a version without a gate verdict" }))
        }
        guard verdict.model == model, verdict.artifact == artifact else {
            return .failure(RejectedTag(name: name, reason: "its verdict \(digest.prefix(12)) judged \(verdict.model) artifact \(verdict.artifact?.prefix(12) ?? "none"), not this version's artifact"))
        }
        if let claimed = message.gatePassed, claimed != verdict.passed {
            return .failure(RejectedTag(name: name, reason: "its message says the gate \(claimed ? "passed" : "failed") but its verdict says it \(verdict.passed ? "passed" : "failed")"))
        }
        version.gatePassed = verdict.passed
        version.verdictDigest = digest
        return .success((version, nil))
    }

    /// Why a move into `stage` found in git would be refused here, or nil.
    private func moveProblem(message: RegistryMessage, event: FoundTag, version: AcceptedVersion, into stage: String, from current: String?) -> String? {
        if message.action == "promote-forced" {
            return event.signature == .verified ? nil : "it is a forced promotion, which is accepted from git only from a signed tag (ci.require_signed_tags)"
        }
        let stageApprovals = approvals["\(version.model)/\(version.version)/\(stage)"]?.count ?? 0
        do {
            let missing = try lifecycle(version.model).missing(to: stage, from: current, gatePassed: version.gatePassed,
                                                               approvals: stageApprovals, branch: version.branch)
            return missing.isEmpty ? nil : "the lifecycle refuses version \(version.version) into \(stage): " + missing.joined(separator: "; ")
        } catch {
            return error.description
        }
    }
}
