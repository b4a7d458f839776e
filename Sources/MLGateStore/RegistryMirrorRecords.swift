public import MLGateCore
import MLGateSystem
import Foundation
import GRDB

/// A registry event as the git mirror writes it: the outbox row with the facts of its version.
public struct MirrorEvent: Sendable {
    /// The event's row id.
    public var id: Int
    /// The registry action (`register`, `promote`, `alias-set`…).
    public var action: String
    /// The model.
    public var model: String
    /// The version, when the event concerns one.
    public var version: Int?
    /// Who did it.
    public var actor: String
    /// Why, as given.
    public var reason: String?
    /// The state before, as JSON text (`null` for none): a stage for stage moves, `{alias, version}` for alias
    /// moves, `{target, version}` for deployments.
    public var before: String
    /// The state after, as JSON text.
    public var after: String
    /// The per-model stage-event number, for stage moves.
    public var counter: Int?
    /// When it happened, in milliseconds since 1970.
    public var createdAt: Int64
    /// The version's commit, which the tag and note attach to.
    public var commit: String?
    /// The version's artifact hash.
    public var artifact: String?
    /// Whether the version's gate passed (nil without a verdict).
    public var gatePassed: Bool?
    /// Its verdict's digest and full text, which travel with the notes so other clones can check the gate.
    public var verdictDigest: String?
    /// The verdict's JSON text.
    public var verdict: String?
    /// The branch the version was built on.
    public var branch: String?
    /// The version's monitor profile.
    public var profile: String?
}

/// The outbox as the git mirror reads it, and what `mlgate models sync` brings back from git.
extension Store {
    /// Events not yet written to git (tags and notes) and not set aside, oldest first, with their version's facts.
    public func pendingMirrorEvents() throws(StoreError) -> [MirrorEvent] {
        try mirrorEvents(where: "events.mirrored_at IS NULL AND events.mirror_error IS NULL")
    }

    /// Every event this store wrote to git itself (not those a sync imported), oldest first.
    public func mirroredEvents() throws(StoreError) -> [MirrorEvent] {
        try mirrorEvents(where: "events.mirrored_at IS NOT NULL AND events.kind != 'model.sync'")
    }

