import Foundation
import MLGateConfig
package import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
package import MLGateStore

/// The store, objects, config and identity registry commands work with.
package struct RegistryContext {
    package let workspace: Workspace
    package let store: Store
    package var objects: ObjectStore { workspace.objects }

    /// The registry of the worktree containing the current directory, reporting to `reporter`.
    package static func current(reporter: any Reporter) throws -> RegistryContext {
        let workspace = try Workspace.current(reporter: reporter)
        return RegistryContext(workspace: workspace, store: try workspace.openStore())
    }

    /// The registry of `workspace`.
    package init(workspace: Workspace, store: Store) {
        self.workspace = workspace
        self.store = store
    }

    /// Where this registry's progress and warnings go.
    package var reporter: any Reporter { workspace.reporter }

    /// Checks `artifact` out as `name` into a fresh folder under `.mlgate/work/`, runs `body` with the folder and
    /// the artifact's path there, and removes the folder.
    package func withCheckout<T>(_ artifact: String, named name: String, _ body: (_ folder: String, _ path: String) throws -> T) throws -> T {
        let folder = workspace.layout.directory + "/work/checkout-\(artifact.prefix(16))-\(getpid())"
        ObjectStore.removeTree(folder)
        defer { ObjectStore.removeTree(folder) }
        try FileAccess.createDirectory(folder)
        let path = folder + "/" + name
        try objects.checkout(artifact, to: path)
        return try body(folder, path)
    }

    /// Writes what just changed to git (tags and notes from the outbox) and, with `remote.git` set, pushes it.
    package func publish() {
        RegistryMirror.drain(self)
        RegistryMirror.pushIfConfigured(self)
    }

    /// Who is acting: the CI user when in CI, else git's user.name and user.email, else $USER.
    package func actor(reason: String?) -> RegistryActor {
        RegistryActor(name: Self.identity(root: workspace.root), reason: reason)
    }

    package static func identity(root: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        for (variable, provider) in [("GITHUB_ACTOR", "github"), ("GITLAB_USER_LOGIN", "gitlab"), ("BUILD_REQUESTEDFOREMAIL", "azure"),
                                     ("BUILD_USER_ID", "jenkins"), ("CIRCLE_USERNAME", "circleci"), ("BUILDKITE_BUILD_CREATOR", "buildkite"),
                                     ("BITBUCKET_STEP_TRIGGERER_UUID", "bitbucket")] {
            if ContinuousIntegration.isActive, let value = environment[variable], !value.isEmpty { return "ci:\(provider):\(value)" }
        }
        if let identity = (try? GitRepository.open(at: root))?.committerIdentity() {
            return identity.email.map { "\(identity.name) <\($0)>" } ?? identity.name
        }
        return environment["USER"] ?? "unknown"
    }

    /// Moves a version into lifecycle stage `to` when the model's lifecycle allows it (or `force`, recorded);
    /// returns the stage it left. A refusal is a `PromotionRefused` listing what is missing.
    @discardableResult
    package func promote(_ name: String, version: Int, to stage: String, force: Bool, reason: String) throws -> String? {
        let lifecycle = try lifecycle(of: name)
        return try store.promote(model: name, version: version, to: stage, forced: force, by: actor(reason: reason)) { current, approvals in
            let missing = try lifecycle.missing(to: stage, from: current.stage, gatePassed: current.gatePassed,
                                                approvals: approvals.count, branch: current.branch)
            if !missing.isEmpty, !force { throw PromotionRefused(uri: current.uri, stage: stage, missing: missing) }
        }
    }

    /// How far a stage-by-stage promotion went.
    package struct PromotionProgress: Sendable {
        /// The stages entered, in order.
        package var stages: [String] = []
        /// The first stage the lifecycle refused, what is missing for it (a refusal without a list when the registry
        /// refused), and the refusal in words; nil when the target was reached.
        package var stoppedAt: (stage: String, missing: [String], text: String)?
    }

    /// Promotes `version` one stage at a time, from the stage after its own up to `target`, never forced, and stops at
    /// the first stage the lifecycle refuses: what a passing candidate gets in CI and after a retraining job.
    package func promote(_ version: ModelVersion, towards target: String, reason: String) throws -> PromotionProgress {
        var progress = PromotionProgress()
        let lifecycle = try lifecycle(of: version.model)
        guard let last = lifecycle.stages.firstIndex(of: target) else { return progress }
        let start = version.stage.flatMap { lifecycle.stages.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
        guard start <= last else { return progress }
        for stage in lifecycle.stages[start...last] {
            do {
                try promote(version.model, version: version.version, to: stage, force: false, reason: reason)
            } catch let refusal as PromotionRefused {
                progress.stoppedAt = (stage, refusal.missing, refusal.reasons)
                return progress
            } catch let error as RegistryError where error.category == .refused {
                progress.stoppedAt = (stage, [], error.description)
                return progress
            }
            progress.stages.append(stage)
        }
        return progress
    }

    /// The lifecycle of `model` in mlgate.yaml (staging → production with no requirements when undeclared).
    package func lifecycle(of model: String) throws -> LifecycleSpec {
        try workspace.configuration().models.first { $0.name == model }?.lifecycle ?? LifecycleSpec()
    }

    /// A new version from run `number`'s output.
    package func versionFromRun(_ number: Int, model: String, artifact: String?) throws -> NewModelVersion {
        guard let run = try store.run(number) else { throw UsageError("there is no run \(number); 'mlgate runs' lists them.") }
        guard run.status == .succeeded else {
            throw RegistryError(.refused, "run \(number) \(run.status.rawValue); only a succeeded run's output can be registered.")
        }
        let configured = try workspace.configuration().models.first { $0.name == model }?.artifact?.path
        guard let path = artifact.map({ $0.hasSuffix("/") ? String($0.dropLast()) : $0 }) ?? configured else {
            throw UsageError("which output of run \(number) is the model? Pass --artifact PATH, or set 'artifact' for model '\(model)' in mlgate.yaml.")
        }
        let outputs = run.stages.flatMap(\.outputs)
        guard let output = outputs.last(where: { $0.path == path }) else {
            throw UsageError("run \(number) has no output '\(path)'; its outputs are \(Swift.Set(outputs.map(\.path)).sorted().joined(separator: ", ")).")
        }
        guard output.cache, objects.contains(output.hash) else {
            throw RegistryError(.environment, "the output '\(path)' of run \(number) is not in the object store (not cached, or removed); 'mlgate pull' may fetch it.")
        }
        var data: [String: String] = [:]
        for stage in run.stages { for dependency in stage.dependencies { data[dependency.path] = dependency.hash } }
        let isDirectory = ((try? objects.tree(output.hash)) ?? nil) != nil
        return NewModelVersion(artifact: output.hash, artifactIsDirectory: isDirectory,
                               sourcePath: path, commit: run.source.commit, run: number, dataHashes: data, branch: run.source.branch)
    }

    /// A new version from a file or folder, under the rules of a model's `artifact`: inside the repository (links
    /// resolved), not the repository itself, nothing of `.git` or `.mlgate` in it, and no link inside it that leads out.
    package func versionFromPath(_ path: String) throws -> NewModelVersion {
        let full = Files.absolute(path)
        var isDirectory: ObjCBool = false
        guard !path.isEmpty, FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else {
            throw UsageError("--path '\(path)' does not exist; give the model's file or folder.")
        }
        guard let real = ConfinedPath.realPath(full), let root = ConfinedPath.realPath(workspace.root) else {
            throw UsageError("--path '\(path)' cannot be resolved; give the model's file or folder.")
        }
        guard ConfinedPath.isInside(real, root), real != root else {
            throw UsageError(real == root || root.hasPrefix(real + "/")
                ? "--path '\(path)' is the repository itself (with .git and .mlgate); give the model's own file or folder inside it, as a model's 'artifact' would."
                : "--path '\(path)' is outside the repository (\(real)); register a file or folder inside it, as a model's 'artifact' must be, so the version is linked to the commit that holds it.")
        }
        let relative = real.dropFirst(root.count + 1)
        if let first = relative.split(separator: "/").first, first == ".git" || first == ".mlgate" {
            throw UsageError("--path '\(path)' is inside \(first), which belongs to \(first == ".git" ? "git (it may hold credentials)" : "mlgate"); give the model's own file or folder.")
        }
        if isDirectory.boolValue {
            let owned = [".git", ".mlgate"].first { FileManager.default.fileExists(atPath: real + "/" + $0) }
                ?? TreeManifest.files(under: real).lazy.compactMap { file in
                    file.split(separator: "/").dropLast().first { $0 == ".git" || $0 == ".mlgate" }.map { _ in file }
                }.first
            if let owned {
                throw UsageError("--path '\(path)' holds \(owned) (part of a repository or of mlgate's store, which may hold credentials); give the folder that holds only the model.")
            }
        }
        try objects.prepare()
        let hash = isDirectory.boolValue ? try objects.put(directory: real, confinedTo: root) : try objects.put(file: real).hash
        let head = try? GitRepository.open(at: workspace.root).head()
        return NewModelVersion(artifact: hash, artifactIsDirectory: isDirectory.boolValue, sourcePath: path, commit: head?.commit?.hex,
                               branch: head?.branchName)
    }

    /// Archives or deletes the one version `model` names (refused while an alias, a stage or a deployment refers
    /// to it); returns it as it was.
    package func retire(_ model: String, delete: Bool, reason: String?) throws -> ModelVersion {
        let uri = try ModelURI(parsing: model)
        guard case .version = uri.selector else { throw UsageError("name one version: \(uri.name)/N.") }
        let version = try store.resolve(uri)
        _ = try store.retire(model: version.model, version: version.version, delete: delete, by: actor(reason: reason))
        publish()
        return version
    }
}
