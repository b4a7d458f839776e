import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateWorkspace

/// `mlgate hooks`: install, remove and inspect the git hooks.
struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Install, remove or inspect mlgate's git hooks.",
        discussion: """
            mlgate installs post-commit, post-merge and post-rewrite, which record lineage in milliseconds \
            and never block git. An existing hook is kept and run first; husky, lefthook and pre-commit \
            are detected and mlgate plugs into them. 'uninstall' restores exactly what was there.
            """,
        subcommands: [Install.self, Uninstall.self, Status.self]
    )

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "install", abstract: "Install the hooks (safe to run again).")

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let changes = try HooksCommand.installer().install(HookEvent.defaultSet)
            try HooksCommand.report(changes, json: json)
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Remove the hooks and restore the ones mlgate chained.")

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let changes = try HooksCommand.installer().uninstall(HookEvent.allCases)
            try HooksCommand.report(changes, json: json)
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status",
            abstract: "Say, for each hook, whether mlgate is installed, chained, missing or bypassed.")

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let installer = try HooksCommand.installer()
            let reports = try installer.status(HookEvent.defaultSet)
            let directory = try installer.hooksDirectory()
            let manager = try installer.manager()
            if json {
                try Output.json(StatusJSON(hooksDirectory: directory, manager: JSONNullable(manager?.rawValue), hooks: reports))
                return
            }
            print("hooks directory: \(directory)" + (manager.map { " (managed by \($0.rawValue))" } ?? ""))
            Output.table([["HOOK", "STATE", "PATH"]] + reports.map { [$0.event, $0.state, $0.path] })
            if reports.contains(where: { $0.state != "installed" && $0.state != "chained" && $0.state != "husky" && $0.state != "pre-commit" && $0.state != "lefthook" }) {
                print("Run 'mlgate hooks install' to install the missing hooks.")
            }
        }
    }

    struct StatusJSON: Encodable {
        let hooksDirectory: String
        let manager: JSONNullable<String>
        let hooks: [HookReport]
    }

    static func installer() throws -> HookInstaller {
        let context = try RepositoryContext.current()
        return HookInstaller(repository: context.repository, worktreeRoot: context.worktreeRoot, binary: try executablePath())
    }

    static func report(_ changes: [HookChange], json: Bool) throws {
        if json {
            try Output.json(["hooks": changes])
            return
        }
        Output.table(changes.map { [$0.event, $0.action.sentence, $0.path] })
        if changes.contains(where: { $0.path.hasSuffix("lefthook-local.yml") && $0.changed }) {
            print("Run 'lefthook install' so lefthook creates the hook files for these entries.")
        }
    }

    /// The absolute path of the running binary, which the hook scripts call first.
    static func executablePath() throws -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        guard path.hasPrefix("/") else { throw EnvironmentError("cannot tell where the mlgate binary is (\(path)).") }
        return path
    }
}
