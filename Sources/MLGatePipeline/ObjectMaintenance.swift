import Foundation
package import MLGateStore
import MLGateSystem
package import MLGateWorkspace

/// What `mlgate fsck` found: objects re-hashed, the damaged and the missing ones, and SQLite's integrity check.
package struct ObjectCheck: Encodable {
    package var checked: Int
    package var damaged: [Problem]
    package var missing: [Problem]
    package var database: String
    package var ok: Bool { damaged.isEmpty && missing.isEmpty && database == "ok" }

    /// One object and what is wrong with it.
    package struct Problem: Encodable {
        package var object: String
        package var detail: String
    }

    enum CodingKeys: String, CodingKey { case checked, damaged, missing, database, ok }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(checked, forKey: .checked)
        try container.encode(damaged, forKey: .damaged)
        try container.encode(missing, forKey: .missing)
        try container.encode(database, forKey: .database)
        try container.encode(ok, forKey: .ok)
    }
}

/// Checking and collecting the object store: every object re-hashed against its name, every reference a run, the
/// run cache, the registry or `mlgate.lock` makes, and the objects none of them need.
package enum ObjectMaintenance {
    /// Re-hashes every object, checks that every referenced one is present, and runs SQLite's integrity check.
    package static func check(workspace: Workspace, store: Store) throws -> ObjectCheck {
        let objects = workspace.objects
        try objects.prepare()
        var report = ObjectCheck(checked: 0, damaged: [], missing: [], database: (try? store.pragma("integrity_check")) ?? "unreadable")
        for hash in objects.allObjects() {
            report.checked += 1
            if let found = objects.damage(hash) {
                report.damaged.append(.init(object: hash, detail: "\(objects.path(of: hash)) hashes to \(found)"))
            }
        }
        let references = try ObjectReferences(workspace: workspace, store: store)
        for (hash, owner) in references.required where !objects.contains(hash) {
            report.missing.append(.init(object: hash, detail: "needed by \(owner)"))
        }
        return report
    }

    /// Deletes (or with `dryRun` only lists) the objects nothing refers to, under the exclusive objects lock, so
    /// no object a running stage just stored is removed; returns them, their bytes and how many were kept.
    package static func collect(workspace: Workspace, store: Store, dryRun: Bool) throws -> (deleted: [String], bytes: Int64, kept: Int) {
        let lock = try FileLock.objects(workspace.layout, exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        let objects = workspace.objects
        try objects.prepare()
        let keep = try ObjectReferences(workspace: workspace, store: store).hashes
        let garbage = objects.allObjects().filter { !keep.contains($0) }
        var bytes: Int64 = 0
        for hash in garbage {
            bytes += objects.size(of: hash)
            if !dryRun { objects.remove(hash) }
        }
        return (garbage, bytes, keep.count)
    }
}
