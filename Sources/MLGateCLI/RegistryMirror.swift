import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// Writes the registry's events to git — annotated tags in GTO's grammar and one JSON line per event in
/// `refs/notes/mlgate` — and rebuilds the registry from them (`mlgate models sync`).
///
/// Events are the outbox: each is written to git after its transaction committed and marked when done, so a
/// crash between the store and git is repaired by the next registry command, which writes what is pending.
enum RegistryMirror {
    /// Writes every pending event; a failure is reported once and retried next time. An event that can never
    /// be written (a tag name git refuses, a commit this repository does not have) is set aside with its reason,
    /// so it never blocks the events after it.
    static func drain(_ registry: RegistryContext, attempts: Int = 3) {
        guard attempts > 0, let pending = try? registry.store.pendingMirrorEvents(), !pending.isEmpty else { return }
        // One writer at a time: concurrent registrations would otherwise race for git's ref locks.
        guard let lock = try? FileLock(path: registry.workspace.layout.directory + "/locks/mirror.lock", operation: LOCK_EX) else { return }
        defer { withExtendedLifetime(lock) {} }
        guard let events = try? registry.store.pendingMirrorEvents(), !events.isEmpty,
              let repository = try? GitRepository.open(at: registry.workspace.root) else { return }
        let signer = TagSigner(registry: registry)
        for var event in events {
            guard let hex = event.commit, let commit = CommitID(hex: hex), let version = event.version else {
                // No commit (registered with --path before the first commit): nothing in git to attach it to.
                try? registry.store.markMirrored(event.id)
                continue
            }
            // A name git already holds for another tag (fetched from elsewhere, say by a plain 'git pull'): a stage
            // move takes the next free event numbers, a registration the next free version number.
            if let taken = tagWrites(for: event).first(where: { !isOurs($0.tag, event: event, commit: commit, repository: repository) }) {
                if taken.tag.counter != nil, let renumbered = try? registry.store.reassignEventCounter(event.id, model: event.model, count: tagWrites(for: event).count) {
                    event.counter = renumbered
                } else if case .version = taken.tag {
                    let highest = ((try? repository.annotatedTags(matching: "\(event.model)@v*")) ?? []).compactMap { tag -> Int? in
                        if case .version(_, let number)? = RegistryTag(parsing: tag.name) { return number }
                        return nil
                    }.max() ?? version
                    if let new = try? registry.store.renumber(model: event.model, from: version, atLeast: highest + 1,
                                                              by: registry.actor(reason: "\(taken.tag.name) is another version's tag in git")) {
                        printError("mlgate: \(taken.tag.name) already names another version in git; \(event.model) version \(version) is now version \(new).")
                    }
                    return drain(registry, attempts: attempts - 1)
                }
            }
            let writes = tagWrites(for: event)
            if let refused = writes.lazy.compactMap({ write in RefName.problem("refs/tags/" + write.tag.name).map { (write.tag.name, $0) } }).first {
                setAside(event, registry: registry, reason: "git cannot hold the tag name '\(refused.0)': \(refused.1)")
                continue
            }
            do {
                for write in writes { try signer.createTag(write.tag.name, on: commit, message: write.message.text, repository: repository) }
                try repository.appendNote(noteLines(for: event), to: commit)
                try registry.store.markMirrored(event.id)
            } catch let error as GitError where error.code == GitError.invalidSpec || error.reason == .notFound(what: "commit") {
                setAside(event, registry: registry, reason: error.description)
            } catch {
                printError("warning: the registry event \(event.id) (\(event.action) of \(event.model)) was not written to git yet: \(error). The next registry command retries it.")
                return
            }
        }
    }

    /// Whether `tag` is free in git or already the tag `event` writes (on its commit, about its version).
    private static func isOurs(_ tag: RegistryTag, event: MirrorEvent, commit: CommitID, repository: GitRepository) -> Bool {
        guard repository.target(of: "refs/tags/" + tag.name) != nil else { return true }
        guard let existing = try? repository.annotatedTags(matching: tag.name).first(where: { $0.name == tag.name }),
              let message = try? JSONDecoder().decode(RegistryMessage.self, from: Data(existing.message.utf8)) else { return false }
        return existing.target == commit && message.version == event.version && message.model == event.model
    }

