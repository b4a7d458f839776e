import ArgumentParser
import Foundation
import MLGateSystem
import MLGateCore
import MLGateDeploy
import MLGateRegistry
import MLGateWorkspace
import MLGateStore

/// `mlgate endpoint`: the online endpoints of mlgate.yaml.
struct EndpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint",
        abstract: "Show the online endpoints of mlgate.yaml, change their traffic (audited), or export one to KServe, Azure ML or compose.",
        discussion: """
            An endpoint (endpoints: in mlgate.yaml, docs/config.md#endpoints) splits live requests between \
            deployments of registered versions by weight, and may mirror a share to one more. Its traffic is \
            mlgate.yaml's until 'traffic', 'mirror', 'promote' or 'rollback' change it; each change is checked, \
            audited with --reason and recorded as an event. 'mlgate serve' runs the endpoint's router, which picks each change up \
            at once; 'export' writes the endpoint, with the traffic in force, for an engine that runs models already \
            (docs/serving.md).
            """,
        subcommands: [Status.self, Traffic.self, Mirror.self, Promote.self, Rollback.self, Export.self],
        defaultSubcommand: Status.self
    )

    /// Makes one audited change of `endpoint`'s traffic, prints it, and has a running router pick it up at once,
    /// saying whether it did.
    static func change(_ endpoint: String, _ apply: (EndpointControl) throws -> EndpointTrafficRecord,
                       describe: (EndpointTrafficRecord) -> String) throws {
        let registry = try RegistryContext.current()
        let record = try apply(try EndpointControl(endpoint: endpoint, registry: registry))
        print("endpoint \(endpoint): " + describe(record))
        switch ServeFolders(registry.workspace.layout).pickUp(endpoint, record: record.id) {
        case .noServer: break
        case .applied(let pid): print("The running router (pid \(pid)) routes by it now.")
        case .pending(let pid, let error):
            registry.reporter.warning("the running router (pid \(pid)) has not applied it yet\(error.map { ": \($0)" } ?? "; see its output").")
        case .refused(let pid, let error):
            registry.reporter.warning("the running router (pid \(pid)) keeps the traffic before: \(error)")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Each endpoint's port, deployments, the version each resolves to, traffic and mirror.")

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let registry = try RegistryContext.current()
            let endpoints = try registry.workspace.configuration().endpoints
            let states = try endpoints.map { endpoint in
                let control = try EndpointControl(endpoint: endpoint.name, registry: registry)
                return EndpointStateJSON(try control.inForce(), store: registry, source: try control.current().source)
            }
            if json { return try Output.json(["endpoints": states]) }
            guard !endpoints.isEmpty else { return print("No endpoints: declare them under 'endpoints:' in mlgate.yaml (docs/config.md#endpoints).") }
            var rows = [["ENDPOINT", "DEPLOYMENT", "MODEL", "RESOLVES TO", "TRAFFIC", "MIRROR"]]
            for state in states {
                for deployment in state.deployments {
                    rows.append(["\(state.name) (\(state.bind):\(state.port))", deployment.name, deployment.model, deployment.resolvesTo ?? "nothing",
                                 "\(deployment.traffic)%", deployment.mirror.map { "\($0)%" } ?? "-"])
                }
            }
            Output.table(rows)
        }
    }

    struct Traffic: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "traffic", abstract: "Set the live shares of an endpoint's deployments (blue=90 green=10).",
            discussion: "Shares are whole percent summing to 100 (or 0); deployments left out get 0. The mirror stays. Azure's grammar: NAME=PERCENT.")
        @Argument(help: "The endpoint.") var endpoint: String
        @Argument(help: "NAME=PERCENT for each deployment that takes traffic.") var shares: [String]
        @Option(help: "Why (recorded in the audit log).") var reason: String?

        func run() throws {
            try EndpointCommand.change(endpoint) { try $0.setTraffic(shares.joined(separator: " "), reason: reason) } describe: { record in
                "traffic \(record.traffic.description)\(record.mirror.map { ", mirror \($0.deployment)=\($0.percent)" } ?? "")."
            }
        }
    }

    struct Mirror: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mirror", abstract: "Mirror a share of unpinned requests to one deployment (green=10), or turn it off.",
            discussion: "The mirror's answers are discarded. At most 50 %, to one deployment that takes no live traffic, as in Azure ML.")
        @Argument(help: "The endpoint.") var endpoint: String
        @Argument(help: "DEPLOYMENT=PERCENT, or off.") var setting: String
        @Option(help: "Why (recorded in the audit log).") var reason: String?

        func run() throws {
            try EndpointCommand.change(endpoint) { try $0.setMirror(setting, reason: reason) } describe: { record in
                (record.mirror.map { "mirror \($0.deployment)=\($0.percent)" } ?? "no mirror") + ", traffic \(record.traffic.description)."
            }
        }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote", abstract: "Send all live traffic to one deployment (the canary takes over).")
        @Argument(help: "The endpoint.") var endpoint: String
        @Argument(help: "The deployment that takes 100 %.") var deployment: String
        @Option(help: "Why (recorded in the audit log).") var reason: String?

        func run() throws {
            try EndpointCommand.change(endpoint) { try $0.promote(deployment, reason: reason) } describe: { "traffic \($0.traffic.description)." }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback", abstract: "Put back the traffic and mirror in force before the last change, in one step.")
        @Argument(help: "The endpoint.") var endpoint: String
        @Option(help: "Why (recorded in the audit log).") var reason: String?

        func run() throws {
            try EndpointCommand.change(endpoint) { try $0.rollback(reason: reason) } describe: { record in
                "back to traffic \(record.traffic.description)\(record.mirror.map { ", mirror \($0.deployment)=\($0.percent)" } ?? "")."
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write an endpoint as KServe, Azure ML or docker compose files.",
            discussion: """
                kserve writes InferenceService YAML (two live deployments become the stable revision and a canary with \
                canaryTrafficPercent; KServe has no mirror). azure writes endpoint.yml, one YAML per deployment and \
                deploy.sh with the 'az ml online-endpoint update --traffic … --mirror-traffic …' lines. compose writes \
                docker-compose.yml with each deployment's package (as 'mlgate package' writes it) and an nginx that \
                splits traffic by the same shares, honours the mlgate-deployment and azureml-model-deployment headers, \
                and mirrors the same share. Images are named PREFIX/MODEL:vN.
                """)

        @Argument(help: "The endpoint, as declared under 'endpoints:'.")
        var endpoint: String

        @Option(help: "kserve, azure or compose.")
        var format: String

        @Option(help: "The folder to write into (created; files mlgate writes are replaced).")
        var out: String

        @Option(help: "The registry prefix of the images.")
        var imagePrefix = "mlgate"

        func validate() throws {
            guard EndpointExportFormat(rawValue: format) != nil else {
                throw ValidationError("--format must be one of \(EndpointExportFormat.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(format)').")
            }
        }

        func run() throws {
            guard let format = EndpointExportFormat(rawValue: format) else { return }
            let registry = try RegistryContext.current()
            let export = try EndpointExport(endpoint: endpoint, registry: registry)
            let (files, notes) = try export.files(format, imagePrefix: imagePrefix)
            let folder = Files.absolute(out)
            try ProtectedLocations.refuse(folder, workspace: registry.workspace, what: "the export")
            try FileAccess.createDirectory(folder)
            if format == .compose { try export.writePackages(into: folder) }
            for file in files {
                try AtomicFile.write(file.text, to: folder + "/" + file.path, mode: file.path.hasSuffix(".sh") ? 0o755 : 0o644)
            }
            print("exported endpoint \(endpoint) for \(format.rawValue) into \(out): " + files.map(\.path).joined(separator: ", ")
                  + (format == .compose ? ", and each deployment's package" : "") + ".")
            for note in notes { print("note: " + note) }
        }
    }
}

