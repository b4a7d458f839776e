import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateStore

/// `mlgate fsck`: re-hashes every object and checks that everything referenced is present.
struct FsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check the object store and the SQLite store for damage.",
        discussion: """
            Re-hashes every object in .mlgate/objects (each is named by the SHA-256 of its content), checks \
            that every object a run, the run cache or mlgate.lock refers to is present, and runs SQLite's \
            integrity check. Exits 0 when all is well and 1 naming each damaged or missing object. A damaged \
            object is never served: reads check the hash too. Repair with 'mlgate pull' from a remote, or \
            delete the object and re-run the stage that made it.
            """
    )

    @Flag(help: "Print JSON (shape in docs/json.md).")
    var json = false

    func run() throws {
        let workspace = try Workspace.current()
        let store = try workspace.openStore()
        let report = try ObjectMaintenance.check(workspace: workspace, store: store)
        if json {
            try Output.json(report)
        } else {
            for problem in report.damaged { print("damaged  \(problem.object)  \(problem.detail)") }
            for problem in report.missing { print("missing  \(problem.object)  \(problem.detail)") }
            if report.database != "ok" { print("database \(store.path): \(report.database)") }
            print(report.ok ? "ok: \(report.checked) objects intact, every reference present, database ok."
                            : "\(report.damaged.count) damaged, \(report.missing.count) missing. Restore with 'mlgate pull', or delete the damaged object and re-run the stage that made it.")
        }
        if !report.ok { throw ExitCode(1) }
    }
}

/// `mlgate gc`: deletes objects nothing refers to any more.
struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete objects no run, run-cache entry or mlgate.lock refers to.",
        discussion: """
            Keeps every object a recorded run (outputs, logs, diffs, package lists), a registered model version, \
            the run cache or this \
            worktree's mlgate.lock refers to, with the files of every kept directory. Waits for running \
            'mlgate run's to finish first, so it never deletes what a stage just stored.
            """
    )

    @Flag(help: "Only list what would be deleted.")
    var dryRun = false

    @Flag(help: "Print JSON (shape in docs/json.md).")
    var json = false

    func run() throws {
        let workspace = try Workspace.current()
        let store = try workspace.openStore()
        let (garbage, bytes, kept) = try ObjectMaintenance.collect(workspace: workspace, store: store, dryRun: dryRun)
        if json {
            return try Output.json(GcReport(deleted: garbage, bytes: bytes, kept: kept, dryRun: dryRun))
        }
        for hash in garbage where dryRun { print(hash) }
        print("\(dryRun ? "would delete" : "deleted") \(garbage.count) objects (\(ByteCountFormatter.string(fromByteCount: bytes, countStyle: .file))); kept \(kept).")
    }
}

/// `mlgate gc --json`.
struct GcReport: Encodable {
    let deleted: [String]
    let bytes: Int64
    let kept: Int
    let dryRun: Bool

    enum CodingKeys: String, CodingKey { case deleted, bytes, kept, dryRun = "dry_run" }
}

/// `mlgate push`: copies the objects runs and mlgate.lock refer to, and the run cache, to the remote object store.
struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy objects and the run cache to the remote object store.",
        discussion: """
            The remote is a directory (a mounted volume, a shared disk) or an S3-compatible bucket \
            (s3://bucket/prefix: AWS, MinIO, Ceph, R2; see remote.s3 in docs/config.md), named by \
            'remote.objects' in mlgate.yaml or --to. Objects are copied with the same atomic writes and hash \
            checks as the local store (in S3, a PUT or a completed multipart upload appears whole), so an \
            interrupted push leaves no torn object; objects already there are skipped. S3 credentials come from \
            AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the AWS profile files, never from mlgate.yaml.
            """
    )

    @Option(help: "The remote: a directory, or s3://bucket/prefix (default: remote.objects in mlgate.yaml).")
    var to: String?

    func run() throws {
        let workspace = try Workspace.current()
        let store = try workspace.openStore()
        let remote = try RemoteObjects(workspace: workspace, override: to)
        let (copied, written) = try remote.push(from: workspace, store: store)
        print("pushed \(copied) objects and \(written) run-cache entries to \(remote.root).")
    }
}

