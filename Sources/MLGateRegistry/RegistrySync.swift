import Foundation
package import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// What `mlgate models sync` found and did.
package struct SyncReport {
    /// Registered versions found in git and accepted.
    package var found = 0
    /// Those that were new to this store.
    package var added = 0
    /// The stage of each version that holds one, `churn/3 in production`.
    package var stages: [String] = []
    /// The registry tags refused, with their reasons; nothing of them was imported.
    package var rejected: [RejectedTag] = []
    /// What was imported with something left out (a gate claim no verdict backs), or not imported by policy.
    package var notes: [RejectedTag] = []
}

/// Rebuilds the registry from git — registration and stage tags, and the notes' verdicts, approvals, aliases and
/// deployments — under the same rules as a local change (`RegistryReplay`). What fails is refused, reported and
/// left out.
package enum RegistrySync {
    /// Runs the sync; returns what it found, imported and refused.
    package static func run(_ registry: RegistryContext) throws -> SyncReport {
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
    static func warnAboutRefused(_ report: SyncReport, reporter: any Reporter) {
        for rejection in report.rejected { reporter.warning("refused registry tag \(rejection.name) from git, left out: \(rejection.reason)") }
        for note in report.notes { reporter.progress("note: \(note.name): \(note.reason)") }
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
