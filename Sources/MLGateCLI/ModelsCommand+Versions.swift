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

extension ModelsCommand {
    struct Alias: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "alias", abstract: "Point an alias at a version, or remove it.",
                                                        subcommands: [Set.self, Unset.self])

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "set", abstract: "Point NAME@ALIAS at VERSION.")
            @Argument(help: "The model.") var name: String
            @Argument(help: "The alias (not a version-like name such as v1).") var alias: String
            @Argument(help: "The version.") var version: Int
            @Option(help: "Why (recorded in the audit log).") var reason: String

            func run() throws {
                let registry = try RegistryContext.current()
                let stages = try registry.lifecycle(of: name).stages
                if stages.contains(alias) {
                    throw UsageError("'\(alias)' is a lifecycle stage of \(name) (\(stages.joined(separator: ", "))); a stage is entered with 'mlgate promote', under its rules. Choose another alias name, such as 'champion'.")
                }
                let previous = try registry.store.setAlias(model: name, alias: alias, version: version, by: registry.actor(reason: reason))
                registry.publish()
                print("\(name)@\(alias) → version \(version)\(previous.map { " (was \($0))" } ?? "").")
            }
        }

        struct Unset: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "unset", abstract: "Remove NAME@ALIAS.")
            @Argument(help: "The model.") var name: String
            @Argument(help: "The alias.") var alias: String
            @Option(help: "Why (recorded in the audit log).") var reason: String

            func run() throws {
                let registry = try RegistryContext.current()
                let previous = try registry.store.unsetAlias(model: name, alias: alias, by: registry.actor(reason: reason))
                registry.publish()
                print("removed \(name)@\(alias) (it pointed at version \(previous)).")
            }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history",
                                                        abstract: "Every registration, alias move, promotion and approval of a model, with actor, time and reason.")
        @Argument(help: "The model.") var name: String
        @Flag(help: "Print JSON (shape in docs/json.md).") var json = false

        func run() throws {
            let registry = try RegistryContext.current()
            guard try registry.store.models().contains(where: { $0.name == name }) else {
                throw RegistryError(.invalidInput, "there is no model '\(name)'; 'mlgate models list' shows the registered models.")
            }
            let entries = try registry.store.auditLog(model: name)
            if json { return try Output.json(["history": entries.map(AuditJSON.init)]) }
            var rows = [["#", "WHEN", "ACTION", "VERSION", "BY", "CHANGE", "REASON"]]
            for entry in entries {
                rows.append([String(entry.sequence), RunsCommand.date(entry.at), entry.action, String(entry.subject.split(separator: "/").last ?? ""),
                             entry.actor, "\(entry.before) → \(entry.after)".count > 60 ? entry.action : "\(entry.before) → \(entry.after)", entry.reason ?? ""])
            }
            Output.table(rows)
        }
    }

    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "download", abstract: "Write a version's artifact into a folder (checked against its hash).",
            discussion: """
                The artifact is written as DIRECTORY/<name>, named after the path it was registered from. When that \
                file or folder exists, the command refuses; --force replaces it, but only when it holds nothing the \
                artifact would not write (an earlier download of it, say): mlgate never deletes files it did not write.
                """)
        @Argument(help: "NAME/VERSION, NAME@ALIAS or a models:/ URI.") var model: String
        @Argument(help: "The folder to write into (created if needed).") var directory: String
        @Flag(help: "Replace an earlier download of the artifact in DIRECTORY.") var force = false

        func run() throws {
            let registry = try RegistryContext.current()
            let version = try registry.store.resolve(try ModelURI(parsing: model))
            let name = try registry.download(version, into: directory, force: force)
            print("wrote \(version.uri) to \((directory as NSString).appendingPathComponent(name)).")
        }
    }

    struct Archive: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "archive", abstract: "Archive a version (refused while an alias or a deployment uses it).")
        @Argument(help: "NAME/VERSION or a models:/ URI.") var model: String
        @Option(help: "Why (recorded in the audit log).") var reason: String?
        func run() throws { print("archived \(try RegistryContext.current().retire(model, delete: false, reason: reason).uri).") }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a version (refused while an alias or a deployment uses it).")
        @Argument(help: "NAME/VERSION or a models:/ URI.") var model: String
        @Option(help: "Why (recorded in the audit log).") var reason: String?
        func run() throws { print("deleted \(try RegistryContext.current().retire(model, delete: true, reason: reason).uri).") }
    }
}