    private func mirrorEvents(where condition: String) throws(StoreError) -> [MirrorEvent] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT events.id, events.kind, events.model, events.version, events.payload, events.counter, events.created_at,
                       model_versions.commit_id, model_versions.artifact, model_versions.verdict_passed, model_versions.verdict_digest,
                       model_versions.verdict, model_versions.branch, model_versions.profile
                FROM events LEFT JOIN model_versions ON model_versions.model = events.model AND model_versions.version = events.version
                WHERE \(condition) ORDER BY events.id
                """).map { row in
                let payload = Self.payload(row["payload"])
                return MirrorEvent(id: row["id"], action: String((row["kind"] as String).dropFirst(6)), model: row["model"], version: row["version"],
                                   actor: payload.actor, reason: payload.reason, before: payload.before, after: payload.after,
                                   counter: row["counter"], createdAt: row["created_at"], commit: row["commit_id"], artifact: row["artifact"],
                                   gatePassed: row["verdict_passed"], verdictDigest: row["verdict_digest"], verdict: row["verdict"], branch: row["branch"],
                                   profile: row["profile"])
            }
        }
    }

    /// The fields of an event payload (`{"action","actor","after","before","reason"}`), `before` and `after` as JSON text.
    static func payload(_ text: String) -> (actor: String, reason: String?, before: String, after: String) {
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? [String: Any] ?? [:]
        func json(_ value: Any?) -> String {
            guard let value, !(value is NSNull) else { return "null" }
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        return (object["actor"] as? String ?? "", object["reason"] as? String, json(object["before"]), json(object["after"]))
    }

    /// Marks an event as written to git.
    public func markMirrored(_ id: Int) throws(StoreError) {
        try transaction { db in
            try db.execute(sql: "UPDATE events SET mirrored_at = ? WHERE id = ?", arguments: [Store.nowMilliseconds, id])
        }
    }

    /// Sets an event aside that can never be written to git (`reason` says why); later events go on.
    public func markMirrorFailed(_ id: Int, reason: String) throws(StoreError) {
        try transaction { db in
            try db.execute(sql: "UPDATE events SET mirror_error = ? WHERE id = ?", arguments: [reason, id])
        }
    }

    /// Events set aside by the mirror, with their reasons.
    public func unmirrorableEvents() throws(StoreError) -> [(id: Int, kind: String, model: String, reason: String)] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT id, kind, model, mirror_error FROM events WHERE mirror_error IS NOT NULL ORDER BY id").map {
                (id: $0["id"], kind: $0["kind"], model: $0["model"], reason: $0["mirror_error"])
            }
        }
    }

    /// Gives the stage events of `model` numbered `old` the numbers `new` (their tags were renumbered past the
    /// remote's), in one transaction so a chain of moves never collides.
    public func renumberStageEvents(model: String, _ moves: [Int: Int]) throws(StoreError) {
        guard !moves.isEmpty else { return }
        try transaction { db in
            for (old, new) in moves {
                try db.execute(sql: "UPDATE events SET counter = ? WHERE model = ? AND counter = ?", arguments: [-new, model, old])
            }
            try db.execute(sql: "UPDATE events SET counter = -counter WHERE model = ? AND counter < 0", arguments: [model])
        }
    }

    /// Gives stage event `id` the next `count` stage-event numbers of its model (its tags' names were taken in
    /// git by other tags); returns the first.
    public func reassignEventCounter(_ id: Int, model: String, count: Int) throws(StoreError) -> Int {
        try transaction { db in
            let counter = try Int.fetchOne(db, sql: "SELECT next_event FROM models WHERE name = ?", arguments: [model]) ?? 1
            try db.execute(sql: "UPDATE models SET next_event = next_event + ? WHERE name = ?", arguments: [count, model])
            try db.execute(sql: "UPDATE events SET counter = ? WHERE id = ?", arguments: [counter, id])
            return counter
        }
    }

    // MARK: What a sync brings back

    /// Every verdict this store recorded, by digest: model, candidate artifact, passed.
    public func recordedVerdicts() throws(StoreError) -> [String: CheckedVerdict] {
        try reading { db in
            var result: [String: CheckedVerdict] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT model, candidate_artifact, passed, digest FROM verdicts") {
                result[row["digest"]] = CheckedVerdict(model: row["model"], artifact: row["candidate_artifact"], passed: row["passed"])
            }
            return result
        }
    }

    /// Every approval this store holds, by `model/version/stage`.
    public func allApprovals() throws(StoreError) -> [String: Set<String>] {
        try reading { db in
            var result: [String: Set<String>] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT model, version, stage, actor FROM approvals") {
                result["\(row["model"] as String)/\(row["version"] as Int)/\(row["stage"] as String)", default: []].insert(row["actor"])
            }
            return result
        }
    }

    /// Adds a version found in git and accepted by the sync's replay, unless the store has it; returns whether it
    /// did. Recorded in the audit log as a sync under the registering actor.
    public func importVersion(_ found: AcceptedVersion, tagger: String, taggedAt: Int64) throws -> Bool {
        try mutate { db in
            let createdAt = found.at > 0 ? found.at : taggedAt
            let createdBy = found.actor ?? tagger
            try db.execute(sql: "INSERT OR IGNORE INTO models (name, created_at) VALUES (?, ?)", arguments: [found.model, createdAt])
            try db.execute(sql: "UPDATE models SET next_version = MAX(next_version, ?) WHERE name = ?", arguments: [found.version + 1, found.model])
            try db.execute(sql: """
                INSERT OR IGNORE INTO model_versions (model, version, artifact, artifact_is_directory, commit_id, data_hashes, tags, status,
                                                      verdict_digest, verdict_passed, branch, created_at, created_by, profile)
                VALUES (?, ?, ?, 0, ?, '{}', '{}', 'active', ?, ?, ?, ?, ?, ?)
                """, arguments: [found.model, found.version, found.artifact, found.commit, found.verdictDigest, found.gatePassed, found.branch,
                                 createdAt, createdBy, found.profile])
            guard db.changesCount == 1 else { return false }
            let imported = try Self.version(db, model: found.model, version: found.version)
            try Self.record(db, action: "sync", model: found.model, version: found.version, before: "null", after: Self.state(imported),
                            actor: RegistryActor(name: createdBy, reason: "found in git by 'mlgate models sync'"), verdictDigest: found.verdictDigest)
            return true
        }
    }

    /// Moves the numbering of `model` past what git holds — version numbers and stage-event numbers of every
    /// registry tag, refused ones included — so a local change never takes a name git already has.
    public func advanceCounters(model: String, pastVersion version: Int?, pastEvent event: Int?) throws(StoreError) {
        try transaction { db in
            try db.execute(sql: "INSERT OR IGNORE INTO models (name, created_at) VALUES (?, ?)", arguments: [model, Store.nowMilliseconds])
            if let version {
                try db.execute(sql: "UPDATE models SET next_version = MAX(next_version, ?) WHERE name = ?", arguments: [version + 1, model])
            }
            if let event {
                try db.execute(sql: "UPDATE models SET next_event = MAX(next_event, ?) WHERE name = ?", arguments: [event + 1, model])
            }
        }
    }

    /// Sets the stage of an active version to what the tags in git say (nil: none), with a `sync` audit row naming
    /// the tags; returns whether it changed.
    @discardableResult
    public func applySyncedStage(model: String, version: Int, stage: String?) throws -> Bool {
        try mutate { db in
            let current = try Self.version(db, model: model, version: version)
            guard current.status == "active", current.stage != stage else { return false }
            try db.execute(sql: "UPDATE model_versions SET stage = ? WHERE model = ? AND version = ?", arguments: [stage, model, version])
            try Self.record(db, action: "sync", model: model, version: version, before: current.stage.map(JSONText.quoted) ?? "null",
                            after: stage.map(JSONText.quoted) ?? "null",
                            actor: RegistryActor(name: "mlgate models sync", reason: "stage tags found in git"))
            return true
        }
    }

    /// Adds an approval found in git's notes (`mlgate approve` elsewhere) when the version exists here and the
    /// approval is new; recorded in the audit log as a sync. Returns whether it was new.
    @discardableResult
    public func importApproval(model: String, version: Int, stage: String, actor: String, at: Int64) throws -> Bool {
        try mutate { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM model_versions WHERE model = ? AND version = ? AND status = 'active')",
                                    arguments: [model, version]) == true else { return false }
            try db.execute(sql: "INSERT OR IGNORE INTO approvals (model, version, stage, actor, at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [model, version, stage, actor, at])
            guard db.changesCount == 1 else { return false }
            try Self.record(db, action: "sync", model: model, version: version, before: "null",
                            after: #"{"approval":\#(JSONText.quoted(actor)),"stage":\#(JSONText.quoted(stage))}"#,
                            actor: RegistryActor(name: "mlgate models sync", reason: "approval found in refs/notes/mlgate"))
            return true
        }
    }

    /// Sets (or, with nil, removes) an alias found in git's notes, when the version exists here and the alias
    /// differs; recorded in the audit log as a sync.
    public func importAlias(model: String, alias: String, version: Int?) throws {
        try mutate { db in
            let current = try Int.fetchOne(db, sql: "SELECT version FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            guard current != version else { return }
            if let version {
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM model_versions WHERE model = ? AND version = ? AND status = 'active')",
                                        arguments: [model, version]) == true else { return }
                try db.execute(sql: "INSERT OR REPLACE INTO aliases (model, alias, version) VALUES (?, ?, ?)", arguments: [model, alias, version])
            } else {
                try db.execute(sql: "DELETE FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            }
            try Self.record(db, action: "sync", model: model, version: version ?? current,
                            before: current.map { #"{"alias":\#(JSONText.quoted(alias)),"version":\#($0)}"# } ?? "null",
                            after: version.map { #"{"alias":\#(JSONText.quoted(alias)),"version":\#($0)}"# } ?? "null",
                            actor: RegistryActor(name: "mlgate models sync", reason: "alias found in refs/notes/mlgate"))
        }
    }

    /// Records a deployment made elsewhere (a note in git): `target` served `version` of `model` from `at` on. Applied
    /// once (the same target, version and time are not imported twice); the target's earlier active deployment
    /// is marked replaced (or rolled back) when this one is newer. Returns whether it was new.
    @discardableResult
    public func importDeployment(target: String, model: String, version: Int, at: Int64, rollback: Bool, actor: String) throws -> Bool {
        try mutate { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM model_versions WHERE model = ? AND version = ?)",
                                    arguments: [model, version]) == true else { return false }
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deployments WHERE target = ? AND model = ? AND version = ? AND deployed_at = ?)",
                                    arguments: [target, model, version, at]) == false else { return false }
            let previous = try Row.fetchOne(db, sql: "SELECT id, version, deployed_at FROM deployments WHERE target = ? AND status = 'active'", arguments: [target])
            let newer = previous.map { ($0["deployed_at"] as Int64) < at } ?? true
            if newer, let previous {
                try db.execute(sql: "UPDATE deployments SET status = ? WHERE id = ?", arguments: [rollback ? "rolled-back" : "replaced", previous["id"] as Int])
            }
            try db.execute(sql: "INSERT INTO deployments (target, model, version, status, deployed_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [target, model, version, newer ? "active" : "replaced", at])
            try Self.record(db, action: "sync", model: model, version: version,
                            before: previous.map { #"{"target":\#(JSONText.quoted(target)),"version":\#($0["version"] as Int)}"# } ?? "null",
                            after: #"{"target":\#(JSONText.quoted(target)),"version":\#(version)}"#,
                            actor: RegistryActor(name: actor, reason: "\(rollback ? "rollback" : "deployment") found in refs/notes/mlgate"))
            return true
        }
    }
}