    private static func setAside(_ event: MirrorEvent, registry: RegistryContext, reason: String) {
        try? registry.store.markMirrorFailed(event.id, reason: reason)
        printError("warning: the registry event \(event.id) (\(event.action) of \(event.model)) can never be written to git (\(reason)); it is set aside ('mlgate events list' shows it) and the events after it go on.")
    }

    /// Pushes the registry to `remote.git` when mlgate.yaml names one; a failure is a warning (the next
    /// registry command, or 'mlgate models push', tries again).
    static func pushIfConfigured(_ registry: RegistryContext) {
        guard let remote = (try? registry.workspace.configuration())?.remote.git else { return }
        do {
            _ = try RegistryRemote.push(registry, remote: remote, transport: RegistryRemote.transport(for: registry))
        } catch {
            printError("warning: the registry was not pushed to \(remote): \(error). 'mlgate models push' tries again.")
        }
    }

    /// The message of an event as its note line carries it (and, numbered per tag, its tags).
    static func message(for event: MirrorEvent) -> RegistryMessage {
        var message = RegistryMessage(action: event.action, actor: event.actor, model: event.model, version: event.version, artifact: event.artifact,
                                      at: Output.timestamp(event.createdAt / 1000), atMilliseconds: event.createdAt, reason: event.reason,
                                      event: event.counter)
        let before = EventSide(json: event.before), after = EventSide(json: event.after)
        switch event.action {
        case "promote", "promote-forced":
            message.stage = after.stage
        case "demote":
            message.stage = before.stage
        case "approve":
            message.stage = after.stage
        case "alias-set", "alias-unset":
            message.alias = after.alias ?? before.alias
        case "deploy", "deploy-forced", "rollback", "deploy-failed":
            message.target = after.target
        case "register":
            // What a release job elsewhere needs to check the lifecycle: the verdict and the branch.
            message.gatePassed = event.gatePassed
            message.verdictDigest = event.verdictDigest
            message.branch = event.branch
        default:
            break
        }
        return message
    }

    /// The tags an event writes, each with its own message (its stage and event number are the tag's).
    static func tagWrites(for event: MirrorEvent) -> [(tag: RegistryTag, message: RegistryMessage)] {
        guard let version = event.version else { return [] }
        let base = message(for: event)
        let tags = RegistryTag.written(action: event.action, model: event.model, version: version, counter: event.counter,
                                       stageBefore: EventSide(json: event.before).stage, stageAfter: EventSide(json: event.after).stage)
        return tags.map { tag in
            var message = base
            if let stage = tag.stage { message.stage = stage }
            if let counter = tag.counter { message.event = counter }
            return (tag, message)
        }
    }

    /// The note lines of an event: its message, and for a registration with a verdict, the verdict's full text,
    /// so every clone can check the gate the tag claims (its SHA-256 is the tag's verdict digest).
    static func noteLines(for event: MirrorEvent) -> [String] {
        var lines = [message(for: event).text]
        if event.action == "register", let verdict = event.verdict, let digest = event.verdictDigest {
            lines.append(RegistryMessage(action: "verdict", model: event.model, version: event.version, artifact: event.artifact,
                                         atMilliseconds: event.createdAt, verdictDigest: digest, verdict: verdict).text)
        }
        return lines
    }
}

/// One side (`before` or `after`) of an event's payload: a stage (a JSON string), or an object naming an alias,
/// a stage, a deploy target and a version.
struct EventSide: Decodable {
    var stage: String?
    var alias: String?
    var target: String?
    var version: Int?

    init(json: String) {
        let data = Data(json.utf8)
        if let stage = try? JSONDecoder().decode(String.self, from: data) {
            self.stage = stage
        } else if let object = try? JSONDecoder().decode(EventSide.self, from: data) {
            self = object
        }
    }
}

/// Creates registry tags: with libgit2, or signed by the `git` program when the team requires signed tags
/// (`ci.require_signed_tags`) or git is set to sign every tag (`tag.gpgSign`); libgit2 cannot sign.
struct TagSigner {
    let signs: Bool
    let git: GitCommandLine

