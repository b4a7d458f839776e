package import MLGateRegistry
import MLGatePipeline
import Foundation
package import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateStore

/// The target being deployed to, and how a deployment is carried out.
package struct DeployContext {
    package let registry: RegistryContext
    package let target: DeploymentTarget

    /// The target `name` of `registry`'s configuration; a name it does not declare is refused.
    package init(target name: String, registry: RegistryContext) throws {
        self.registry = registry
        let targets = try registry.workspace.configuration().deployTargets
        guard let target = targets.first(where: { $0.name == name }) else {
            throw UsageError("there is no deploy target '\(name)' in mlgate.yaml; the targets are \(targets.isEmpty ? "(none)" : targets.map(\.name).joined(separator: ", ")).")
        }
        self.target = target
    }

    /// Whether deploying `version` overrides the target's `model:`: a target that follows a stage or an alias
    /// (`churn@production`) deploys only the version it resolves to, and another one only with `force` (returns
    /// true, recorded as forced); a target that names a model deploys only that model's versions.
    package func checkFollows(_ version: ModelVersion, force: Bool) throws -> Bool {
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
    package func deploy(_ version: ModelVersion, rollback: Bool, forced: Bool = false, reason: String?) throws {
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
            case .endpoint(let name, let deployment, let canary):
                try deployToEndpoint(version, endpoint: name, deployment: deployment, canary: canary, reason: reason)
            }
        } catch {
            try registry.store.recordDeployment(target: target.name, model: version.model, version: version.version, failed: true, rollback: rollback, by: actor)
            throw error
        }
        try registry.store.recordDeployment(target: target.name, model: version.model, version: version.version, failed: false, rollback: rollback,
                                            forced: forced, by: actor)
        registry.publish()
    }

    /// Puts `version` into `deployment` of endpoint `name` at `canary` percent, and has a running router serve it: when
    /// the router's new instances fail their health check, the setting before is put back (audited) and the
    /// deployment fails, naming the instance's log.
    private func deployToEndpoint(_ version: ModelVersion, endpoint name: String, deployment: String, canary: Int, reason: String?) throws {
        let control = try EndpointControl(endpoint: name, registry: registry)
        let record = try control.deploy(version, into: deployment, canary: canary, reason: reason)
        registry.reporter.progress("endpoint \(name): \(deployment) serves \(version.uri) at \(record.traffic.weights[deployment] ?? 0)%; traffic \(record.traffic.description).")
        let wait = Double(control.endpoint.limits.startupTimeoutMilliseconds) / 1000 + 5
        switch ServeFolders(registry.workspace.layout).pickUp(name, record: record.id, seconds: wait) {
        case .noServer:
            registry.reporter.progress("no router serves endpoint \(name) now; 'mlgate serve \(name)' will serve it.")
        case .applied(let pid):
            registry.reporter.progress("the running router (pid \(pid)) serves it now.")
        case .pending(let pid, _):
            registry.reporter.warning("the running router (pid \(pid)) has not started \(version.uri) within \(Int(wait)) s; see its output.")
        case .refused(_, let error):
            _ = try control.rollback(reason: "automatic: \(version.uri) did not become healthy")
            throw EnvironmentError("the running router could not start \(version.uri) in deployment '\(deployment)' of endpoint '\(name)', so the traffic before was put back: \(error)")
        }
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
                                                     interruption: Interruption()) { registry.reporter.progress("[deploy \(target.name)] \($0)") }
            guard status == 0 else {
                throw EnvironmentError("the deploy command of target '\(target.name)' exited with status \(status); the deployment is recorded as failed.")
            }
        }
    }
}

/// A directory target's folder, and what mlgate may change in it: only what it made itself — `current` as a link
/// into `versions/`, and version folders holding mlgate's manifest and nothing else.
package struct DeployFolder {
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
