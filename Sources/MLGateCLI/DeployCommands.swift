import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateHooks
import MLGateStore

/// `mlgate deploy`: put a registered model version on a deployment target.
struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a model version to a target declared under 'deploy:' in mlgate.yaml.",
        discussion: """
            A 'directory' target publishes the version under PATH/versions/<model>-v<N>/ — its package, as \
            'mlgate package' writes it, when the model declares 'serve'; else the artifact (checked against its \
            hash) with a manifest.json — and then switches PATH/current to it in one rename, keeping the folders \
            of earlier versions for rollbacks. A 'command' target runs the team's own command with \
            MLGATE_MODEL_URI, MLGATE_MODEL_NAME, MLGATE_MODEL_VERSION, MLGATE_MODEL_PATH, MLGATE_MODEL_SHA256 and \
            MLGATE_DEPLOY_TARGET in its environment. Every deployment is recorded and audited; a version a \
            target serves cannot be archived or deleted. Exit 0 deployed; 2 bad request; 3 the target failed \
            (what it served before still serves).
            """,
        subcommands: [Run.self, Status.self, Rollback.self],
        defaultSubcommand: Run.self
    )

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Deploy a version (the default of 'mlgate deploy').")

        @Argument(help: "The version: NAME@ALIAS, NAME/N or a models:/ URI (default: the target's 'model').")
        var model: String?

        @Option(help: "The target, as named under 'deploy:'.")
        var target: String

        @Option(help: "Why (recorded in the audit log).")
        var reason: String?

        @Flag(help: "Deploy a version other than the one the target's 'model' (a stage or alias) resolves to; recorded as forced.")
        var force = false

        func run() throws {
            let context = try DeployContext(target: target)
            guard let reference = model ?? context.target.model else {
                throw UsageError("say which version to deploy (NAME@ALIAS or NAME/N), or set 'model' for target '\(target)' in mlgate.yaml.")
            }
            let version = try context.registry.store.resolve(try ModelURI(parsing: reference))
            let forced = try context.checkFollows(version, force: force)
            try context.deploy(version, rollback: false, forced: forced, reason: reason)
            print("deployed \(version.uri) to \(target)\(forced ? " (forced: the target follows \(context.target.model ?? ""))" : "").")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "What each target serves, what it served before, and whether that is what its 'model' names.",
            discussion: """
                A target that follows a stage or an alias ('model: churn@production') serves what that resolves to after a \
                deploy; after a rollback, or a promotion not deployed yet, it serves something else, and FOLLOWS says so \
                ('churn@production = churn/2, differs'). Deployments made in other clones and CI jobs show here after \
                'mlgate models sync' (they travel in refs/notes/mlgate).
                """)

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let registry = try RegistryContext.current()
            let targets = try registry.workspace.configuration().deployTargets
            let deployments = try registry.store.deployments()
            let states = targets.map { target in TargetState(target, deployments: deployments, store: registry.store) }
            if json { return try Output.json(DeployStatusJSON(deployments: deployments, targets: states)) }
            guard !targets.isEmpty else { return print("No deploy targets: declare them under 'deploy:' in mlgate.yaml (docs/deploy.md).") }
            func short(_ uri: String?) -> String { uri.map { String($0.dropFirst("models:/".count)) } ?? "-" }
            var rows = [["TARGET", "SERVES", "SINCE", "BEFORE", "FOLLOWS"]]
            for state in states {
                let follows = state.follows.map { follows in
                    "\(follows) = \(state.resolvesTo.map { short($0) } ?? "nothing")" + (state.inStep == false ? " (differs)" : "")
                } ?? "-"
                rows.append([state.target, short(state.serves), state.since.map(RunsCommand.date) ?? "-", short(state.before), follows])
            }
            Output.table(rows)
        }
    }

    /// One target in `deploy status`: what it serves and what its `model:` resolves to.
    struct TargetState: Encodable {
        enum CodingKeys: String, CodingKey { case target, serves, since = "since_ms", before, follows, resolvesTo = "resolves_to", inStep = "in_step" }
        let target: String
        let serves: String?
        let since: Int64?
        let before: String?
        /// The target's `model:` (`churn@production`), if it names one.
        let follows: String?
        /// The version that resolves to now (`models:/churn/2`), or nil.
        let resolvesTo: String?
        /// Whether the target serves that version (nil when it follows nothing or serves nothing).
        let inStep: Bool?

        init(_ target: DeploymentTarget, deployments: [Deployment], store: Store) {
            let history = deployments.filter { $0.target == target.name }
            let active = history.first { $0.status == "active" }
            self.target = target.name
            serves = active.map { "models:/\($0.model)/\($0.version)" }
            since = active?.deployedAt
            before = history.first { $0.status != "active" && $0.status != "failed" }.map { "models:/\($0.model)/\($0.version)" }
            follows = target.model
            resolvesTo = (target.model.flatMap { try? ModelURI(parsing: $0) }).flatMap { try? store.resolve($0) }?.uri
            inStep = (target.model == nil || serves == nil) ? nil : serves == resolvesTo
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(target, forKey: .target)
            try container.encode(serves, forKey: .serves)
            try container.encode(since, forKey: .since)
            try container.encode(before, forKey: .before)
            try container.encode(follows, forKey: .follows)
            try container.encode(resolvesTo, forKey: .resolvesTo)
            try container.encode(inStep, forKey: .inStep)
        }
    }

    /// `deploy status --json`: every deployment (newest first) and each declared target's state.
    struct DeployStatusJSON: Encodable {
        let deployments: [Deployment]
        let targets: [TargetState]
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Put back the version a target served before the current one.")

        @Argument(help: "The target.")
        var target: String

        @Option(help: "Why (recorded in the audit log).")
        var reason: String?

        func run() throws {
            let context = try DeployContext(target: target)
            // In the order they happened (deployments made elsewhere arrive later, with their own times).
            let history = try context.registry.store.deployments(target: target).filter { $0.status != "failed" }
                .sorted { ($0.deployedAt, $0.id) > ($1.deployedAt, $1.id) }
            guard let current = history.first(where: { $0.status == "active" }) else {
                throw RegistryError(.invalidInput, "target '\(target)' serves nothing yet; deploy a version first.")
            }
            guard let previous = history.first(where: { ($0.deployedAt, $0.id) < (current.deployedAt, current.id)
                                                        && !($0.model == current.model && $0.version == current.version) }) else {
                throw RegistryError(.refused, "target '\(target)' has served only \(current.model)/\(current.version); there is nothing to roll back to.")
            }
            let version = try context.registry.store.resolve(ModelURI(name: previous.model, selector: .version(previous.version)))
            try context.deploy(version, rollback: true, reason: reason)
            print("rolled \(target) back from \(current.model)/\(current.version) to \(version.uri).")
            // The registry is left as it is: say plainly when the target no longer serves what it follows.
            if let follows = context.target.model, let resolved = try? context.registry.store.resolve(ModelURI(parsing: follows)),
               resolved.model != version.model || resolved.version != version.version {
                print("note: \(follows) is still \(resolved.uri); \(target) now serves \(version.uri). 'mlgate deploy status' shows the difference until you promote a version into the stage or deploy it again.")
            }
        }
    }
}

