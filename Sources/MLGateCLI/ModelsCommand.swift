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

/// `mlgate models`: the model registry.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Register model versions and manage their tags, aliases, history and deletion.",
        discussion: """
            A model need not be declared in mlgate.yaml: its first registration creates it. Versions are \
            numbered 1, 2, 3… per model, without gaps, even when many registrations race. A version is named \
            models:/NAME/N, models:/NAME@ALIAS, or the short forms NAME/N and NAME@ALIAS. Every change is \
            written to the audit log ('mlgate audit') and as an event ('mlgate events') in the same transaction.
            """,
        subcommands: [Register.self, List.self, Show.self, Tag.self, Alias.self, History.self, Download.self, Archive.self, Delete.self,
                      ModelsSyncCommand.self, ModelsPushCommand.self],
        defaultSubcommand: List.self
    )

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register",
            abstract: "Register the next version of a model from a run's output or a path.",
            discussion: """
                With --run, the artifact is the run's cached output named by --artifact or by the model's \
                'artifact' in mlgate.yaml, linked to the run's commit and its data hashes. With --path, the file \
                or folder is stored in the object store and linked to HEAD.
                """)

        @Argument(help: "The model's name (letters, digits, '.', '_', '-').")
        var name: String

        @Option(name: .customLong("run"), help: "The run whose output to register (from 'mlgate runs').")
        var runNumber: Int?

        @Option(help: "A file or folder to register.")
        var path: String?

        @Option(help: "With --run: which output is the model (default: the model's 'artifact' in mlgate.yaml).")
        var artifact: String?

        @Option(name: .customLong("tag"), help: "A tag KEY=VALUE (repeat for more).")
        var tags: [String] = []

        @Option(help: "A description of this version.")
        var description: String?

        @Flag(help: "Print the version as JSON (shape in docs/json.md).")
        var json = false

        func validate() throws {
            guard (runNumber == nil) != (path == nil) else { throw ValidationError("give exactly one of --run RUN and --path PATH.") }
        }

        func run() throws {
            let registry = try RegistryContext.current()
            guard let source = runNumber.map({ VersionSource.run($0, artifact: artifact) }) ?? path.map(VersionSource.path) else { return }
            let version = try registry.register(name, from: source, tags: try RegistryContext.parseTags(tags), description: description)
            if json { return try Output.json(ModelVersionJSON(version)) }
            print("registered \(version.uri) (artifact \(version.artifact.prefix(12))\(version.commit.map { ", commit \($0.prefix(10))" } ?? "")).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every model's versions, newest first.")

        @Option(name: .customLong("tag"), help: "Only versions with this tag KEY=VALUE (repeat to require several).")
        var tags: [String] = []

        @Flag(help: "Print JSON (shape in docs/json.md) instead of a table.")
        var json = false

        func run() throws {
            let registry = try RegistryContext.current()
            let wanted = try RegistryContext.parseTags(tags)
            let versions = try registry.store.versions(model: nil).filter { version in wanted.allSatisfy { version.tags[$0.key] == $0.value } }
            if json { return try Output.json(["versions": versions.map(ModelVersionJSON.init)]) }
            guard !versions.isEmpty else { return print("No model versions yet: 'mlgate models register NAME --run RUN' registers one.") }
            var rows = [["MODEL", "VERSION", "STATUS", "STAGE", "ALIASES", "COMMIT", "REGISTERED", "BY"]]
            for version in versions {
                rows.append([version.model, String(version.version), version.status, version.stage ?? "-", version.aliases.joined(separator: ",").nonEmpty ?? "-",
                             version.commit.map { String($0.prefix(10)) } ?? "-", RunsCommand.date(version.createdAt), version.createdBy])
            }
            Output.table(rows)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one version, or every version of a model.")

        @Argument(help: "NAME (every version), NAME/VERSION, NAME@ALIAS or a models:/ URI.")
        var model: String

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let registry = try RegistryContext.current()
            let uri = try ModelURI(parsing: model)
            let versions: [ModelVersion]
            if uri.selector == .latest {
                guard try registry.store.models().contains(where: { $0.name == uri.name }) else {
                    throw RegistryError(.invalidInput, "there is no model '\(uri.name)'; 'mlgate models list' shows the registered models.")
                }
                versions = try registry.store.versions(model: uri.name, includeDeleted: true)
            } else {
                versions = [try registry.store.resolve(uri)]
            }
            if json {
                return uri.selector == .latest ? try Output.json(["versions": versions.map(ModelVersionJSON.init)]) : try Output.json(ModelVersionJSON(versions[0]))
            }
            for version in versions {
                print("\(version.uri)  \(version.status)\(version.stage.map { ", stage \($0)" } ?? "")\(version.aliases.isEmpty ? "" : ", aliases " + version.aliases.joined(separator: ", "))")
                print("  artifact   \(version.artifact)\(version.artifactIsDirectory ? " (folder)" : "")\(version.sourcePath.map { " from \($0)" } ?? "")")
                print("  commit     \(version.commit ?? "-")\(version.run.map { ", run \($0)" } ?? "")")
                print("  registered \(RunsCommand.date(version.createdAt)) by \(version.createdBy)")
                if let description = version.description { print("  about      \(description)") }
                if !version.tags.isEmpty { print("  tags       " + version.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) }
                let gate = switch version.gatePassed {
                case true?: "passed"
                case false?: "failed"
                case nil: "not gated (no verdict was recorded for this artifact; 'mlgate gate \(version.model)' judges it)"
                }
                print("  gate       \(gate)\(version.verdictDigest.map { " (verdict \($0.prefix(12)))" } ?? "")")
                for (path, hash) in version.dataHashes.sorted(by: { $0.key < $1.key }) { print("  data       \(path)  \(hash.prefix(12))") }
            }
        }
    }

    struct Tag: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tag", abstract: "Set or remove tags of a version.")

        @Argument(help: "NAME/VERSION, NAME@ALIAS or a models:/ URI.")
        var model: String

        @Argument(help: "Tags to set, KEY=VALUE.")
        var tags: [String] = []

        @Option(help: "A tag key to remove (repeat for more).")
        var remove: [String] = []

        func run() throws {
            let registry = try RegistryContext.current()
            let version = try registry.store.resolve(try ModelURI(parsing: model))
            let updated = try registry.store.tag(model: version.model, version: version.version, set: try RegistryContext.parseTags(tags),
                                                 remove: remove, by: registry.actor(reason: nil))
            registry.publish()
            print("\(updated.uri) tags: " + (updated.tags.isEmpty ? "(none)" : updated.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
        }
    }
}
