import Foundation
package import MLGateCore
package import MLGateRegistry
import MLGateStore
package import MLGateSystem
import MLGateWorkspace

/// An endpoint ready to serve: the traffic in force and, for each deployment, the package folder of the version its
/// model resolves to now and the command that serves it. The router (`mlgate-server`) makes one when it starts and
/// again whenever the store or mlgate.yaml may have changed; two equal plans serve the same way.
package struct ServePlan: Equatable, Sendable {
    /// One deployment as the router runs it.
    package struct Deployment: Equatable, Sendable {
        /// The deployment's name.
        package let name: String
        /// The version it serves (`churn/3`).
        package let version: String
        /// The model's name.
        package let model: String
        /// The package folder (absolute), written by `mlgate package`'s code.
        package let folder: String
        /// The serve command; each `{port}` in it becomes the instance's private port.
        package let argv: [String]
        /// Where the command runs (absolute, inside `folder`).
        package let workdir: String
        /// The path that answers 200 while an instance is healthy.
        package let health: String
        /// How many instances serve it.
        package let instances: Int
        /// Extra environment of its processes.
        package let environment: [String: String]

        /// The command for an instance on `port`.
        package func arguments(port: Int) -> [String] { argv.map { $0.replacingOccurrences(of: "{port}", with: String(port)) } }

        /// Whether `other` runs the same processes (same version, package, command, instances and environment), so
        /// a change of traffic alone keeps the running instances.
        package func runsLike(_ other: Deployment) -> Bool {
            version == other.version && folder == other.folder && argv == other.argv && instances == other.instances && environment == other.environment
        }
    }

    /// The endpoint with the traffic and mirror in force.
    package let endpoint: EndpointSpec
    /// Its deployments, in mlgate.yaml's order.
    package let deployments: [Deployment]
    /// The id of the recorded traffic setting in force, or nil for mlgate.yaml's.
    package let trafficRecord: Int?
}

/// Makes serve plans for one endpoint of a repository, writing each version's package once under
/// `.mlgate/serve/packages/` (a folder per version and content, so a running instance's folder is never replaced).
package struct ServePlanner {
    /// The registry the versions come from.
    package let registry: RegistryContext
    /// The endpoint's name.
    package let endpoint: String

    /// A planner for endpoint `endpoint` of `registry`'s mlgate.yaml.
    package init(registry: RegistryContext, endpoint: String) {
        self.registry = registry
        self.endpoint = endpoint
    }

    /// The plan as things are now: the traffic in force, every deployment resolved, its package written if missing.
    package func plan() throws -> ServePlan {
        let control = try EndpointControl(endpoint: endpoint, registry: registry)
        let state = try control.current()
        let spec = try control.inForce()
        let resolved = try ResolvedDeployment.resolve(spec, registry: registry, configuration: try registry.workspace.configuration())
        let deployments = try resolved.map { resolved in
            let folder = try packageFolder(resolved.version)
            let command = ModelPackager.serveCommand(resolved.serve, version: resolved.version, port: "{port}")
            return ServePlan.Deployment(
                name: resolved.deployment.name, version: resolved.version.uri, model: resolved.version.model, folder: folder, argv: command.argv,
                workdir: folder + "/" + ModelPackager.appLayout(resolved.serve).workdir, health: resolved.serve.health,
                instances: resolved.deployment.instances, environment: resolved.deployment.environment)
        }
        let record: Int? = if case .recorded(let record) = state.source { record.id } else { nil }
        return ServePlan(endpoint: spec, deployments: deployments, trafficRecord: record)
    }

    /// The package folder of `version` with the serve files as they are now, written when it does not exist yet.
    private func packageFolder(_ version: ModelVersion) throws -> String {
        let plan = try ModelPackager(registry: registry, version: version).plan()
        var identity = version.artifact + "\n" + (plan.manifest.serve.value?.argv.joined(separator: "\u{0}") ?? "")
        for file in plan.manifest.serve.value?.files ?? [] { identity += "\n" + file.path + " " + file.sha256 }
        let folder = ServeFolders(registry.workspace.layout).packages + "/\(version.model)-v\(version.version)-\(ContentHash.of(Array(identity.utf8)).prefix(12))"
        if PackageFolder.isPackage(folder) { return folder }
        do { try StagedDirectory.publish(folder, replacing: false) { try plan.write(into: $0) } } catch {
            // Another router wrote the same package meanwhile.
            guard PackageFolder.isPackage(folder) else { throw error }
        }
        return folder
    }
}

/// Where the router keeps its state under `.mlgate/serve/`: the shared package folders and, per endpoint, the lock a
/// running router holds (with its pid), its status file and its instances' logs.
package struct ServeFolders: Sendable {
    /// `.mlgate/serve`.
    package let root: String

    /// The folders of the store at `layout`.
    package init(_ layout: StoreLayout) { root = layout.directory + "/serve" }

    /// The versions' package folders.
    package var packages: String { root + "/packages" }
    /// The folder of endpoint `name`.
    package func endpoint(_ name: String) -> String { root + "/endpoints/" + name }
    /// The lock a running router of `name` holds, its pid inside.
    package func lock(_ name: String) -> String { endpoint(name) + "/server.lock" }
    /// The running router's status (docs/json.md#serve-status).
    package func status(_ name: String) -> String { endpoint(name) + "/status.json" }
    /// The instances' logs of `name`.
    package func logs(_ name: String) -> String { endpoint(name) + "/logs" }

    /// The pid of the router serving `name` now, or nil when none runs (its lock is free).
    package func runningServer(_ name: String) -> Int32? {
        let path = lock(name)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // A router holds the lock while it runs; taking it means none does (released again at once).
        if (try? FileLock(path: path, operation: LOCK_EX | LOCK_NB)) != nil { return nil }
        return recordedServer(name)
    }

    /// The pid the router of `name` wrote into its lock (its last router's, when none runs now).
    package func recordedServer(_ name: String) -> Int32? {
        Files.read(lock(name)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// What a running router did with a recorded traffic setting.
    package enum Pickup: Equatable, Sendable {
        /// No router serves the endpoint; the setting takes effect when one starts.
        case noServer
        /// The router with this pid routes by the setting now.
        case applied(pid: Int32)
        /// The router with this pid has not applied it within the wait (with the error it reported, if any).
        case pending(pid: Int32, error: String?)
        /// The router with this pid refused the plan with this setting (an instance failed its health check) and
        /// keeps the one before.
        case refused(pid: Int32, error: String)
    }

    /// Tells the router serving `name`, if any, to re-read its plan now (SIGHUP) and waits up to `seconds` for it to
    /// apply the traffic setting `record` (or to refuse it).
    package func pickUp(_ name: String, record: Int, seconds: Double = 10) -> Pickup {
        guard let pid = runningServer(name) else { return .noServer }
        kill(pid, SIGHUP)
        let deadline = Date(timeIntervalSinceNow: seconds)
        var error: String?
        repeat {
            if let data = FileManager.default.contents(atPath: status(name)),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                if (object["traffic_record"] as? Int) == record { return .applied(pid: pid) }
                error = object["last_error"] as? String
                if (object["refused_record"] as? Int) == record, let error { return .refused(pid: pid, error: error) }
            }
            usleep(20_000)
        } while Date() < deadline
        return .pending(pid: pid, error: error)
    }
}
