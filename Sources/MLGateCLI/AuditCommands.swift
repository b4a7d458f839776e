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
