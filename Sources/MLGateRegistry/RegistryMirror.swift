import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// Writes the registry's events to git — annotated tags in GTO's grammar and one JSON line per event in
/// `refs/notes/mlgate` — and rebuilds the registry from them (`mlgate models sync`).
///
/// Events are the outbox: each is written to git after its transaction committed and marked when done, so a
/// crash between the store and git is repaired by the next registry command, which writes what is pending.
package enum RegistryMirror {
    /// Writes every pending event; a failure is reported once and retried next time. An event that can never
    /// be written (a tag name git refuses, a commit this repository does not have) is set aside with its reason,
    /// so it never blocks the events after it.
    package static func drain(_ registry: RegistryContext, attempts: Int = 3) {
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
                        registry.reporter.progress("mlgate: \(taken.tag.name) already names another version in git; \(event.model) version \(version) is now version \(new).")
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
                registry.reporter.warning("the registry event \(event.id) (\(event.action) of \(event.model)) was not written to git yet: \(error). The next registry command retries it.")
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
        registry.reporter.warning("the registry event \(event.id) (\(event.action) of \(event.model)) can never be written to git (\(reason)); it is set aside ('mlgate events list' shows it) and the events after it go on.")
    }

    /// Pushes the registry to `remote.git` when mlgate.yaml names one; a failure is a warning (the next
    /// registry command, or 'mlgate models push', tries again).
    static func pushIfConfigured(_ registry: RegistryContext) {
        guard let remote = (try? registry.workspace.configuration())?.remote.git else { return }
        do {
            _ = try RegistryRemote.push(registry, remote: remote, transport: RegistryRemote.transport(for: registry))
        } catch {
            registry.reporter.warning("the registry was not pushed to \(remote): \(error). 'mlgate models push' tries again.")
        }
    }

    /// The message of an event as its note line carries it (and, numbered per tag, its tags).
    static func message(for event: MirrorEvent) -> RegistryMessage {
        var message = RegistryMessage(action: event.action, actor: event.actor, model: event.model, version: event.version, artifact: event.artifact,
                                      at: Timestamp.iso8601(event.createdAt / 1000), atMilliseconds: event.createdAt, reason: event.reason,
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
            message.profile = event.profile  // so a clone that syncs checks against the same baseline
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
package struct EventSide: Decodable {
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
