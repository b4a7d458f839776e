import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateConfig
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// `mlgate promote`: move a version to a lifecycle stage, as the model's lifecycle allows.
struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Move a model version to a lifecycle stage (staging, production…).",
        discussion: """
            The model's 'lifecycle' in mlgate.yaml lists its stages in order and what entering each requires: a \
            passed gate, a number of approvals ('mlgate approve'), the branch the version was built from. A \
            version moves one stage at a time. A move the policy refuses exits 1 and says what is missing; \
            --force overrides it and is recorded as such.
            """)

    @Argument(help: "The model.") var name: String
    @Argument(help: "The version.") var version: Int
    @Option(help: "The stage to move it to.") var to: String
    @Option(help: "Why (recorded in the audit log).") var reason: String
    @Flag(help: "Move it even though the lifecycle's requirements are not met (recorded).") var force = false

    func run() throws {
        let registry = try RegistryContext.current()
        let previous = try registry.promote(name, version: version, to: to, force: force, reason: reason)
        registry.publish()
        print("\(name)/\(version): \(previous ?? "no stage") → \(to)\(force ? " (forced)" : "").")
    }
}

/// `mlgate approve`: record an approval of a version for a stage.
struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve a model version for a lifecycle stage.")
    @Argument(help: "The model.") var name: String
    @Argument(help: "The version.") var version: Int
    @Option(help: "The stage the approval is for.") var stage: String

    func run() throws {
        let registry = try RegistryContext.current()
        _ = try registry.lifecycle(of: name).missing(to: stage, from: nil, gatePassed: true, approvals: .max, branch: nil)
        let approvers = try registry.store.approve(model: name, version: version, stage: stage, by: registry.actor(reason: nil))
        registry.publish()
        print("\(name)/\(version) approved for \(stage) by \(approvers.joined(separator: ", ")).")
    }
}