/// `mlgate pull`: fetches what mlgate.lock needs (or everything the remote's run cache names) from the remote.
struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch objects and the run cache from the remote object store.",
        discussion: """
            Imports the remote's run-cache entries, then fetches the outputs this worktree's mlgate.lock \
            names (--all: every output the run cache names). Afterwards 'mlgate run' restores those outputs \
            instead of running their stages — how a CI runner gets the last trained model without training. \
            Every object is checked against its SHA-256 before it is stored: a damaged download is refused.
            """
    )

    @Option(help: "The remote: a directory, or s3://bucket/prefix (default: remote.objects in mlgate.yaml).")
    var from: String?

    @Flag(help: "Fetch every output of the remote's run cache, not only what mlgate.lock names.")
    var all = false

    func run() throws {
        let workspace = try Workspace.current()
        let store = try workspace.openStore()
        let remote = try RemoteObjects(workspace: workspace, override: from)
        let (fetched, imported, missing) = try remote.pull(into: workspace, store: store, all: all)
        print("pulled \(fetched) objects and \(imported) new run-cache entries from \(remote.root).")
        if !missing.isEmpty {
            printError("warning: \(missing.count) objects are not on the remote either (first: \(missing[0])); run the stages that make them and 'mlgate push'.")
        }
    }
}

/// `mlgate store`: which store is in use, and what it holds.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Show which store this repository uses and what it holds.",
        subcommands: [Status.self],
        defaultSubcommand: Status.self
    )

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Say which store is in use, its schema, its size, and where objects and training go.",
            discussion: """
                The records (lineage, runs, the run cache, the registry and its audit log, the queue, events, \
                monitor checks) live in the embedded SQLite store .mlgate/store.sqlite at the main worktree's root, \
                shared by its linked worktrees; outputs and artifacts in the object store .mlgate/objects, and on \
                the remote that remote.objects names. A shared PostgreSQL store is not built yet (docs/team.md).
                """)

        @Flag(help: "Print JSON (shape in docs/json.md).")
        var json = false

        /// What `--json` prints.
        struct Report: Encodable {
            enum CodingKeys: String, CodingKey {
                case kind, path, bytes, journalMode = "journal_mode", census, objects, objectBytes = "object_bytes", remoteObjects = "remote_objects", executor
            }
            let kind: String
            let path: String
            let bytes: Int64
            let journalMode: JSONNullable<String>
            let census: Store.Census
            let objects: Int
            let objectBytes: Int64
            let remoteObjects: JSONNullable<String>
            let executor: String
        }

        func run() throws {
            let workspace = try Workspace.current()
            let store = try Store(path: workspace.layout.database)
            let objects = workspace.objects.allObjects()
            func size(_ path: String) -> Int64 { ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber) ?? nil)?.int64Value ?? 0 }
            let configuration = try? workspace.configuration()
            let report = Report(kind: "sqlite", path: workspace.layout.database,
                                bytes: size(workspace.layout.database) + size(workspace.layout.database + "-wal"),
                                journalMode: JSONNullable(try store.pragma("journal_mode")), census: try store.census(), objects: objects.count,
                                objectBytes: objects.reduce(0) { $0 + workspace.objects.size(of: $1) },
                                remoteObjects: JSONNullable(configuration?.remote.objects), executor: configuration?.executor.name ?? "local")
            if json { return try Output.json(report) }
            let census = report.census
            print("store: embedded SQLite at \(report.path) (\(Output.bytes(report.bytes)), journal \(report.journalMode.value ?? "?"))")
            print("schema: \(census.migrations) migrations, the newest \(census.latestMigration ?? "none")")
            print("holds: \(census.runs) runs, \(census.versions) model versions, \(census.auditRows) audit rows, \(census.pendingJobs) pending jobs, "
                  + "\(census.monitorChecks) monitor checks, \(census.undeliveredEvents) undelivered events")
            print("objects: \(report.objects) in \(workspace.objects.root) (\(Output.bytes(report.objectBytes))); remote: \(report.remoteObjects.value ?? "none (remote.objects is not set)")")
            print("training: \(report.executor == "local" ? "here (the queue's worker)" : "dispatched to \(report.executor) (executor: in mlgate.yaml)")")
        }
    }
}
