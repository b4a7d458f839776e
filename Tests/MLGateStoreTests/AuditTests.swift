import Foundation
import GRDB
import MLGateCore
import MLGateSystem
import MLGateStore
import MLGateTestSupport
import Testing

@Suite("audit log")
struct AuditTests {
    /// A store with `count` audit rows from real registry mutations; returns its folder and path.
    func populated(_ count: Int) throws -> (directory: String, path: String) {
        let directory = try GitFixture.makeTemporaryDirectory()
        let path = directory + "/store.sqlite"
        let store = try Store(path: path)
        let actor = RegistryActor(name: "Ada <ada@example.com>", reason: "test")
        for index in 0..<count {
            if index % 3 == 2 {
                _ = try store.setAlias(model: "churn", alias: "champion", version: index / 3 + 1, by: actor)
            } else {
                _ = try store.register(model: "churn", NewModelVersion(artifact: String(repeating: "a", count: 64), artifactIsDirectory: false), by: actor)
            }
        }
        return (directory, path)
    }

    @Test("an intact log verifies; the table refuses UPDATE and DELETE")
    func intact() throws {
        let (directory, path) = try populated(30)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(path: path)
        #expect(try store.verifyAudit() == nil)
        #expect(try store.auditLog().count == 30)
        let queue = try DatabaseQueue(path: path)
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "UPDATE audit SET actor = 'Mallory' WHERE sequence = 3") } }
        #expect(throws: (any Error).self) { try queue.write { try $0.execute(sql: "DELETE FROM audit WHERE sequence = 3") } }
    }

    @Test("every change, deletion, swap, insertion and truncation is found, at the first bad row")
    func mutations() throws {
        let rows = 60
        let (directory, path) = try populated(rows)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trials = ProcessInfo.processInfo.environment["MLGATE_AUDIT_MUTATIONS"].flatMap(Int.init) ?? 100
        var generator = SeededRandom(seed: 42)
        for trial in 0..<trials {
            let copy = directory + "/trial-\(trial).sqlite"
            let queue = try DatabaseQueue(path: path)
            try queue.backup(to: try DatabaseQueue(path: copy))
            let target = Int.random(in: 1...rows, using: &generator)
            let kind = trial % 5
            let mutated = try DatabaseQueue(path: copy)
            try mutated.write { db in
                try db.execute(sql: "DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete")
                switch kind {
                case 0:  // change one field
                    try db.execute(sql: "UPDATE audit SET reason = 'rewritten' WHERE sequence = ?", arguments: [target])
                case 1:  // delete a row (not the last: that is truncation)
                    try db.execute(sql: "DELETE FROM audit WHERE sequence = ?", arguments: [min(target, rows - 1)])
                case 2:  // swap the contents of two neighbouring rows
                    let other = target == rows ? target - 1 : target + 1
                    try db.execute(sql: "UPDATE audit SET sequence = -1 WHERE sequence = ?", arguments: [target])
                    try db.execute(sql: "UPDATE audit SET sequence = ? WHERE sequence = ?", arguments: [target, other])
                    try db.execute(sql: "UPDATE audit SET sequence = ? WHERE sequence = -1", arguments: [other])
                case 3:  // insert a forged row at the end, hashed correctly but not recorded as the head
                    try db.execute(sql: """
                        INSERT INTO audit (sequence, at, actor, action, subject, before, after, reason, verdict_digest, previous_hash, hash)
                        SELECT sequence + 1, at, 'Mallory', 'promote', subject, before, after, reason, verdict_digest, hash, hash FROM audit
                        WHERE sequence = ?
                        """, arguments: [rows])
                default:  // truncate the tail
                    try db.execute(sql: "DELETE FROM audit WHERE sequence >= ?", arguments: [max(target, 2)])
                }
            }
            let found = try Store(path: copy).verifyAudit()
            #expect(found != nil, "trial \(trial) (kind \(kind), row \(target)) was not detected")
            if kind == 0, let found { #expect(found.sequence == target) }
            try? FileManager.default.removeItem(atPath: copy)
        }
    }
}