    init(registry: RegistryContext) {
        let required = (try? registry.workspace.configuration())?.ci.requireSignedTags == true
        let configured = ((try? GitRepository.open(at: registry.workspace.root).configString("tag.gpgSign")) ?? nil)?.lowercased() == "true"
        signs = required || configured
        git = GitCommandLine(directory: registry.workspace.root)
    }

    /// Creates annotated (signed, when asked) tag `name` on `commit`; an existing tag is never moved.
    func createTag(_ name: String, on commit: CommitID, message: String, repository: GitRepository) throws {
        guard signs else { return _ = try repository.createTag(name, on: commit, message: message) }
        guard repository.target(of: "refs/tags/" + name) == nil else { return }
        let result = try git.run(["tag", "-s", "-m", message, name, commit.hex])
        guard result.status == 0 else {
            throw EnvironmentError("git could not sign the tag \(name) (exit \(result.status)): \(result.output.split(separator: "\n").last ?? ""). Set user.signingkey (and gpg.format ssh for an SSH key), or turn off ci.require_signed_tags.")
        }
    }

    /// Whether `name`'s signature is good and its key trusted (`git verify-tag`), with git's reason when not.
    func verify(_ name: String) -> SignatureCheck {
        guard let result = try? git.run(["verify-tag", "refs/tags/" + name]) else { return .unverified("git could not be run") }
        if result.status == 0 { return .verified }
        let reason = result.output.split(separator: "\n").last.map(String.init) ?? "git verify-tag exited \(result.status)"
        return .unverified(reason)
    }
}

/// What `mlgate models sync` found and did.
struct SyncReport {
    /// Registered versions found in git and accepted.
    var found = 0
    /// Those that were new to this store.
    var added = 0
    /// The stage of each version that holds one, `churn/3 in production`.
    var stages: [String] = []
    /// The registry tags refused, with their reasons; nothing of them was imported.
    var rejected: [RejectedTag] = []
    /// What was imported with something left out (a gate claim no verdict backs), or not imported by policy.
    var notes: [RejectedTag] = []
}

