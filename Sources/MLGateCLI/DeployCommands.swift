import ArgumentParser
import Foundation
import MLGateCore
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

        func run() throws {
            let context = try DeployContext(target: target)
            guard let reference = model ?? context.target.model else {
                throw UsageError("say which version to deploy (NAME@ALIAS or NAME/N), or set 'model' for target '\(target)' in mlgate.yaml.")
            }
            let version = try context.registry.store.resolve(try ModelURI(parsing: reference))
            try context.deploy(version, rollback: false, reason: reason)
            print("deployed \(version.uri) to \(target).")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "What each target serves, and what it served before.")

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let registry = try RegistryContext.current()
            let targets = try registry.workspace.configuration().deployTargets
            let deployments = try registry.store.deployments()
            if json { return try Output.json(["deployments": deployments]) }
            guard !targets.isEmpty else { return print("No deploy targets: declare them under 'deploy:' in mlgate.yaml (docs/deploy.md).") }
            var rows = [["TARGET", "SERVES", "SINCE", "BEFORE"]]
            for target in targets {
                let history = deployments.filter { $0.target == target.name }
                let active = history.first { $0.status == "active" }
                let before = history.first { $0.status != "active" && $0.status != "failed" }
                rows.append([target.name, active.map { "\($0.model)/\($0.version)" } ?? "-", active.map { RunsCommand.date($0.deployedAt) } ?? "-",
                             before.map { "\($0.model)/\($0.version)" } ?? "-"])
            }
            Output.table(rows)
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Put back the version a target served before the current one.")

        @Argument(help: "The target.")
        var target: String

        @Option(help: "Why (recorded in the audit log).")
        var reason: String?

        func run() throws {
            let context = try DeployContext(target: target)
            let history = try context.registry.store.deployments(target: target).filter { $0.status != "failed" }
            guard let current = history.first(where: { $0.status == "active" }) else {
                throw RegistryError(.invalidInput, "target '\(target)' serves nothing yet; deploy a version first.")
            }
            guard let previous = history.first(where: { $0.id < current.id && !($0.model == current.model && $0.version == current.version) }) else {
                throw RegistryError(.refused, "target '\(target)' has served only \(current.model)/\(current.version); there is nothing to roll back to.")
            }
            let version = try context.registry.store.resolve(ModelURI(name: previous.model, selector: .version(previous.version)))
            try context.deploy(version, rollback: true, reason: reason)
            print("rolled \(target) back from \(current.model)/\(current.version) to \(version.uri).")
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

    /// Deploys `version`; records it (or its failure) and audits it.
    func deploy(_ version: ModelVersion, rollback: Bool, reason: String?) throws {
        guard version.status == "active" else { throw RegistryError(.refused, "\(version.uri) is \(version.status); only an active version can be deployed.") }
        let actor = registry.actor(reason: reason)
        // A directory target gets the version's folder. A rollback puts back the folder as it was published; any
        // other deployment of a model that declares 'serve' plans its package first, so bad input (a missing serve
        // file) is refused before anything is recorded.
        var folder: (root: String, package: ModelPackager.Plan?, keep: Bool)?
        if case .directory(let path) = target.kind {
            let root = path.hasPrefix("/") ? path : registry.workspace.root + "/" + path
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
        try registry.store.recordDeployment(target: target.name, model: version.model, version: version.version, failed: false, rollback: rollback, by: actor)
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
        } else if !FileManager.default.fileExists(atPath: destination + "/manifest.json") || PackageFolder.isPackage(destination) {
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
