import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// `mlgate lineage`: the repository's history as mlgate recorded it.
struct LineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Show the commits mlgate recorded, newest first.",
        discussion: """
            Hooks record each commit, merge, amend and rebase as it happens. Commits made without hooks \
            (MLGATE_HOOKS=0, a fresh clone, a CI checkout) are found by walking from the branches before \
            anything is shown; the SOURCE column says which way each was recorded.
            """,
        subcommands: [List.self, Show.self, Sync.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list",
            abstract: "List recorded commits, newest first (the default of 'mlgate lineage').")

        @Argument(help: "Only commits reachable from these revisions (branches, tags, ids, HEAD~3 …).")
        var revisions: [String] = []

        @Option(help: "Only commits recorded while this branch was checked out.")
        var branch: String?

        @Option(help: "Show at most this many commits.")
        var limit: Int?

        @Flag(help: "Print JSON (shape in docs/json.md) instead of a table.")
        var json = false

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more (got \(limit)).") }
        }

        func run() throws {
            let context = try RepositoryContext.current()
            let lineage = try context.lineage()
            let tips = try revisions.map { try context.repository.resolve($0) }
            try lineage.reconcile()
            let entries = try lineage.list(LineageQuery(reachableFrom: tips, branch: branch, limit: limit))
            if json {
                try Output.json(["commits": entries.map(LineageJSON.init)])
                return
            }
            guard !entries.isEmpty else {
                print("No commits recorded yet. Make a commit, or run 'mlgate lineage sync' in a repository with history.")
                return
            }
            var rows = [["COMMIT", "BRANCH", "DATE", "AUTHOR", "SOURCE", "SUBJECT"]]
            for entry in entries {
                let facts = entry.commit.facts
                var subject = facts.subject
                if !facts.projects.isEmpty { subject += "  [\(facts.projects.joined(separator: ", "))]" }
                for rewrite in entry.rewrittenTo { subject += "  (\(rewrite.kind == .amend ? "amended" : "rebased") → \(rewrite.new.short))" }
                rows.append([
                    facts.id.short, entry.commit.branch ?? "(detached)",
                    Output.shortDate(facts.committer.time, offsetMinutes: facts.committer.offsetMinutes),
                    facts.author.name, entry.commit.source.rawValue, subject,
                ])
            }
            Output.table(rows)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show everything recorded about one commit.")

        @Argument(help: "A revision, or the id (or id prefix) of a recorded commit git no longer has.")
        var commit: String

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let context = try RepositoryContext.current()
            let lineage = try context.lineage()
            try lineage.reconcile()
            let entry = try lineage.show(commit)
            if json {
                try Output.json(LineageJSON(entry))
                return
            }
            let facts = entry.commit.facts
            var lines = [
                ("commit", facts.id.hex),
                ("parents", facts.parents.isEmpty ? "(root commit)" : facts.parents.map(\.hex).joined(separator: " ")),
                ("tree", facts.tree.hex),
                ("branch", entry.commit.branch ?? "(detached HEAD)"),
                ("author", "\(facts.author.name) <\(facts.author.email)> \(Output.timestamp(facts.author.time, offsetMinutes: facts.author.offsetMinutes))"),
                ("committer", "\(facts.committer.name) <\(facts.committer.email)> \(Output.timestamp(facts.committer.time, offsetMinutes: facts.committer.offsetMinutes))"),
                ("subject", facts.subject),
                ("projects", facts.projects.isEmpty ? "-" : facts.projects.joined(separator: ", ")),
                ("recorded", "\(entry.commit.source.rawValue) (\(entry.commit.event.rawValue)) at \(Output.timestamp(entry.commit.recordedAt))"),
            ]
            if facts.parentsMissing { lines.append(("note", "parents are beyond this shallow clone's history")) }
            for rewrite in entry.rewrittenFrom { lines.append(("rewritten from", "\(rewrite.old.hex) (\(rewrite.kind.rawValue))")) }
            for rewrite in entry.rewrittenTo { lines.append(("rewritten to", "\(rewrite.new.hex) (\(rewrite.kind.rawValue))")) }
            let runs = try context.openStore().runs(limit: 20, commit: facts.id.hex)
            lines.append(("runs", runs.isEmpty ? "-" : runs.map { "\($0.number) (\($0.status.rawValue)\($0.source.dirty ? ", dirty" : ""))" }.joined(separator: ", ")))
            Output.table(lines.map { [$0.0 + ":", $0.1] })
        }
    }

    struct Sync: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sync",
            abstract: "Record commits the hooks missed, by walking back from HEAD and every local branch.",
            discussion: "Stops at commits already recorded and at a shallow clone's boundary. Safe to run any time.")

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        func run() throws {
            let summary = try RepositoryContext.current().lineage().reconcile()
            if json {
                try Output.json(summary)
                return
            }
            var text = "Recorded \(summary.fromHooks) commit(s) from hooks and \(summary.backfilled) found by walking history"
            if summary.rewrites > 0 { text += "; \(summary.rewrites) rewrite(s)" }
            print(text + ".")
            if summary.shallow { print("This is a shallow clone: history before its boundary is not recorded (git fetch --unshallow, then sync again).") }
            if summary.unreadableJournalLines > 0 { printError("warning: dropped \(summary.unreadableJournalLines) unreadable journal line(s).") }
        }
    }
}
