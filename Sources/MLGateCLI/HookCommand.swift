import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks

/// `mlgate hook <event>`: the work of one git hook, called by the scripts `mlgate hooks install` writes.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Do one git hook's work (the installed hook scripts call this; you rarely need to).",
        discussion: """
            post-commit, post-merge and post-rewrite append one line to the lineage journal in \
            .mlgate/ and exit 0 whatever happens: a failure goes to .mlgate/log, never in git's way. \
            During a rebase post-commit does nothing; post-rewrite records the result. pre-push queues a \
            training job for each pushed branch whose commits touch a stage's inputs and starts a worker; \
            it blocks the push (exit 1) only when hooks.pre_push is strict and the job cannot be queued.
            """
    )

    @Argument(help: "The git hook: post-commit, post-merge, post-rewrite or pre-push.")
    var event: String

    @Argument(parsing: .captureForPassthrough, help: "The arguments git passed to the hook.")
    var gitArguments: [String] = []

    func run() throws {
        guard let hook = HookEvent(rawValue: event) else {
            throw UsageError("unknown hook event '\(event)'; mlgate handles \(HookEvent.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let status = HookRunner(event: hook, arguments: gitArguments).run()
        if status != 0 { throw ExitCode(status) }
    }
}

/// Does one hook's work. The lineage hooks record from git's files first (`HookRecorder`, as the
/// `mlgate-hook` binary does), then, when those cannot answer, by opening the repository with libgit2;
/// they never throw and never block git: a failure goes to `.mlgate/log`. `pre-push` queues training
/// (`PrePushHook`). Returns the exit status for git: 1 only when a strict pre-push blocks the push.
struct HookRunner {
    let event: HookEvent
    let arguments: [String]

    func run() -> Int32 {
        if event == .prePush { return PrePushHook(arguments: arguments, reporter: TerminalReporter()).run() }
        let recorder = HookRecorder(event: event, arguments: arguments)
        guard recorder.run() == .needsRepository else { return 0 }
        var layout: StoreLayout?
        do {
            let repository = try GitRepository.open(at: Files.currentDirectory())
            layout = StoreLayout(repositoryRoot: try repository.mainWorktreeRoot())
            if let layout {
                _ = recorder.record(head: try repository.head(), layout: layout,
                                    rebasedBranch: HeadFiles.rebasedBranch(gitDirectory: repository.gitDirectory))
            }
        } catch {
            _ = HookRecorder.failure("\(event.rawValue): \(error)", layout: layout)
        }
        return 0
    }
}
