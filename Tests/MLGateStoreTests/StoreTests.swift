import Foundation
import GRDB
import MLGateCore
import MLGateSystem
import MLGateStore
import MLGateTestSupport
import Synchronization
import Testing

private func someCommit(_ n: Int, branch: String? = "main") -> LineageCommit {
    let hex = String(format: "%040x", n)
    let someone = Signature(name: "A", email: "a@x", time: Int64(n), offsetMinutes: 60)
    let facts = CommitFacts(id: CommitID(hex: hex)!, parents: n > 1 ? [CommitID(hex: String(format: "%040x", n - 1))!] : [],
                            tree: CommitID(hex: String(format: "%040x", n + 10_000))!, author: someone, committer: someone,
                            subject: "commit \(n)", projects: n % 2 == 0 ? ["churn"] : [])
    return LineageCommit(facts: facts, branch: branch, source: .hook, event: .commit, recordedAt: Int64(n))
}

@Suite("SQLite store")
struct StoreTests {
    @Test("WAL, synchronous=FULL, a busy timeout, and every write is BEGIN IMMEDIATE")
    func durabilitySettings() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(path: directory + "/store.sqlite")
        #expect(try store.pragma("journal_mode") == "wal")
        #expect(try store.pragma("synchronous") == "2")
        #expect(try Int(store.pragma("busy_timeout") ?? "0") ?? 0 >= 1000)
        let statements = Mutex<[String]>([])
        store.traceStatements { sql in statements.withLock { $0.append(sql) } }
        try store.write { try $0.record(someCommit(1)) }
        #expect(statements.withLock { $0.contains("BEGIN IMMEDIATE TRANSACTION") })
        #expect(try store.appliedMigrations() == ["v1-lineage", "v2-pipeline", "v3-registry", "v4-registry-trust", "v5-folder-state", "v6-endpoint-traffic", "v7-monitor-checks", "v8-endpoint-models", "v9-event-delivery", "v10-job-reasons", "v11-version-profiles", "v12-job-dispatch"])
    }

    @Test("an up-to-date store opens while another connection holds the write lock (opening never migrates it again)")
    func opensBesideAWriter() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/store.sqlite"
        _ = try Store(path: path)
        let writer = try DatabaseQueue(path: path)
        try writer.inTransaction(.immediate) { db in
            // Migrating would wait here for the lock (30 s) and then fail with "database is locked".
            let reader = try Store(path: path)
            #expect(try reader.appliedMigrations().count == 12)
            #expect(try reader.pragma("journal_mode") == "wal")
            return .rollback
        }
    }

    @Test("records round-trip, duplicates are ignored, queries filter and order")
    func roundTrip() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(path: directory + "/store.sqlite")
        let commits = (1...5).map { someCommit($0, branch: $0 == 5 ? "topic" : "main") }
        let inserted = try store.write { transaction in try commits.map { try transaction.record($0) } }
        #expect(inserted.allSatisfy { $0 })
        #expect(try store.write { try $0.record(commits[0]) } == false)
        let all = try store.read { try $0.commits(LineageQuery()) }
        #expect(all == commits.reversed())
        #expect(try store.read { try $0.commits(LineageQuery(branch: "topic")) }.map(\.facts.id) == [commits[4].facts.id])
        let reachable = try store.read { try $0.commits(LineageQuery(reachableFrom: [commits[2].facts.id])) }
        #expect(reachable.map(\.facts.id) == [3, 2, 1].map { commits[$0 - 1].facts.id })
        #expect(try store.read { try $0.commits(LineageQuery(limit: 2)) }.count == 2)
    }
}
