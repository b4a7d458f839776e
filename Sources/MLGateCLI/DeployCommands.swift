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
            let states = targets.map { target in DeployTargetState(target, deployments: deployments, store: registry.store) }
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

    /// `deploy status --json`: every deployment (newest first) and each declared target's state.
    struct DeployStatusJSON: Encodable {
        let deployments: [Deployment]
        let targets: [DeployTargetState]
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Put back the version a target served before the current one.")

        @Argument(help: "The target.")
        var target: String

        @Option(help: "Why (recorded in the audit log).")
        var reason: String?

        func run() throws {
            let context = try DeployContext(target: target, registry: try RegistryContext.current())
            let (current, version) = try context.rollback(reason: reason)
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
