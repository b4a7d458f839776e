import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
public import ArgumentParser
import Foundation
import MLGateCore
import MLGateSystem
import MLGateWorkspace
import MLGateEvents

/// The `mlgate` command: git hooks and CI steps for machine-learning models.
public struct MLGateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mlgate",
        abstract: "Git hooks and CI steps that follow machine-learning models from commit to production.",
        discussion: """
            Start with 'mlgate init' in a git repository: it writes a starter mlgate.yaml, creates the local \
            store in .mlgate/, and installs the git hooks that record every commit's lineage. \
            'mlgate lineage' then shows the history as mlgate recorded it.

            Exit codes: 0 success; 1 a verdict or policy said no; 2 the request is malformed (usage, \
            config or input); 3 the environment failed (git, the store, a tool).
            """,
        version: MLGateVersion.current,
        subcommands: [InitCommand.self, HooksCommand.self, HookCommand.self, LineageCommand.self, RunCommand.self, RunsCommand.self, FsckCommand.self, GcCommand.self, PushCommand.self, PullCommand.self, StoreCommand.self, QueueCommand.self, WorkerCommand.self, TrustCommand.self, EvalCommand.self, ModelsCommand.self, GateCommand.self, CompareCommand.self, PromoteCommand.self, ApproveCommand.self, AuditCommand.self, EventsCommand.self, PackageCommand.self, DeployCommand.self, RollbackCommand.self, EndpointCommand.self, ServeCommand.self, CollectCommand.self, ScoreCommand.self, MonitorCommand.self, CICommand.self]
    )

    public init() {}

    /// Parses `arguments`, runs the command, and returns the process exit code. Every error is turned
    /// into text and an exit code here, and nowhere else (DESIGN §4).
    public static func run(arguments: [String]) -> Int32 {
        // The hook path skips the argument parser: its first reflection pass costs milliseconds.
        if arguments.count >= 2, arguments[0] == "hook", let event = HookEvent(rawValue: arguments[1]) {
            return HookRunner(event: event, arguments: Array(arguments.dropFirst(2))).run()
        }
        // So do `--version`, `--help` and a plain `mlgate run`: the same output, without the parser's start-up cost.
        if let request = StartupFastPath.request(arguments) { return StartupFastPath.answer(request) }
        let code: Int32
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            code = 0
        } catch {
            code = report(error)
        }
        startDelivery(after: arguments)
        return code
    }

    /// Commands that never write events, deliver them themselves, or must not start anything in the background.
    static let commandsWithoutDelivery: Set<String> = ["events", "serve", "ci", "init", "hooks", "hook", "worker", "lineage", "runs", "audit", "--help", "-h", "help", "--version"]

    /// After a command that may have written events, starts their delivery in the background when `notify:` has
    /// subscriptions (docs/events.md); no command waits for a receiver.
    static func startDelivery(after arguments: [String]) {
        guard let command = arguments.first, !commandsWithoutDelivery.contains(command), !arguments.contains("--help"),
              let workspace = try? Workspace.current() else { return }
        DeliveryStarter.startIfWaiting(workspace)
    }

    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let error as any MLGateError:
            printError("error: \(error.description)")
            return exitCode(for: error.category)
        case let code as ExitCode:
            return code.rawValue
        case let error where FileAccessError(unwrapped: error) != nil:
            // A Foundation file error no call site wrapped: still the path and the fix, never 'NSCocoaErrorDomain'.
            return report(FileAccessError(unwrapped: error) ?? error)
        default:
            let parserCode = exitCode(for: error)
            let message = fullMessage(for: error)
            if parserCode == .success {
                if !message.isEmpty { print(message) }
                return 0
            }
            if !message.isEmpty { printError(message) }
            return 2
        }
    }

    /// The exit code of each failure category.
    static func exitCode(for category: FailureCategory) -> Int32 {
        switch category {
        case .refused: 1
        case .invalidInput: 2
        case .environment: 3
        }
    }
}


/// Writes a line to standard error.
func printError(_ text: String) {
    _ = Files.writeAll(2, Array((text + "\n").utf8))
}