/// The target being deployed to, and how a deployment is carried out.
struct DeployContext {
    let registry: RegistryContext
    let target: DeploymentTarget

    init(target name: String) throws {
        registry = try RegistryContext.current()
        let targets = try registry.workspace.configuration().deployTargets
        guard let target = targets.first(where: { $0.name == name }) else {
            throw UsageError("there is no deploy target '\(name)' in mlgate.yaml; the targets are \(targets.isEmpty ? "(none)" : targets.map(\.name).joined(separator: ", ")).")
        }
        self.target = target
    }

    /// Whether deploying `version` overrides the target's `model:`: a target that follows a stage or an alias
    /// (`churn@production`) deploys only the version it resolves to, and another one only with `force` (returns
    /// true, recorded as forced); a target that names a model deploys only that model's versions.
    func checkFollows(_ version: ModelVersion, force: Bool) throws -> Bool {
        guard let follows = target.model else { return false }
        let uri = try ModelURI(parsing: follows)
        guard uri.name == version.model else {
            throw UsageError("target '\(target.name)' deploys \(uri.name) ('model: \(follows)' in mlgate.yaml), not \(version.model); give a version of \(uri.name), or another target.")
        }
        guard case .alias(let selector) = uri.selector else { return false }
        let resolved = try? registry.store.resolve(uri)
        guard resolved?.version != version.version else { return false }
        guard force else {
            let now = resolved.map { "\(follows) is \($0.uri)" } ?? "\(follows) holds no version"
            throw RegistryError(.refused, "target '\(target.name)' follows \(follows), and \(now), not \(version.uri). Promote \(version.uri) into \(selector) ('mlgate promote'), or pass --force to deploy it anyway (recorded as forced).")
        }
        return true
    }

