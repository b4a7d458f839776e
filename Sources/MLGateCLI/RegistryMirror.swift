import ArgumentParser
import Foundation
import MLGateCore
import MLGateGit
import MLGateHooks
import MLGateStore

/// Writes the registry's events to git — annotated tags in GTO's grammar and one JSON line per event in
/// `refs/notes/mlgate` — and rebuilds the registry from them (`mlgate models sync`).
///
/// Events are the outbox: each is written to git after its transaction committed and marked when done, so a
/// crash between the store and git is repaired by the next registry command, which writes what is pending.
enum RegistryMirror {
    /// Writes every pending event; a failure is reported once and retried next time.
    static func drain(_ registry: RegistryContext) {
        guard let pending = try? registry.store.pendingMirrorEvents(), !pending.isEmpty else { return }
        // One writer at a time: concurrent registrations would otherwise race for git's ref locks.
        guard let lock = try? FileLock(path: registry.workspace.layout.directory + "/locks/mirror.lock", operation: LOCK_EX) else { return }
        defer { withExtendedLifetime(lock) {} }
        guard let events = try? registry.store.pendingMirrorEvents(), !events.isEmpty,
              let repository = try? GitRepository.open(at: registry.workspace.root) else { return }
        for event in events {
            do {
                if let hex = event.commit, let commit = CommitID(hex: hex), let version = event.version {
                    let payload = (try? JSONSerialization.jsonObject(with: Data(event.payload.utf8))) as? [String: Any] ?? [:]
                    let message = tagMessage(event, payload: payload)
                    switch event.action {
                    case "register":
                        try repository.createTag("\(event.model)@v\(version).0.0", on: commit, message: message)
                    case "delete":
                        try repository.createTag("\(event.model)@v\(version).0.0!", on: commit, message: message)
                    case "promote", "promote-forced":
                        if var counter = event.counter, let stage = payload["after"] as? String {
                            if let previous = payload["before"] as? String {
                                try repository.createTag("\(event.model)#\(previous)!#\(counter)", on: commit, message: message)
                                counter += 1
                            }
                            try repository.createTag("\(event.model)#\(stage)#\(counter)", on: commit, message: message)
                        }
                    case "demote":
                        if let stage = payload["before"] as? String, let counter = event.counter {
                            try repository.createTag("\(event.model)#\(stage)!#\(counter)", on: commit, message: message)
                        }
                    default:
                        break
                    }
                    try repository.appendNote([message.replacingOccurrences(of: "\n", with: " ")], to: commit)
                }
                try registry.store.markMirrored(event.id)
            } catch {
                printError("warning: the registry event \(event.id) (\(event.action) of \(event.model)) was not written to git yet: \(error). The next registry command retries it.")
                return
            }
        }
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

    /// The tag message and note line of an event: one line of JSON with sorted keys.
    static func tagMessage(_ event: MirrorEvent, payload: [String: Any]) -> String {
        var fields: [(String, String)] = [
            ("action", JSONText.quoted(event.action)), ("actor", JSONText.quoted(payload["actor"] as? String ?? "")),
            ("at", JSONText.quoted(Output.timestamp(event.createdAt / 1000))), ("model", JSONText.quoted(event.model)),
            ("version", event.version.map(String.init) ?? "null"),
        ]
        if let artifact = event.artifact { fields.append(("artifact", JSONText.quoted(artifact))) }
        if let reason = payload["reason"] as? String { fields.append(("reason", JSONText.quoted(reason))) }
        if let stage = (payload["after"] as? String) ?? (payload["before"] as? String), event.action.hasPrefix("promote") || event.action == "demote" {
            fields.append(("stage", JSONText.quoted(stage)))
        }
        if event.action == "approve", let stage = (payload["after"] as? [String: Any])?["stage"] as? String {
            fields.append(("stage", JSONText.quoted(stage)))
        }
        if event.action == "register", let state = payload["after"] as? [String: Any] {
            // What a release job elsewhere needs to check the lifecycle: the verdict and the branch.
            if let passed = state["gate_passed"] as? Bool { fields.append(("gate_passed", passed ? "true" : "false")) }
            if let digest = state["verdict_digest"] as? String { fields.append(("verdict_digest", JSONText.quoted(digest))) }
            if let branch = state["branch"] as? String { fields.append(("branch", JSONText.quoted(branch))) }
        }
        if let counter = event.counter { fields.append(("event", String(counter))) }
        fields.append(("at_ms", String(event.createdAt)))
        let aliasSide = (payload["after"] as? [String: Any]) ?? (payload["before"] as? [String: Any])
        if event.action.hasPrefix("alias"), let alias = aliasSide?["alias"] as? String { fields.append(("alias", JSONText.quoted(alias))) }
        return JSONText.object(fields)
    }

    /// Rebuilds the registry index from the tags (versions and their stages); returns (versions found, new).
    static func sync(_ registry: RegistryContext) throws -> (found: Int, added: Int, stages: [String]) {
        let repository = try GitRepository.open(at: registry.workspace.root)
        var versions: [String: (version: Int, commit: CommitID, artifact: String?, tagger: Signature?, gate: ImportedGate)] = [:]
        var deregistered = Set<String>()
        for tag in try repository.annotatedTags(matching: "*@v*") {
            guard let at = tag.name.lastIndex(of: "@") else { continue }
            let model = String(tag.name[..<at])
            var semver = String(tag.name[tag.name.index(at, offsetBy: 2)...])
            let removed = semver.hasSuffix("!")
            if removed { semver.removeLast() }
            let parts = semver.split(separator: ".")
            guard parts.count == 3, parts[1] == "0", parts[2] == "0", let number = Int(parts[0]), (try? ModelURI.validateName(model)) != nil else { continue }
            let key = "\(model)/\(number)"
            if removed { deregistered.insert(key); continue }
            let body = (try? JSONSerialization.jsonObject(with: Data(tag.message.utf8))) as? [String: Any]
            let gate = ImportedGate(passed: body?["gate_passed"] as? Bool, verdictDigest: body?["verdict_digest"] as? String,
                                    branch: body?["branch"] as? String)
            versions[key] = (number, tag.target, body?["artifact"] as? String, tag.tagger, gate)
        }
        // Stage tags, applied in event order per model: `name#stage#N` assigns, `name#stage!#N` unassigns.
        var assignments: [(model: String, stage: String, counter: Int, version: Int?)] = []
        for tag in try repository.annotatedTags(matching: "*#*#*") {
            let parts = tag.name.split(separator: "#", omittingEmptySubsequences: false)
            guard parts.count == 3, let counter = Int(parts[2]) else { continue }
            var stage = String(parts[1])
            let unassign = stage.hasSuffix("!")
            if unassign { stage.removeLast() }
            let body = (try? JSONSerialization.jsonObject(with: Data(tag.message.utf8))) as? [String: Any]
            assignments.append((String(parts[0]), stage, counter, unassign ? nil : body?["version"] as? Int))
        }
        var stageOf: [String: String] = [:]
        for assignment in assignments.sorted(by: { ($0.model, $0.counter) < ($1.model, $1.counter) }) {
            if let version = assignment.version {
                stageOf["\(assignment.model)/\(version)"] = assignment.stage
            } else {
                stageOf = stageOf.filter { !($0.key.hasPrefix(assignment.model + "/") && $0.value == assignment.stage) }
            }
        }
        var added = 0
        for (key, found) in versions.sorted(by: { $0.key < $1.key }) where !deregistered.contains(key) {
            guard let artifact = found.artifact else {
                printError("warning: tag \(key.replacingOccurrences(of: "/", with: "@v")).0.0 has no artifact in its message (not written by mlgate); skipped.")
                continue
            }
            let model = String(key.split(separator: "/")[0])
            if try registry.store.importVersion(model: model, version: found.version, artifact: artifact, commit: found.commit.hex,
                                                createdAt: (found.tagger?.time ?? 0) * 1000,
                                                createdBy: found.tagger.map { "\($0.name) <\($0.email)>" } ?? "git", stage: stageOf[key],
                                                gate: found.gate) {
                added += 1
            }
        }
        // Aliases and approvals from the notes: every alias event, applied in time order.
        var aliasEvents: [(at: Int64, model: String, alias: String, version: Int?)] = []
        let commitOf = Dictionary(try registry.store.versions(model: nil).map { ("\($0.model)/\($0.version)", $0.commit) }) { first, _ in first }
        for (annotated, lines) in try repository.registryNotes() {
            for line in lines {
                guard let body = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                      let action = body["action"] as? String, let model = body["model"] as? String else { continue }
                let at = (body["at_ms"] as? NSNumber)?.int64Value ?? 0
                // An approval counts only on the note of the version's own commit: a line copied elsewhere, or one
                // whose version number was renumbered since, approves nothing.
                if action == "approve", let version = body["version"] as? Int, let stage = body["stage"] as? String, let actor = body["actor"] as? String,
                   commitOf["\(model)/\(version)"] ?? nil == annotated.hex {
                    try registry.store.importApproval(model: model, version: version, stage: stage, actor: actor, at: at)
                }
                guard action.hasPrefix("alias"), let alias = body["alias"] as? String else { continue }
                aliasEvents.append((at, model, alias, action == "alias-set" ? body["version"] as? Int : nil))
            }
        }
        var aliases: [String: Int?] = [:]
        for event in aliasEvents.sorted(by: { $0.at < $1.at }) { aliases["\(event.model)@\(event.alias)"] = event.version }
        for (key, version) in aliases.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "@")
            try registry.store.importAlias(model: String(parts[0]), alias: String(parts[1]), version: version)
        }
        for (model, counters) in Dictionary(grouping: assignments, by: \.model) {
            if let highest = counters.map(\.counter).max() { try registry.store.advanceEventCounter(model: model, past: highest) }
        }
        return (versions.count - deregistered.count, added, stageOf.sorted { $0.key < $1.key }.map { "\($0.key) in \($0.value)" })
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
        let result = try RegistryMirror.sync(registry)
        print("synced \(result.found) versions from git (\(result.added) new)" + (result.stages.isEmpty ? "." : "; stages: " + result.stages.joined(separator: ", ") + "."))
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
        for attempt in 1...attempts {
            // The remote may have no notes yet; that fetch failing is expected then.
            try? transport.fetch(remote: remote, refspecs: ["+\(GitRepository.registryNotesRef):refs/mlgate/remote-notes"])
            if !models.isEmpty { try transport.fetch(remote: remote, refspecs: registryRefspecs(into: "refs/mlgate/remote-tags/", force: true)) }
            let conflicts = local.filter { tag in
                guard let theirs = repository.target(of: "refs/mlgate/remote-tags/\(tag)") else { return false }
                return theirs != repository.target(of: "refs/tags/\(tag)")
            }
            if !conflicts.isEmpty {
                // The remote's numbers are final: ours move past them, then the remote's versions are synced in.
                try renumber(conflicts, repository: repository, registry: registry)
                try transport.fetch(remote: remote, refspecs: registryRefspecs(into: "refs/tags/", force: false))
                _ = try RegistryMirror.sync(registry)
                local = try (repository.annotatedTags(matching: "*@v*") + repository.annotatedTags(matching: "*#*#*")).map(\.name)
                continue
            }
            try repository.mergeRegistryNotes(onto: "refs/mlgate/remote-notes")
            let missing = local.filter { repository.target(of: "refs/mlgate/remote-tags/\($0)") == nil }
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
    /// commit with its body updated.
    static func renumber(_ conflicts: [String], repository: GitRepository, registry: RegistryContext) throws {
        var moved: [String: Int] = [:]  // "model/old" → new
        for tag in conflicts.sorted() where !tag.contains("#") {
            guard let at = tag.lastIndex(of: "@"), let number = Int(tag[tag.index(at, offsetBy: 2)...].split(separator: ".").first ?? "") else { continue }
            let model = String(tag[..<at])
            let remoteMax = remoteVersions(repository, model: model).max() ?? 0
            let version = try registry.store.resolve(ModelURI(name: model, selector: .version(number)))
            let existing = try repository.annotatedTags(matching: tag).first
            let new = try registry.store.renumber(model: model, from: number, atLeast: remoteMax + 1,
                                                  by: registry.actor(reason: "\(tag) was taken on the remote"))
            moved["\(model)/\(number)"] = new
            try repository.deleteTag(tag)
            if let hex = version.commit, let commit = CommitID(hex: hex) {
                // The old message with the new number: the verdict, branch and actor travel with the version.
                var body = (existing.flatMap { try? JSONSerialization.jsonObject(with: Data($0.message.utf8)) } as? [String: Any])
                    ?? ["action": "register", "artifact": version.artifact, "model": model]
                body["version"] = new
                let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
                try repository.createTag("\(model)@v\(new).0.0", on: commit, message: String(decoding: data, as: UTF8.self))
            }
            printError("mlgate: \(model) version \(number) was registered on the remote by someone else first; this one is now version \(new).")
        }
        // Stage tags: once one of a model's numbers is taken, every stage tag of that model the remote lacks moves
        // past the remote's numbers, in its original order (assign and unassign pairs stay in sequence).
        let stageModels = Set(conflicts.filter { $0.contains("#") }.compactMap { $0.split(separator: "#").first.map(String.init) })
        let unpushed = try stageModels.flatMap { model in
            try repository.annotatedTags(matching: "\(model)#*").map(\.name).filter { name in
                repository.target(of: "refs/mlgate/remote-tags/\(name)") == nil || conflicts.contains(name)
            }
        }
        let ordered = unpushed.sorted { left, right in
            let l = left.split(separator: "#", omittingEmptySubsequences: false), r = right.split(separator: "#", omittingEmptySubsequences: false)
            return (String(l[0]), Int(l.last ?? "") ?? 0) < (String(r[0]), Int(r.last ?? "") ?? 0)
        }
        // Read every tag first, then delete them all, then recreate: a new number may be an old one's.
        var pending: [(model: String, stage: Substring, target: CommitID, body: [String: Any])] = []
        for tag in ordered {
            let parts = tag.split(separator: "#", omittingEmptySubsequences: false)
            guard parts.count == 3, let existing = try repository.annotatedTags(matching: tag).first,
                  let body = (try? JSONSerialization.jsonObject(with: Data(existing.message.utf8))) as? [String: Any] else { continue }
            pending.append((String(parts[0]), parts[1], existing.target, body))
            try repository.deleteTag(tag)
        }
        for (model, stage, target, body) in pending {
            let remoteMax = remoteCounters(repository, model: model).max() ?? 0
            try registry.store.advanceEventCounter(model: model, past: remoteMax)
            let counter = try registry.store.allocateEventCounter(model: model)
            var updated = body
            if let version = body["version"] as? Int { updated["version"] = moved["\(model)/\(version)"] ?? version }
            updated["event"] = counter
            let data = try JSONSerialization.data(withJSONObject: updated, options: [.sortedKeys])
            try repository.createTag("\(model)#\(stage)#\(counter)", on: target, message: String(decoding: data, as: UTF8.self))
        }
    }

    /// The version numbers of `model` the remote holds (from the fetched tags).
    static func remoteVersions(_ repository: GitRepository, model: String) -> [Int] {
        ((try? repository.references(matching: "refs/mlgate/remote-tags/\(model)@v*")) ?? []).compactMap { name in
            Int(name.split(separator: "@").last?.dropFirst().split(separator: ".").first ?? "")
        }
    }

    /// The stage-event numbers of `model` the remote holds.
    static func remoteCounters(_ repository: GitRepository, model: String) -> [Int] {
        ((try? repository.references(matching: "refs/mlgate/remote-tags/\(model)#*")) ?? []).compactMap { name in
            Int(name.split(separator: "#").last ?? "")
        }
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