/// Rebuilds the registry from git — registration and stage tags, and the notes' verdicts, approvals, aliases and
/// deployments — under the same rules as a local change (`RegistryReplay`). What fails is refused, reported and
/// left out.
enum RegistrySync {
    /// Runs the sync; returns what it found, imported and refused.
    static func run(_ registry: RegistryContext) throws -> SyncReport {
        let repository = try GitRepository.open(at: registry.workspace.root)
        let configuration = try registry.workspace.configuration()
        let store = registry.store
        let signer = TagSigner(registry: registry)
        let decoder = JSONDecoder()
        func decode(_ text: String) -> RegistryMessage? { try? decoder.decode(RegistryMessage.self, from: Data(text.utf8)) }

        // The tags this store wrote itself.
        var localTags: [String: Int] = [:]
        for event in try store.mirroredEvents() {
            for write in RegistryMirror.tagWrites(for: event) { localTags[write.tag.name] = event.version }
        }
        // The tags, each with its parsed message (and its signature, when signatures are required and it is not ours).
        var found: [FoundTag] = []
        var taggers: [String: (name: String, at: Int64)] = [:]
        for pattern in RegistryTag.patterns() {
            for annotated in try repository.annotatedTags(matching: pattern) {
                guard let tag = RegistryTag(parsing: annotated.name) else { continue }
                let message = decode(annotated.message)
                let ours = message?.version != nil && localTags[annotated.name] == message?.version
                let signature = configuration.ci.requireSignedTags && !ours ? signer.verify(annotated.name) : .notChecked
                found.append(FoundTag(tag: tag, commit: annotated.target.hex, message: message, signature: signature))
                taggers[annotated.name] = (annotated.tagger.map { "\($0.name) <\($0.email)>" } ?? "git", (annotated.tagger?.time ?? 0) * 1000)
            }
        }
        // The notes: every line that is a registry message, with the commit it annotates.
        let notes: [(commit: String, message: RegistryMessage)] = try repository.registryNotes().flatMap { annotated, lines in
            lines.compactMap { line in decode(line).map { (annotated.hex, $0) } }
        }

        // Evidence: verdicts that hash to their digest, and approvals on each version's own commit.
        var verdicts = try store.recordedVerdicts()
        for (_, message) in notes where message.action == "verdict" {
            guard let text = message.verdict, let digest = message.verdictDigest, ContentHash.of(Array(text.utf8)) == digest,
                  let checked = checkedVerdict(text) else { continue }
            verdicts[digest] = checked
        }
        let local = try store.versions(model: nil, includeDeleted: true)
        var origin: [String: (commit: String, artifact: String?)] = [:]
        for candidate in found {
            if case .version(let model, let number) = candidate.tag { origin["\(model)/\(number)"] = (candidate.commit, candidate.message?.artifact) }
        }
        for version in local { if let commit = version.commit { origin["\(version.model)/\(version.version)"] = (commit, version.artifact) } }
        // A note is about a version only on that version's own commit and naming its artifact: a line copied to another
        // commit, or one about a version renumbered since (another version may share the commit), counts for nothing.
        func onOwnCommit(_ commit: String, _ message: RegistryMessage) -> Bool {
            guard let version = message.version, let known = origin["\(message.model)/\(version)"] else { return false }
            return known.commit == commit && message.artifact == known.artifact
        }
        var approvals = try store.allApprovals()
        let noteApprovals = notes.filter { $0.message.action == "approve" && onOwnCommit($0.commit, $0.message) }
        for (_, message) in noteApprovals {
            guard let version = message.version, let stage = message.stage, let actor = message.actor else { continue }
            approvals["\(message.model)/\(version)/\(stage)", default: []].insert(actor)
        }

        let known = Dictionary(local.map { ("\($0.model)/\($0.version)", KnownVersion(artifact: $0.artifact, commit: $0.commit, gatePassed: $0.gatePassed, branch: $0.branch)) },
                               uniquingKeysWith: { first, _ in first })
        let lifecycles = Dictionary(configuration.models.map { ($0.name, $0.lifecycle) }, uniquingKeysWith: { first, _ in first })
        let replay = RegistryReplay(tags: found, known: known, localTags: localTags, verdicts: verdicts, approvals: approvals,
                                    requireSignatures: configuration.ci.requireSignedTags) { lifecycles[$0] ?? LifecycleSpec() }
        let result = replay.run()

        // Apply what was accepted.
        var report = SyncReport(rejected: result.rejected, notes: result.notes)
        let pendingModels = Set(try store.pendingMirrorEvents().map(\.model))
        for model in Set(result.highestVersion.keys).union(result.highestEvent.keys) {
            try store.advanceCounters(model: model, pastVersion: result.highestVersion[model], pastEvent: result.highestEvent[model])
        }
        for version in result.versions {
            let key = "\(version.model)/\(version.version)"
            report.found += 1
            if !version.known {
                let tagger = taggers[RegistryTag.version(model: version.model, number: version.version).name]
                if try store.importVersion(version, tagger: tagger?.name ?? "git", taggedAt: tagger?.at ?? 0) { report.added += 1 }
            }
            // A model with changes not yet in git keeps its local stages until they are written.
            if !pendingModels.contains(version.model) {
                try store.applySyncedStage(model: version.model, version: version.version, stage: result.stages[key])
            }
        }
        report.stages = result.stages.sorted { $0.key < $1.key }.map { "\($0.key) in \($0.value)" }
        for (_, message) in noteApprovals {
            guard let version = message.version, let stage = message.stage, let actor = message.actor else { continue }
            try store.importApproval(model: message.model, version: version, stage: stage, actor: actor, at: message.atMilliseconds ?? 0)
        }
        // Aliases name what a lifecycle stage does not: one named like a stage never comes in, and with signed tags
        // required none does (notes are not signed; what must be provable is a stage).
        if configuration.ci.requireSignedTags {
            if notes.contains(where: { $0.message.action.hasPrefix("alias") }) {
                report.notes.append(RejectedTag(name: "refs/notes/mlgate", reason: "alias moves in the notes are not imported while ci.require_signed_tags is on; deploy targets should follow stages"))
            }
        } else {
            let aliasMoves = notes.filter { entry in
                onOwnCommit(entry.commit, entry.message) && !(lifecycles[entry.message.model] ?? LifecycleSpec()).stages.contains(entry.message.alias ?? "")
            }
            try importAliases(aliasMoves, store: store)
        }
        try importDeployments(notes.filter { onOwnCommit($0.commit, $0.message) }, store: store)
        return report
    }