    /// Deploys `version`; records it (or its failure) and audits it.
    func deploy(_ version: ModelVersion, rollback: Bool, forced: Bool = false, reason: String?) throws {
        guard version.status == "active" else { throw RegistryError(.refused, "\(version.uri) is \(version.status); only an active version can be deployed.") }
        let actor = registry.actor(reason: reason)
        // A directory target gets the version's folder. A rollback puts back the folder as it was published; any
        // other deployment of a model that declares 'serve' plans its package first, so bad input (a missing serve
        // file, a folder in the way) is refused before anything is recorded.
        var folder: (root: String, package: ModelPackager.Plan?, keep: Bool)?
        if case .directory(let path) = target.kind {
            let root = path.hasPrefix("/") ? path : registry.workspace.root + "/" + path
            try DeployFolder(root: root, target: target.name).checkCanPublish(version, workspace: registry.workspace)
            let keep = rollback && FileManager.default.fileExists(atPath: Self.versionFolder(version, root: root) + "/manifest.json")
            let packager = keep ? nil : try ModelPackager(registry: registry, version: version)
            folder = (root, try packager.flatMap { $0.serve == nil ? nil : try $0.plan() }, keep)
        }
        do {
            switch target.kind {
            case .directory:
                if let folder { try publish(version, package: folder.package, keep: folder.keep, under: folder.root) }
            case .command(let command):
                try runCommand(command, version: version)
            }
        } catch {
            try registry.store.recordDeployment(target: target.name, model: version.model, version: version.version, failed: true, rollback: rollback, by: actor)
            throw error
        }
        try registry.store.recordDeployment(target: target.name, model: version.model, version: version.version, failed: false, rollback: rollback,
                                            forced: forced, by: actor)
        registry.publish()
    }

    /// Where a directory target under `root` keeps `version`.
    static func versionFolder(_ version: ModelVersion, root: String) -> String {
        root + "/versions/\(version.model)-v\(version.version)"
    }

    /// `root/versions/<model>-v<N>/` holds the version — the package (docs/deploy.md#packaging) when the model
    /// declares `serve`, else the artifact and a short manifest — and `root/current` is switched to it by renaming
    /// a fresh symbolic link over the old one, so readers see the old version or the new one, never neither.
    /// With `keep`, a folder already published is used as it is.
    private func publish(_ version: ModelVersion, package: ModelPackager.Plan?, keep: Bool, under root: String) throws {
        let destination = Self.versionFolder(version, root: root)
        let folder = (destination as NSString).lastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: root + "/versions", withIntermediateDirectories: true)
        } catch {
            throw EnvironmentError("cannot write the deploy target '\(target.name)' at \(root): \(error.localizedDescription). What it served before still serves.")
        }
        if keep {
            // A rollback: what was served before is put back as it was.
        } else if let package {
            // Rebuilt unless the folder already holds this very package (same manifest: same files, same hashes).
            let existing = FileManager.default.contents(atPath: destination + "/manifest.json").map { String(decoding: $0, as: UTF8.self) }
            if existing != package.manifestText {
                try StagedDirectory.publish(destination, replacing: true) { try package.write(into: $0) }
            }
        } else if !FileManager.default.fileExists(atPath: destination + "/manifest.json") || PackageFolder.isPackage(destination)
                    || DeployFolder.publishedArtifact(destination) != version.artifact {
            // Published again unless the folder already holds this very artifact (a folder of another version of the
            // same number, say after a renumbering, is mlgate's own and is replaced).
            try StagedDirectory.publish(destination, replacing: true) { staging in
                let name = version.artifactName
                try registry.objects.checkout(version.artifact, to: staging + "/" + name)
                let manifest = """
                    {"artifact":\(JSONText.quoted(version.artifact)),"commit":\(version.commit.map(JSONText.quoted) ?? "null"),\
                    "files":\(JSONText.quoted(name)),"model":\(JSONText.quoted(version.model)),"uri":\(JSONText.quoted(version.uri)),"version":\(version.version)}
                    """
                try AtomicFile.write(manifest + "\n", to: staging + "/manifest.json")
            }
        }
        let link = root + "/current.tmp-\(getpid())"
        unlink(link)
        guard symlink("versions/" + folder, link) == 0, rename(link, root + "/current") == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(link)
            throw EnvironmentError("cannot switch \(root)/current to \(folder): \(reason). What it served before still serves.")
        }
    }

    private func runCommand(_ command: StageCommand, version: ModelVersion) throws {
        try registry.withCheckout(version.artifact, named: version.artifactName) { _, path in
            var environment = ProcessInfo.processInfo.environment
            environment["MLGATE_MODEL_URI"] = version.uri
            environment["MLGATE_MODEL_NAME"] = version.model
            environment["MLGATE_MODEL_VERSION"] = String(version.version)
            environment["MLGATE_MODEL_PATH"] = path
            environment["MLGATE_MODEL_SHA256"] = version.artifact
            environment["MLGATE_DEPLOY_TARGET"] = target.name
            let status = try LocalExecutor().execute(argv: command.argv, directory: registry.workspace.root, environment: environment,
                                                     interruption: Interruption()) { printError("[deploy \(target.name)] \($0)") }
            guard status == 0 else {
                throw EnvironmentError("the deploy command of target '\(target.name)' exited with status \(status); the deployment is recorded as failed.")
            }
        }
    }
}

