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
