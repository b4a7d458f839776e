import MLGateDeploy
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
            let context = try DeployContext(target: target, registry: try RegistryContext.current())
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
            let context = try DeployContext(target: target, registry: try RegistryContext.current())
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