/// `mlgate endpoint status --json`: an endpoint as declared, each deployment with the version it resolves to now.
struct EndpointStateJSON: Encodable {
    struct Deployment: Encodable {
        enum CodingKeys: String, CodingKey { case name, model, resolvesTo = "resolves_to", instances, traffic, mirror }
        let name: String
        let model: String
        let resolvesTo: String?
        let instances: Int
        let traffic: Int
        let mirror: Int?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(model, forKey: .model)
            try container.encode(resolvesTo, forKey: .resolvesTo)
            try container.encode(instances, forKey: .instances)
            try container.encode(traffic, forKey: .traffic)
            try container.encode(mirror, forKey: .mirror)
        }
    }
    enum CodingKeys: String, CodingKey { case name, bind, port, deployments, source, changedBy = "changed_by", changedAtMs = "changed_at_ms", reason }
    let name: String
    let bind: String
    let port: Int
    let deployments: [Deployment]
    /// `mlgate.yaml`, or `recorded` once a rollout command changed the traffic.
    let source: String
    let changedBy: String?
    let changedAtMs: Int64?
    let reason: String?

    init(_ endpoint: EndpointSpec, store registry: RegistryContext, source: EndpointControl.Source) {
        if case .recorded(let record) = source {
            self.source = "recorded"
            changedBy = record.actor
            changedAtMs = record.setAt
            reason = record.reason
        } else {
            self.source = "mlgate.yaml"
            changedBy = nil
            changedAtMs = nil
            reason = nil
        }
        name = endpoint.name
        bind = endpoint.bind
        port = endpoint.port
        deployments = endpoint.deployments.map { deployment in
            Deployment(name: deployment.name, model: deployment.model,
                       resolvesTo: (try? ModelURI(parsing: deployment.model)).flatMap { try? registry.store.resolve($0) }?.uri,
                       instances: deployment.instances, traffic: endpoint.traffic.weights[deployment.name] ?? 0,
                       mirror: endpoint.mirror?.deployment == deployment.name ? endpoint.mirror?.percent : nil)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(bind, forKey: .bind)
        try container.encode(port, forKey: .port)
        try container.encode(deployments, forKey: .deployments)
        try container.encode(source, forKey: .source)
        try container.encode(changedBy, forKey: .changedBy)
        try container.encode(changedAtMs, forKey: .changedAtMs)
        try container.encode(reason, forKey: .reason)
    }
}