    /// Prints each refused tag as a warning (a sync inside another command: the command goes on without them).
    static func warnAboutRefused(_ report: SyncReport) {
        for rejection in report.rejected { printError("warning: refused registry tag \(rejection.name) from git, left out: \(rejection.reason)") }
        for note in report.notes { printError("note: \(note.name): \(note.reason)") }
    }

    /// A verdict's text as the sync checks it: the model, the candidate's artifact and whether it passed.
    static func checkedVerdict(_ text: String) -> CheckedVerdict? {
        struct Shape: Decodable {
            struct Side: Decodable { var artifact: String? }
            var model: String
            var passed: Bool
            var candidate: Side
        }
        guard let shape = try? JSONDecoder().decode(Shape.self, from: Data(text.utf8)) else { return nil }
        return CheckedVerdict(model: shape.model, artifact: shape.candidate.artifact, passed: shape.passed)
    }

    /// Aliases from the notes: every alias move of a valid name, applied in time order.
    private static func importAliases(_ notes: [(commit: String, message: RegistryMessage)], store: Store) throws {
        var latest: [String: (model: String, alias: String, version: Int?)] = [:]
        let moves = notes.map(\.message).filter { $0.action == "alias-set" || $0.action == "alias-unset" }
        for message in moves.sorted(by: { ($0.atMilliseconds ?? 0) < ($1.atMilliseconds ?? 0) }) {
            guard let alias = message.alias, (try? ModelURI.validateAlias(alias)) != nil, (try? ModelURI.validateName(message.model)) != nil else { continue }
            latest["\(message.model)@\(alias)"] = (message.model, alias, message.action == "alias-set" ? message.version : nil)
        }
        for (_, move) in latest.sorted(by: { $0.key < $1.key }) {
            try store.importAlias(model: move.model, alias: move.alias, version: move.version)
        }
    }

    /// Deployments and rollbacks from the notes, in time order, so every clone sees what each target serves.
    private static func importDeployments(_ notes: [(commit: String, message: RegistryMessage)], store: Store) throws {
        let deployments = notes.map(\.message).filter { ["deploy", "deploy-forced", "rollback"].contains($0.action) }
        for message in deployments.sorted(by: { ($0.atMilliseconds ?? 0) < ($1.atMilliseconds ?? 0) }) {
            guard let target = message.target, DeploymentTarget.isValidName(target), let version = message.version, let at = message.atMilliseconds else { continue }
            try store.importDeployment(target: target, model: message.model, version: version, at: at, rollback: message.action == "rollback",
                                       actor: message.actor ?? "git")
        }
    }
}

/// `mlgate models sync`.
struct ModelsSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Rebuild the registry index from git: registration and stage tags (GTO's grammar).",
        discussion: """
            Every registration is also an annotated tag NAME@vN.0.0 on the version's commit, and every stage \
            move a tag NAME#STAGE#K, with one JSON line per event in refs/notes/mlgate. In a fresh clone or a \
            CI job (fetch the tags, and the notes with 'git fetch origin refs/notes/mlgate:refs/notes/mlgate'), \
            this command brings those versions and their stages into the local store, so 'mlgate gate' knows \
            the champion without the SQLite file. Artifacts come from the object store ('mlgate pull').
            """)

    func run() throws {
        let registry = try RegistryContext.current()
        RegistryMirror.drain(registry)
        let result = try RegistrySync.run(registry)
        print("synced \(result.found) versions from git (\(result.added) new)" + (result.stages.isEmpty ? "." : "; stages: " + result.stages.joined(separator: ", ") + "."))
        for note in result.notes { printError("note: \(note.name): \(note.reason)") }
        guard !result.rejected.isEmpty else { return }
        for rejection in result.rejected { printError("refused refs/tags/\(rejection.name): \(rejection.reason)") }
        throw RegistryError(.refused, "\(result.rejected.count) registry tag\(result.rejected.count == 1 ? " was" : "s were") refused and left out (above); nothing of \(result.rejected.count == 1 ? "it" : "them") was imported. docs/registry.md#trust explains what a tag must satisfy.")
    }
}

