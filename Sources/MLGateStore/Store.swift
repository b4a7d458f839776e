public import MLGateCore
import MLGateSystem
import Foundation
import GRDB

/// mlgate's SQLite store (`.mlgate/store.sqlite`), the only user of GRDB.
///
/// Opened in WAL mode with `synchronous=FULL` and a 30 s busy timeout; every write is one
/// `BEGIN IMMEDIATE` transaction, so concurrent processes queue instead of failing or interleaving.
public final class Store {
    let queue: DatabaseQueue
    /// The database file.
    public let path: String

    /// Opens (creating and migrating if needed) the store at `path`.
    ///
    /// - Throws: `StoreError.newerSchema` when a newer mlgate wrote it; this version then changes nothing.
    public init(path: String) throws(StoreError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // Set here rather than through `journalMode = .wal`, which also lowers synchronous to NORMAL.
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let migrator = Schema.migrator
            let applied = try queue.read { db in try migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(migrator.migrations)
            guard unknown.isEmpty else {
                throw StoreError.newerSchema(path: path, unknownMigrations: unknown.sorted())
            }
            // Migrating takes the write lock even when there is nothing to do; an up-to-date store (every open after
            // the first) is left alone. Another process migrating at the same moment is serialised by that lock.
            if applied.count < migrator.migrations.count { try migrator.migrate(queue) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction; everything it records commits together or not at all.
    public func write<T>(_ body: (LineageTransaction) throws -> T) throws -> T {
        do {
            return try queue.write { db in try body(LineageTransaction(db: db)) }
        } catch let error as DatabaseError {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// Runs `body` in a read transaction.
    public func read<T>(_ body: (LineageReader) throws -> T) throws -> T {
        do {
            return try queue.read { db in try body(LineageReader(db: db)) }
        } catch let error as DatabaseError {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// The identifiers of the migrations applied to this store, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        do { return try queue.read { try Schema.migrator.completedMigrations($0) } } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// How many rows the store's main records hold, and whether its schema is the one this mlgate writes.
    public struct Census: Sendable, Encodable {
        enum CodingKeys: String, CodingKey {
            case runs, versions = "model_versions", pendingJobs = "pending_jobs", auditRows = "audit_rows", undeliveredEvents = "undelivered_events"
            case monitorChecks = "monitor_checks", migrations, latestMigration = "latest_migration"
        }
        public let runs: Int
        public let versions: Int
        /// Jobs queued, running or waiting for approval.
        public let pendingJobs: Int
        public let auditRows: Int
        /// Deliveries waiting for a retry or dead-lettered.
        public let undeliveredEvents: Int
        public let monitorChecks: Int
        /// The migrations applied, and the newest of them (opening a store applies every one this mlgate knows).
        public let migrations: Int
        public let latestMigration: String?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(runs, forKey: .runs)
            try container.encode(versions, forKey: .versions)
            try container.encode(pendingJobs, forKey: .pendingJobs)
            try container.encode(auditRows, forKey: .auditRows)
            try container.encode(undeliveredEvents, forKey: .undeliveredEvents)
            try container.encode(monitorChecks, forKey: .monitorChecks)
            try container.encode(migrations, forKey: .migrations)
            try container.encode(latestMigration, forKey: .latestMigration)
        }
    }

    /// The store's census.
    public func census() throws(StoreError) -> Census {
        let applied = try appliedMigrations()
        return try reading { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
            return Census(runs: try count("SELECT COUNT(*) FROM runs"), versions: try count("SELECT COUNT(*) FROM model_versions WHERE status != 'deleted'"),
                          pendingJobs: try count("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running', 'untrusted')"),
                          auditRows: try count("SELECT COUNT(*) FROM audit"),
                          undeliveredEvents: try count("SELECT COUNT(*) FROM event_deliveries WHERE state != 'delivered'"),
                          monitorChecks: try count("SELECT COUNT(*) FROM monitor_checks"),
                          migrations: applied.count, latestMigration: applied.last)
        }
    }

    /// Reads a pragma's value, for diagnostics and tests.
    public func pragma(_ name: String) throws(StoreError) -> String? {
        do { return try queue.read { try String.fetchOne($0, sql: "PRAGMA \(name)") } } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// Runs `body` with every SQL statement the store executes, for tests that assert transaction kinds.
    public func traceStatements(_ body: @escaping @Sendable (String) -> Void) {
        queue.inDatabase { db in db.trace { body($0.expandedDescription) } }
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}