/// A directory target's folder, and what mlgate may change in it: only what it made itself — `current` as a link
/// into `versions/`, and version folders holding mlgate's manifest and nothing else.
struct DeployFolder {
    let root: String
    let target: String

    /// Refuses, before anything is written or recorded, a target folder that is a protected location, a file, or
    /// holds a `current` or a version folder that mlgate did not create.
    func checkCanPublish(_ version: ModelVersion, workspace: Workspace) throws {
        try ProtectedLocations.refuse(root, workspace: workspace, what: "the folder of deploy target '\(target)',")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw UsageError("the folder of deploy target '\(target)', \(root), is a file; give a folder for 'path' in mlgate.yaml.")
        }
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/versions") {
            throw UsageError("\(root)/versions is a link to \(link); mlgate publishes versions into a real folder there. Remove the link, or give the target another folder.")
        }
        let current = root + "/current"
        if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: current) {
            guard link.hasPrefix("versions/"), !link.contains("..") else {
                throw UsageError("\(current) is a link to \(link), which mlgate did not make; move it away (mlgate only replaces its own link into versions/).")
            }
        } else if FileManager.default.fileExists(atPath: current) || (try? FileManager.default.attributesOfItem(atPath: current)) != nil {
            throw UsageError("\(current) exists and is not mlgate's link into versions/; move it away, or give the target another folder. Nothing was changed.")
        }
        let folder = DeployContext.versionFolder(version, root: root)
        guard FileManager.default.fileExists(atPath: folder) else { return }
        guard let owned = Self.ownedFiles(folder) else {
            throw UsageError("\(folder) exists and was not written by mlgate (no manifest.json of a deployment); move it away, or give the target another folder. Nothing was changed.")
        }
        let extra = ProtectedLocations.unexpectedFiles(in: folder, expected: owned)
        guard extra.isEmpty else {
            throw UsageError("\(folder) holds files mlgate did not write (\(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", …" : "")); move them out before deploying there again. Nothing was changed.")
        }
    }

    /// The artifact hash a version folder's short manifest names (nil for a package, or no manifest).
    static func publishedArtifact(_ folder: String) -> String? {
        guard let data = FileManager.default.contents(atPath: folder + "/manifest.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["format"] == nil else { return nil }
        return object["artifact"] as? String
    }

    /// The files of a version folder mlgate published (a package, or the artifact with its short manifest), or nil
    /// when the folder holds no manifest of mlgate's.
    static func ownedFiles(_ folder: String) -> Set<String>? {
        if let package = PackageFolder.writtenFiles(folder) { return package }
        guard let data = FileManager.default.contents(atPath: folder + "/manifest.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object["uri"] is String, object["artifact"] is String, let name = object["files"] as? String else { return nil }
        return Set(TreeManifest.files(under: folder).filter { $0 == "manifest.json" || $0 == name || $0.hasPrefix(name + "/") })
    }
}

/// `mlgate rollback TARGET`: the same as `mlgate deploy rollback TARGET`.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Put back the version a deploy target served before the current one.")

    @Argument(help: "The target.")
    var target: String

    @Option(help: "Why (recorded in the audit log).")
    var reason: String?

    func run() throws {
        var rollback = DeployCommand.Rollback()
        rollback.target = target
        rollback.reason = reason
        try rollback.run()
    }
}