/// Pushes the registry's tags and notes to a git remote, as DESIGN §6 says: never forced; the remote's notes
/// are fetched and merged line by line (`cat_sort_uniq`) and the push retried when another writer got there
/// first. A version number is final once its tag is on the remote: a local version whose number the remote
/// already holds is renumbered past the remote's, the remote's versions are synced in, and the push goes again.
enum RegistryRemote {
    /// Attempts before giving up on a remote that keeps changing.
    static let attempts = 5

    /// The transport for this process: in a CI job the `git` program, which has the job's credentials and
    /// copes with shallow clones; elsewhere libgit2.
    static func transport(for registry: RegistryContext) -> (any RefTransport)? {
        ContinuousIntegration.isActive ? GitCommandLine(directory: registry.workspace.root) : nil
    }

    /// Pushes; returns how many tags went up and how many attempts it took.
    static func push(_ registry: RegistryContext, remote: String, transport chosen: (any RefTransport)? = nil) throws -> (tags: Int, attempts: Int) {
        let repository = try GitRepository.open(at: registry.workspace.root)
        let transport = chosen ?? LibGit2Transport(repository: repository)
        var local = try (repository.annotatedTags(matching: "*@v*") + repository.annotatedTags(matching: "*#*#*")).map(\.name)
        // Only the registry's tags of the models at hand travel, never the repository's other tags.
        let models = Set(local.compactMap { $0.split(whereSeparator: { $0 == "@" || $0 == "#" }).first.map(String.init) }).sorted()
        func registryRefspecs(into prefix: String, force: Bool) -> [String] {
            models.flatMap { model in ["@", "#"].map { "\(force ? "+" : "")refs/tags/\(model)\($0)*:\(prefix)\(model)\($0)*" } }
        }
        // Registered artifacts travel in git too (remote.artifacts_in_git), so a fresh runner finds the champion.
        let artifacts = try GitArtifacts(registry: registry).prepare()
        for warning in artifacts.warnings { printError("warning: " + warning) }
        for attempt in 1...attempts {
            // The remote may have no notes yet; that fetch failing is expected then.
            try? transport.fetch(remote: remote, refspecs: ["+\(GitRepository.registryNotesRef):refs/mlgate/remote-notes"])
            if !models.isEmpty { try transport.fetch(remote: remote, refspecs: registryRefspecs(into: "refs/mlgate/remote-tags/", force: true)) }
            // A conflict: the remote holds one of our tag names for another tag, or one of our stage-event numbers
            // under another stage tag (two clones that moved a model at once).
            let remoteEvents = Set(remoteTags(repository).compactMap { tag in tag.counter.map { "\(tag.model)#\($0)" } })
            let conflicts = local.filter { name in
                if let theirs = repository.target(of: "refs/mlgate/remote-tags/\(name)") { return theirs != repository.target(of: "refs/tags/\(name)") }
                guard let tag = RegistryTag(parsing: name), let counter = tag.counter else { return false }
                return remoteEvents.contains("\(tag.model)#\(counter)")
            }
            if !conflicts.isEmpty {
                // The remote's numbers are final: ours move past them, then the remote's versions are synced in.
                try renumber(conflicts, repository: repository, registry: registry)
                try transport.fetch(remote: remote, refspecs: registryRefspecs(into: "refs/tags/", force: false))
                RegistrySync.warnAboutRefused(try RegistrySync.run(registry))
                local = try (repository.annotatedTags(matching: "*@v*") + repository.annotatedTags(matching: "*#*#*")).map(\.name)
                continue
            }
            try repository.mergeRegistryNotes(onto: "refs/mlgate/remote-notes")
            let missing = local.filter { repository.target(of: "refs/mlgate/remote-tags/\($0)") == nil }
            // The artifacts first, in a push of their own, so they are there when the tags that name them arrive and a
            // host that refuses them (custom refs, a size rule) never holds back the registry; one the remote has is a no-op.
            if !artifacts.references.isEmpty {
                do {
                    let refused = try transport.push(remote: remote, refspecs: artifacts.references.map { "\($0):\($0)" })
                    for reference in refused.keys.sorted() {
                        printError("warning: \(remote) refused \(reference) (\(refused[reference] ?? "")); that artifact does not travel in git (docs/ci.md#artifacts).")
                    }
                } catch {
                    printError("warning: the artifacts were not pushed to \(remote) under refs/mlgate/objects/ (\(error)); the registry still is. Set remote.objects, or remote.artifacts_in_git: false (docs/ci.md#artifacts).")
                }
            }
            var refspecs = missing.sorted().map { "refs/tags/\($0):refs/tags/\($0)" }
            if repository.target(of: GitRepository.registryNotesRef) != nil {
                refspecs.append("\(GitRepository.registryNotesRef):\(GitRepository.registryNotesRef)")
            }
            guard !refspecs.isEmpty else { return (0, attempt) }
            if try transport.push(remote: remote, refspecs: refspecs).isEmpty { return (missing.count, attempt) }
        }
        throw EnvironmentError("the remote '\(remote)' kept changing during \(attempts) attempts to push the registry; run 'mlgate models push' again.")
    }
}

