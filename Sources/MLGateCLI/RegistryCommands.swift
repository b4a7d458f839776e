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
            let tagValues = try RegistryContext.parseTags(tags)
            try ModelURI.validateName(name)
            var new: NewModelVersion
            if let number = runNumber {
                new = try registry.versionFromRun(number, model: name, artifact: artifact)
                if let warning = try registry.dirtyRunWarning(number) { printError("warning: " + warning) }
            } else if let path {
                new = try registry.versionFromPath(path)
            } else {
                return
            }
            new.tags.merge(tagValues) { $1 }
            new.description = description
            if let verdict = try registry.store.latestVerdict(model: name, artifact: new.artifact) {
                new.verdict = verdict.json
                new.verdictDigest = verdict.digest
                new.verdictPassed = verdict.passed
            }
            let version = try registry.store.register(model: name, new, by: registry.actor(reason: description))
            registry.publish()
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
            let name = version.sourcePath.map { ($0 as NSString).lastPathComponent } ?? "\(version.model)-\(version.version)"
            let folder = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
            let target = folder + "/" + name
            try ProtectedLocations.refuse(target, workspace: registry.workspace, what: "the download")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) {
                guard force else {
                    throw UsageError("\(target) already exists; give another folder, or pass --force to replace an earlier download of \(version.uri).")
                }
                let tree = try registry.objects.tree(version.artifact)
                if isDirectory.boolValue {
                    guard let tree else { throw UsageError("\(target) is a folder and \(version.uri) is a file; move the folder away.") }
                    let extra = ProtectedLocations.unexpectedFiles(in: target, expected: Set(tree.entries.map(\.path)))
                    guard extra.isEmpty else {
                        throw UsageError("\(target) holds files that are not part of \(version.uri) (\(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", …" : "")); --force replaces only an earlier download. Move them out, or give another folder.")
                    }
                } else if tree != nil {
                    throw UsageError("\(target) is a file and \(version.uri) is a folder; move the file away.")
                }
            }
            try FileAccess.createDirectory(folder)
            try registry.objects.checkout(version.artifact, to: target)
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

/// `mlgate audit`: the tamper-evident log of registry changes.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show or verify the hash-chained audit log of registry changes.",
        subcommands: [Log.self, Verify.self],
        defaultSubcommand: Log.self)

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "log", abstract: "Show the audit log, oldest first.")
        @Option(help: "Only rows about this model.") var model: String?
        @Option(help: "Only the last N rows.") var limit: Int?
        @Flag(help: "Print JSON (shape in docs/json.md).") var json = false

        func run() throws {
            let entries = try RegistryContext.current().store.auditLog(model: model, limit: limit)
            if json { return try Output.json(["audit": entries.map(AuditJSON.init)]) }
            var rows = [["#", "WHEN", "ACTOR", "ACTION", "SUBJECT", "REASON", "HASH"]]
            for entry in entries {
                rows.append([String(entry.sequence), RunsCommand.date(entry.at), entry.actor, entry.action, entry.subject, entry.reason ?? "", String(entry.hash.prefix(12))])
            }
            Output.table(rows)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the audit log: its hash chain, a registration row for every version, and its append-only triggers.",
            discussion: "Exit 0 when all three hold; 1 naming the first broken row, the versions without a registration row, or the missing triggers.")

        func run() throws {
            let store = try RegistryContext.current().store
            if let broken = try store.verifyAudit() {
                print("audit log broken at row \(broken.sequence): \(broken.problem).")
                throw ExitCode(1)
            }
            let coverage = try store.auditCoverage()
            let rows = try store.auditLog().count
            guard coverage.isComplete else {
                print("audit log chain intact (\(rows) rows), but:")
                if !coverage.unregistered.isEmpty {
                    print("  \(coverage.unregistered.count) version\(coverage.unregistered.count == 1 ? " has" : "s have") no registration row: \(coverage.unregistered.joined(separator: ", ")) (added to the store outside mlgate).")
                }
                if !coverage.missingTriggers.isEmpty {
                    print("  the append-only trigger\(coverage.missingTriggers.count == 1 ? " is" : "s are") gone: \(coverage.missingTriggers.joined(separator: ", ")) (the log could be edited without a trace).")
                }
                throw ExitCode(1)
            }
            print("audit log intact: \(rows) rows, each hashed over the one before; every version (\(coverage.versions)) has its registration row; the append-only triggers are in place.")
        }
    }
}

