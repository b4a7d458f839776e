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

/// `mlgate trust`: approve the pipeline's commands for hooks and the worker.
struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Approve the stage commands in mlgate.yaml so hooks and the worker may run them.",
        discussion: """
            Training triggered by 'git push' runs commands written in the repository. mlgate runs them only \
            after you have read and approved them: this prints every stage's command, working directory and \
            environment variables, and records the hash of that text in ~/.config/mlgate/trusted (outside \
            the repository, so a repository cannot approve itself). Any change to a command needs a new \
            approval; jobs that were waiting for it are queued again. 'mlgate run' typed by you needs no approval.
            """
    )

    @Flag(help: "Only print the commands and whether they are approved.")
    var show = false

    func run() throws {
        let workspace = try Workspace.current()
        let stages = try workspace.pipeline().stages
        let trust = TrustStore()
        let hash = TrustStore.hash(stages)
        let repository = workspace.layout.directory
        for stage in stages.sorted(by: { $0.name < $1.name }) {
            print("stage \(stage.name)\(stage.workingDirectory.isEmpty ? "" : " (in \(stage.workingDirectory))"): \(stage.command.display)")
            for variable in stage.environmentVariables { print("    \(variable.name)=\(variable.value)") }
        }
        let approved = trust.isTrusted(hash, repository: repository)
        if show {
            print(approved ? "approved (\(hash.prefix(12)))" : "not approved (\(hash.prefix(12))); run 'mlgate trust' to approve.")
            return
        }
        if !approved { try trust.trust(hash, repository: repository) }
        let requeued = try workspace.openStore().requeueUntrusted(trustHash: hash, now: Store.nowMilliseconds)
        print("approved these commands (\(hash.prefix(12)))\(requeued > 0 ? "; \(requeued) waiting job\(requeued == 1 ? "" : "s") queued again" : "").")
    }
}
