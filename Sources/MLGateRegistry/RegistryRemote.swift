import Foundation
import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// Pushes the registry's tags and notes to a git remote, as DESIGN §6 says: never forced; the remote's notes
/// are fetched and merged line by line (`cat_sort_uniq`) and the push retried when another writer got there
/// first. A version number is final once its tag is on the remote: a local version whose number the remote
/// already holds is renumbered past the remote's, the remote's versions are synced in, and the push goes again.
package enum RegistryRemote {
    /// Attempts before giving up on a remote that keeps changing.
    static let attempts = 5

    /// The transport for this process: in a CI job the `git` program, which has the job's credentials and
    /// copes with shallow clones; elsewhere libgit2.
    package static func transport(for registry: RegistryContext) -> (any RefTransport)? {
        ContinuousIntegration.isActive ? GitCommandLine(directory: registry.workspace.root) : nil
    }

    /// Pushes; returns how many tags went up and how many attempts it took.
    package static func push(_ registry: RegistryContext, remote: String, transport chosen: (any RefTransport)? = nil) throws -> (tags: Int, attempts: Int) {
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
        for warning in artifacts.warnings { registry.reporter.warning("" + warning) }
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
                RegistrySync.warnAboutRefused(try RegistrySync.run(registry), reporter: registry.reporter)
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
                        registry.reporter.warning("\(remote) refused \(reference) (\(refused[reference] ?? "")); that artifact does not travel in git (docs/ci.md#artifacts).")
                    }
                } catch {
                    registry.reporter.warning("the artifacts were not pushed to \(remote) under refs/mlgate/objects/ (\(error)); the registry still is. Set remote.objects, or remote.artifacts_in_git: false (docs/ci.md#artifacts).")
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
            registry.reporter.progress("mlgate: \(model) version \(number) was registered on the remote by someone else first; this one is now version \(new).")
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