/// `mlgate events`: the registry's event outbox.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "List registry events (the outbox webhooks will deliver).",
                                                    subcommands: [List.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List events, oldest first.")
        @Option(help: "Only the last N events.") var limit: Int = 100
        @Flag(help: "Print JSON (shape in docs/json.md).") var json = false

        func run() throws {
            let events = try RegistryContext.current().store.events(limit: limit)
            if json {
                return try Output.json(["events": events.map { EventJSON(id: $0.id, kind: $0.kind, model: $0.model, version: $0.version,
                                                                         payload: $0.payload, createdAt: Output.timestamp($0.createdAt / 1000),
                                                                         mirrorError: $0.mirrorError) }])
            }
            var rows = [["#", "WHEN", "KIND", "MODEL", "VERSION", "GIT"]]
            for event in events {
                rows.append([String(event.id), RunsCommand.date(event.createdAt), event.kind, event.model, event.version.map(String.init) ?? "-",
                             event.mirrorError.map { "set aside: " + $0 } ?? ""])
            }
            Output.table(rows)
        }
    }
}

extension RegistryContext {
    /// The registry of the current worktree, reporting to the terminal.
    static func current() throws -> RegistryContext { try current(reporter: TerminalReporter()) }

    /// `KEY=VALUE` strings as a dictionary.
    static func parseTags(_ tags: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for tag in tags {
            guard let equals = tag.firstIndex(of: "="), equals != tag.startIndex else {
                throw UsageError("'\(tag)' is not a tag: write KEY=VALUE.")
            }
            result[String(tag[..<equals])] = String(tag[tag.index(after: equals)...])
        }
        return result
    }

}

/// A model version as `--json` prints it.
struct ModelVersionJSON: Encodable {
    let version: ModelVersion
    init(_ version: ModelVersion) { self.version = version }

    enum Keys: String, CodingKey {
        case model, version, uri, artifact, artifactIsDirectory = "artifact_is_directory", sourcePath = "source_path", commit, run
        case dataHashes = "data_hashes", verdictDigest = "verdict_digest", gatePassed = "gate_passed", branch, description, tags, status, stage, aliases
        case createdAt = "created_at", createdBy = "created_by"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(version.model, forKey: .model)
        try container.encode(version.version, forKey: .version)
        try container.encode(version.uri, forKey: .uri)
        try container.encode(version.artifact, forKey: .artifact)
        try container.encode(version.artifactIsDirectory, forKey: .artifactIsDirectory)
        try container.encode(version.sourcePath, forKey: .sourcePath)
        try container.encode(version.commit, forKey: .commit)
        try container.encode(version.run, forKey: .run)
        try container.encode(version.dataHashes, forKey: .dataHashes)
        try container.encode(version.verdictDigest, forKey: .verdictDigest)
        try container.encode(version.gatePassed, forKey: .gatePassed)
        try container.encode(version.branch, forKey: .branch)
        try container.encode(version.description, forKey: .description)
        try container.encode(version.tags, forKey: .tags)
        try container.encode(version.status, forKey: .status)
        try container.encode(version.stage, forKey: .stage)
        try container.encode(version.aliases, forKey: .aliases)
        try container.encode(Output.timestamp(version.createdAt / 1000), forKey: .createdAt)
        try container.encode(version.createdBy, forKey: .createdBy)
    }
}

/// An audit row as `--json` prints it.
struct AuditJSON: Encodable {
    let entry: AuditEntry
    init(_ entry: AuditEntry) { self.entry = entry }

    enum Keys: String, CodingKey {
        case sequence, at, atMilliseconds = "at_ms", actor, action, subject, before, after, reason, verdictDigest = "verdict_digest"
        case previousHash = "previous_hash", hash
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(entry.sequence, forKey: .sequence)
        try container.encode(Output.timestamp(entry.at / 1000), forKey: .at)
        try container.encode(entry.at, forKey: .atMilliseconds)
        try container.encode(entry.actor, forKey: .actor)
        try container.encode(entry.action, forKey: .action)
        try container.encode(entry.subject, forKey: .subject)
        try container.encode(entry.before, forKey: .before)
        try container.encode(entry.after, forKey: .after)
        try container.encode(entry.reason, forKey: .reason)
        try container.encode(entry.verdictDigest, forKey: .verdictDigest)
        try container.encode(entry.previousHash, forKey: .previousHash)
        try container.encode(entry.hash, forKey: .hash)
    }
}

/// A registry event as `--json` prints it.
struct EventJSON: Encodable {
    let id: Int
    let kind: String
    let model: String
    let version: Int?
    let payload: String
    let createdAt: String
    /// Why the git mirror set the event aside (it can never be written to git), or nil.
    let mirrorError: String?

    enum CodingKeys: String, CodingKey { case id, kind, model, version, payload, createdAt = "created_at", mirrorError = "mirror_error" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(payload, forKey: .payload)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(mirrorError, forKey: .mirrorError)
    }
}

extension String {
    /// nil for an empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