extension RegistryRemote {
    /// Re-creates local tags whose names the remote holds for other events: a registration gets the next
    /// version number past the remote's, a stage move the next event number; every tag is recreated on its
    /// commit with its message updated, and the store's events take the new numbers.
    static func renumber(_ conflicts: [String], repository: GitRepository, registry: RegistryContext) throws {
        let decoder = JSONDecoder()
        func message(of tag: AnnotatedTag?) -> RegistryMessage? {
            tag.flatMap { try? decoder.decode(RegistryMessage.self, from: Data($0.message.utf8)) }
        }
        let signer = TagSigner(registry: registry)
        var moved: [String: Int] = [:]  // "model/old" → new
        for name in conflicts.sorted() {
            guard case .version(let model, let number) = RegistryTag(parsing: name) else { continue }
            let remoteMax = remoteVersions(repository, model: model).max() ?? 0
            let version = try registry.store.resolve(ModelURI(name: model, selector: .version(number)))
            let existing = try repository.annotatedTags(matching: name).first
            let new = try registry.store.renumber(model: model, from: number, atLeast: remoteMax + 1,
                                                  by: registry.actor(reason: "\(name) was taken on the remote"))
            moved["\(model)/\(number)"] = new
            try repository.deleteTag(name)
            if let hex = version.commit, let commit = CommitID(hex: hex) {
                // The old message with the new number: the verdict, branch and actor travel with the version.
                var body = message(of: existing) ?? RegistryMessage(action: "register", model: model, artifact: version.artifact)
                body.version = new
                try signer.createTag(RegistryTag.version(model: model, number: new).name, on: commit, message: body.text, repository: repository)
            }
            printError("mlgate: \(model) version \(number) was registered on the remote by someone else first; this one is now version \(new).")
        }
        // Stage tags: once one of a model's numbers is taken, every stage tag of that model the remote lacks moves
        // past the remote's numbers, in its original order (assign and unassign pairs stay in sequence).
        // Also every model whose version was renumbered: its unpushed stage tags name the old number.
        let stageModels = Set(conflicts.compactMap { RegistryTag(parsing: $0) }.filter { $0.counter != nil }.map(\.model))
            .union(moved.keys.compactMap { $0.split(separator: "/").first.map(String.init) })
        let unpushed = try stageModels.flatMap { model in
            try repository.annotatedTags(matching: "\(model)#*").filter { tag in
                repository.target(of: "refs/mlgate/remote-tags/\(tag.name)") == nil || conflicts.contains(tag.name)
            }
        }
        let ordered: [(tag: RegistryTag, annotated: AnnotatedTag)] = unpushed.compactMap { annotated in
            RegistryTag(parsing: annotated.name).map { ($0, annotated) }
        }.sorted { ($0.tag.model, $0.tag.counter ?? 0) < ($1.tag.model, $1.tag.counter ?? 0) }
        // Delete them all first, then recreate: a new number may be an old one's.
        for (tag, _) in ordered { try repository.deleteTag(tag.name) }
        var counters: [String: [Int: Int]] = [:]
        for (tag, annotated) in ordered {
            guard var body = message(of: annotated), let old = tag.counter, let stage = tag.stage else { continue }
            let model = tag.model
            try registry.store.advanceEventCounter(model: model, past: remoteCounters(repository, model: model).max() ?? 0)
            let counter = try registry.store.allocateEventCounter(model: model)
            counters[model, default: [:]][old] = counter
            if let version = body.version { body.version = moved["\(model)/\(version)"] ?? version }
            body.event = counter
            let renamed: RegistryTag = if case .unstage = tag { .unstage(model: model, stage: stage, counter: counter) } else { .stage(model: model, stage: stage, counter: counter) }
            try signer.createTag(renamed.name, on: annotated.target, message: body.text, repository: repository)
        }
        for (model, moves) in counters { try registry.store.renumberStageEvents(model: model, moves) }
        // The notes of a renumbered version's events again, under its new number (the old lines name the old
        // number, and another version may share the commit; notes count only for the number and artifact they name).
        let renumbered = Set(moved.map { "\($0.key.split(separator: "/")[0])/\($0.value)" })
        for event in try registry.store.mirroredEvents() where renumbered.contains("\(event.model)/\(event.version ?? 0)") {
            guard let hex = event.commit, let commit = CommitID(hex: hex) else { continue }
            try repository.appendNote(RegistryMirror.noteLines(for: event), to: commit)
        }
    }

    /// The registry tags the remote holds (fetched under `refs/mlgate/remote-tags/`), of `model` or every model.
    static func remoteTags(_ repository: GitRepository, model: String? = nil) -> [RegistryTag] {
        let prefix = "refs/mlgate/remote-tags/"
        return RegistryTag.patterns(model: model).flatMap { pattern in
            ((try? repository.references(matching: prefix + pattern)) ?? []).compactMap { RegistryTag(parsing: String($0.dropFirst(prefix.count))) }
        }
    }

    /// The version numbers of `model` the remote holds.
    static func remoteVersions(_ repository: GitRepository, model: String) -> [Int] {
        remoteTags(repository, model: model).compactMap { tag in
            switch tag {
            case .version(_, let number), .deregistration(_, let number): number
            case .stage, .unstage: nil
            }
        }
    }

    /// The stage-event numbers of `model` the remote holds.
    static func remoteCounters(_ repository: GitRepository, model: String) -> [Int] {
        remoteTags(repository, model: model).compactMap(\.counter)
    }
}

/// `mlgate models push`.
struct ModelsPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push the registry's tags and notes to the git remote (fetch, merge, retry; never forced).",
        discussion: """
            Sends the registration and stage tags, and refs/notes/mlgate, to the remote named by --remote or \
            'remote.git' in mlgate.yaml (default origin). The remote's notes are fetched and merged line by \
            line first, and the push is retried when another writer pushed in between. When 'remote.git' is \
            set, every registry command pushes after its change. A version number is final once its tag is on \
            the remote: a local version whose number the remote already holds is renumbered past it first.
            """)

    @Option(help: "The git remote (default: remote.git in mlgate.yaml, else origin).")
    var remote: String?

    func run() throws {
        let registry = try RegistryContext.current()
        RegistryMirror.drain(registry)
        let name = try remote ?? registry.workspace.configuration().remote.git ?? "origin"
        let result = try RegistryRemote.push(registry, remote: name, transport: RegistryRemote.transport(for: registry))
        print("pushed \(result.tags) tag\(result.tags == 1 ? "" : "s") and the registry notes to \(name)\(result.attempts > 1 ? " (after \(result.attempts) attempts)" : "").")
    }
}
