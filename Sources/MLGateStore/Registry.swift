public import MLGateCore
import MLGateSystem
import Foundation
import GRDB

/// Who does a registry change and why; every mutation writes its audit row and event in its own transaction.
public struct RegistryActor: Sendable {
    /// `name <email>` from git, or `ci:<provider>:<user>`.
    public var name: String
    /// The reason given (`--reason`), if any.
    public var reason: String?

    /// Creates an actor.
    public init(name: String, reason: String? = nil) {
        self.name = name
        self.reason = reason
    }
}

/// What `register` stores.
public struct NewModelVersion: Sendable {
    /// The artifact's object hash.
    public var artifact: String
    /// Whether the artifact is a folder (a manifest object).
    public var artifactIsDirectory: Bool
    /// The path it was registered from.
    public var sourcePath: String?
    /// The commit it was built from.
    public var commit: String?
    /// The run that produced it.
    public var run: Int?
    /// Hashes of the data it depends on, by path.
    public var dataHashes: [String: String]
    /// The gate verdict attached, as JSON text.
    public var verdict: String?
    /// That verdict's SHA-256.
    public var verdictDigest: String?
    /// Whether the attached verdict passed (nil without one): what a lifecycle's `gate: passed` reads.
    public var verdictPassed: Bool?
    /// The branch the version was built on: what a lifecycle's `branch:` reads.
    public var branch: String?
    /// Free text.
    public var description: String?
    /// Tags.
    public var tags: [String: String]
    /// The folder object holding the monitor's reference data as registered (`mlgate monitor profile`), if captured.
    public var profile: String?

    /// Creates the description of a new version.
    public init(artifact: String, artifactIsDirectory: Bool, sourcePath: String? = nil, commit: String? = nil, run: Int? = nil,
                dataHashes: [String: String] = [:], verdict: String? = nil, verdictDigest: String? = nil, branch: String? = nil,
                description: String? = nil, tags: [String: String] = [:]) {
        self.branch = branch
        self.artifact = artifact
        self.artifactIsDirectory = artifactIsDirectory
        self.sourcePath = sourcePath
        self.commit = commit
        self.run = run
        self.dataHashes = dataHashes
        self.verdict = verdict
        self.verdictDigest = verdictDigest
        self.description = description
        self.tags = tags
    }
}

/// The model registry: versions, aliases, stages, approvals, the event outbox and the hash-chained audit log.
///
/// Every mutation is one BEGIN IMMEDIATE transaction that changes the registry, appends its audit row
/// (whose hash covers the previous row's) and its event, or does nothing at all. Version numbers come from
/// a counter on the model row inside that transaction: concurrent registrations queue, never collide, never skip.
extension Store {
    /// Registers the next version of `model` (creating the model on its first registration).
    public func register(model: String, _ new: NewModelVersion, by actor: RegistryActor) throws -> ModelVersion {
        try ModelURI.validateName(model)
        return try mutate { db in
            let now = Store.nowMilliseconds
            try db.execute(sql: "INSERT OR IGNORE INTO models (name, description, created_at) VALUES (?, ?, ?)",
                           arguments: [model, new.description, now])
            let version = try Int.fetchOne(db, sql: "SELECT next_version FROM models WHERE name = ?", arguments: [model]) ?? 1
            try db.execute(sql: "UPDATE models SET next_version = next_version + 1 WHERE name = ?", arguments: [model])
            try db.execute(sql: """
                INSERT INTO model_versions (model, version, artifact, artifact_is_directory, source_path, commit_id, run_id, data_hashes,
                                            verdict, verdict_digest, verdict_passed, branch, description, tags, status, created_at, created_by, profile)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)
                """, arguments: [model, version, new.artifact, new.artifactIsDirectory, new.sourcePath, new.commit, new.run,
                                 Self.json(new.dataHashes), new.verdict, new.verdictDigest, new.verdictPassed, new.branch, new.description,
                                 Self.json(new.tags), now, actor.name, new.profile])
            let registered = try Self.version(db, model: model, version: version)
            try Self.record(db, action: "register", model: model, version: version, before: "null", after: Self.state(registered),
                            actor: actor, verdictDigest: new.verdictDigest)
            return registered
        }
    }

    /// Points `alias` of `model` at `version`.
    public func setAlias(model: String, alias: String, version: Int, by actor: RegistryActor) throws -> Int? {
        try ModelURI.validateAlias(alias)
        return try mutate { db in
            let target = try Self.version(db, model: model, version: version)
            guard target.status == "active" else {
                throw RegistryError(.refused, "\(target.uri) is \(target.status); only an active version can carry an alias.")
            }
            let previous = try Int.fetchOne(db, sql: "SELECT version FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            try db.execute(sql: "INSERT OR REPLACE INTO aliases (model, alias, version) VALUES (?, ?, ?)", arguments: [model, alias, version])
            try Self.record(db, action: "alias-set", model: model, version: version,
                            before: previous.map { #"{"alias":\#(JSONText.quoted(alias)),"version":\#($0)}"# } ?? "null",
                            after: #"{"alias":\#(JSONText.quoted(alias)),"version":\#(version)}"#, actor: actor)
            return previous
        }
    }

    /// Removes `alias` of `model`; returns the version it pointed at.
    public func unsetAlias(model: String, alias: String, by actor: RegistryActor) throws -> Int {
        try mutate { db in
            guard let previous = try Int.fetchOne(db, sql: "SELECT version FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias]) else {
                throw RegistryError(.invalidInput, "model '\(model)' has no alias '\(alias)'; 'mlgate models show \(model)' lists its aliases.")
            }
            try db.execute(sql: "DELETE FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            try Self.record(db, action: "alias-unset", model: model, version: previous,
                            before: #"{"alias":\#(JSONText.quoted(alias)),"version":\#(previous)}"#, after: "null", actor: actor)
            return previous
        }
    }

    /// Sets and removes tags of a version.
    public func tag(model: String, version: Int, set: [String: String], remove: [String], by actor: RegistryActor) throws -> ModelVersion {
        try mutate { db in
            let before = try Self.version(db, model: model, version: version)
            var tags = before.tags
            for key in remove { tags[key] = nil }
            tags.merge(set) { $1 }
            try db.execute(sql: "UPDATE model_versions SET tags = ? WHERE model = ? AND version = ?", arguments: [Self.json(tags), model, version])
            let after = try Self.version(db, model: model, version: version)
            try Self.record(db, action: "tag", model: model, version: version, before: Self.json(before.tags), after: Self.json(after.tags), actor: actor)
            return after
        }
    }

    /// Moves a version to lifecycle `stage` (nil leaves every stage); `check` runs inside the transaction with the
    /// version and its approvals for that stage, and throws to refuse. Returns the previous stage.
    public func promote(model: String, version: Int, to stage: String?, forced: Bool, by actor: RegistryActor,
                        check: (ModelVersion, [String]) throws -> Void) throws -> String? {
        try mutate { db in
            let current = try Self.version(db, model: model, version: version)
            guard current.status == "active" else { throw RegistryError(.refused, "\(current.uri) is \(current.status); it cannot be promoted.") }
            let approvals = try String.fetchAll(db, sql: "SELECT actor FROM approvals WHERE model = ? AND version = ? AND stage = ? ORDER BY actor",
                                                arguments: [model, version, stage ?? ""])
            try check(current, approvals)
            // One version per stage: the one there leaves it, with its own audit row.
            if let stage {
                for previous in try Int.fetchAll(db, sql: "SELECT version FROM model_versions WHERE model = ? AND stage = ? AND version != ?",
                                                 arguments: [model, stage, version]) {
                    try db.execute(sql: "UPDATE model_versions SET stage = NULL WHERE model = ? AND version = ?", arguments: [model, previous])
                    try Self.record(db, action: "demote", model: model, version: previous, before: JSONText.quoted(stage), after: "null",
                                    actor: RegistryActor(name: actor.name, reason: "replaced in \(stage) by version \(version)"))
                }
            }
            try db.execute(sql: "UPDATE model_versions SET stage = ? WHERE model = ? AND version = ?", arguments: [stage, model, version])
            try Self.record(db, action: forced ? "promote-forced" : "promote", model: model, version: version,
                            before: current.stage.map(JSONText.quoted) ?? "null", after: stage.map(JSONText.quoted) ?? "null", actor: actor,
                            verdictDigest: current.verdictDigest)
            return current.stage
        }
    }

    /// Records `actor`'s approval of a version for `stage`; returns every approver so far.
    public func approve(model: String, version: Int, stage: String, by actor: RegistryActor) throws -> [String] {
        try mutate { db in
            let target = try Self.version(db, model: model, version: version)
            guard target.status == "active" else { throw RegistryError(.refused, "\(target.uri) is \(target.status); it cannot be approved.") }
            try db.execute(sql: "INSERT OR IGNORE INTO approvals (model, version, stage, actor, at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [model, version, stage, actor.name, Store.nowMilliseconds])
            if db.changesCount == 1 {
                try Self.record(db, action: "approve", model: model, version: version, before: "null",
                                after: #"{"stage":\#(JSONText.quoted(stage))}"#, actor: actor)
            }
            return try String.fetchAll(db, sql: "SELECT actor FROM approvals WHERE model = ? AND version = ? AND stage = ? ORDER BY actor",
                                       arguments: [model, version, stage])
        }
    }

    /// Archives or deletes a version; refused (exit 1) while an alias or an active deployment refers to it.
    public func retire(model: String, version: Int, delete: Bool, by actor: RegistryActor) throws -> ModelVersion {
        try mutate { db in
            let current = try Self.version(db, model: model, version: version)
            var holders: [String] = try String.fetchAll(db, sql: "SELECT alias FROM aliases WHERE model = ? AND version = ? ORDER BY alias",
                                                         arguments: [model, version]).map { "alias '\($0)'" }
            if let stage = current.stage { holders.append("its lifecycle stage '\(stage)'") }
            holders += try String.fetchAll(db, sql: "SELECT target FROM deployments WHERE model = ? AND version = ? AND status = 'active' ORDER BY target",
                                           arguments: [model, version]).map { "deployment '\($0)'" }
            guard holders.isEmpty else {
                throw RegistryError(.refused, "\(current.uri) cannot be \(delete ? "deleted" : "archived"): \(holders.joined(separator: ", ")) refers to it. Move the alias ('mlgate models alias set'), promote another version into the stage, or roll the deployment back first.")
            }
            let status = delete ? "deleted" : "archived"
            try db.execute(sql: "UPDATE model_versions SET status = ?, stage = NULL WHERE model = ? AND version = ?", arguments: [status, model, version])
            try Self.record(db, action: delete ? "delete" : "archive", model: model, version: version,
                            before: JSONText.quoted(current.status), after: JSONText.quoted(status), actor: actor)
            return try Self.version(db, model: model, version: version)
        }
    }

    /// Records a gate verdict (JSON text) for a candidate artifact; returns its digest.
    @discardableResult
    public func recordVerdict(model: String, candidateArtifact: String, champion: String?, passed: Bool, json: String) throws(StoreError) -> String {
        let digest = ContentHash.of(Array(json.utf8))
        try transaction { db in
            let now = Store.nowMilliseconds
            try db.execute(sql: "INSERT INTO verdicts (model, candidate_artifact, champion, passed, verdict, digest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [model, candidateArtifact, champion, passed, json, digest, now])
            let payload = #"{"candidate_artifact":\#(JSONText.quoted(candidateArtifact)),"champion":\#(champion.map(JSONText.quoted) ?? "null"),"model":\#(JSONText.quoted(model)),"passed":\#(passed),"verdict_digest":\#(JSONText.quoted(digest))}"#
            try Self.appendEvent(db, kind: passed ? "gate.passed" : "gate.failed", model: model, payload: payload, at: now)
        }
        return digest
    }

    /// The latest gate verdict for `artifact` of `model`: whether it passed, its JSON and digest.
    public func latestVerdict(model: String, artifact: String) throws(StoreError) -> (passed: Bool, json: String, digest: String)? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT passed, verdict, digest FROM verdicts WHERE model = ? AND candidate_artifact = ? ORDER BY id DESC LIMIT 1",
                             arguments: [model, artifact]).map { (passed: $0["passed"], json: $0["verdict"], digest: $0["digest"]) }
        }
    }

    // MARK: Reading

    /// Every model's name with its version count, sorted by name.
    public func models() throws(StoreError) -> [(name: String, versions: Int, latest: Int?)] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT models.name AS name, COUNT(model_versions.version) AS versions, MAX(model_versions.version) AS latest
                FROM models LEFT JOIN model_versions ON model_versions.model = models.name GROUP BY models.name ORDER BY models.name
                """).map { (name: $0["name"], versions: $0["versions"], latest: $0["latest"]) }
        }
    }

    /// Who approved a version for `stage`, in name order.
    public func approvals(model: String, version: Int, stage: String) throws(StoreError) -> [String] {
        try reading { db in
            try String.fetchAll(db, sql: "SELECT actor FROM approvals WHERE model = ? AND version = ? AND stage = ? ORDER BY actor",
                                arguments: [model, version, stage])
        }
    }

    /// The versions of `model` (all models when nil), newest first; deleted ones only when asked.
    public func versions(model: String?, includeDeleted: Bool = false) throws(StoreError) -> [ModelVersion] {
        try reading { db in
            var sql = "SELECT * FROM model_versions"
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let model {
                conditions.append("model = ?")
                arguments += [model]
            }
            if !includeDeleted { conditions.append("status != 'deleted'") }
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY model, version DESC"
            // Aliases in one query, not one per version.
            var aliases: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT model, version, alias FROM aliases ORDER BY alias") {
                aliases["\(row["model"] as String)/\(row["version"] as Int)", default: []].append(row["alias"])
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                try Self.decodeVersion(row, aliases: aliases["\(row["model"] as String)/\(row["version"] as Int)"] ?? [])
            }
        }
    }

    /// The version `uri` names.
    public func resolve(_ uri: ModelURI) throws -> ModelVersion {
        try readingRegistry { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM models WHERE name = ?)", arguments: [uri.name]) == true else {
                throw RegistryError(.invalidInput, "there is no model '\(uri.name)'; 'mlgate models list' shows the registered models.")
            }
            switch uri.selector {
            case .version(let version):
                return try Self.version(db, model: uri.name, version: version)
            case .alias(let alias):
                // NAME@X is the version in lifecycle stage X (as `churn@production` reads), else the alias X: a stage is
                // moved only under the lifecycle's rules, so an alias of the same name never stands in for it.
                if let version = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ? AND stage = ? AND status = 'active'",
                                                  arguments: [uri.name, alias])
                    ?? Int.fetchOne(db, sql: "SELECT version FROM aliases WHERE model = ? AND alias = ?", arguments: [uri.name, alias]) {
                    return try Self.version(db, model: uri.name, version: version)
                }
                throw RegistryError(.invalidInput, "model '\(uri.name)' has no alias '\(alias)' and no version in a stage of that name; 'mlgate models show \(uri.name)' lists its aliases and stages.")
            case .latest:
                guard let version = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ? AND status = 'active'",
                                                     arguments: [uri.name]) else {
                    throw RegistryError(.invalidInput, "model '\(uri.name)' has no active version.")
                }
                return try Self.version(db, model: uri.name, version: version)
            }
        }
    }

    /// The version of `model` in lifecycle stage `stage`, if any (the newest, should several be).
    public func version(model: String, inStage stage: String) throws(StoreError) -> ModelVersion? {
        try reading { db in
            guard let version = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ? AND stage = ? AND status = 'active'",
                                                 arguments: [model, stage]) else { return nil }
            return try Self.version(db, model: model, version: version)
        }
    }

    /// The artifacts and monitor profiles of every registered version that is not deleted (gc keeps them, fsck checks them).
    public func objectsReferencedByRegistry() throws(StoreError) -> [(hash: String, uri: String)] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT model, version, artifact, profile FROM model_versions WHERE status != 'deleted'").flatMap { row in
                let uri = "models:/\(row["model"] as String)/\(row["version"] as Int)"
                return [(hash: row["artifact"] as String, uri: uri)] + ((row["profile"] as String?).map { [(hash: $0, uri: uri + " (its monitor profile)")] } ?? [])
            }
        }
    }

    /// The audit rows about `model` (or all rows when nil), oldest first.
    public func auditLog(model: String? = nil, limit: Int? = nil) throws(StoreError) -> [AuditEntry] {
        try reading { db in
            var sql = "SELECT * FROM audit"
            var arguments = StatementArguments()
            if let model {
                sql += " WHERE subject LIKE ? ESCAPE '\\'"
                arguments += ["models:/" + model.replacingOccurrences(of: "_", with: "\\_") + "/%"]
            }
            sql += " ORDER BY sequence"
            if let limit { sql = "SELECT * FROM (\(sql.replacingOccurrences(of: " ORDER BY sequence", with: "")) ORDER BY sequence DESC LIMIT \(max(limit, 0))) ORDER BY sequence" }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.auditEntry)
        }
    }

    /// Re-hashes the audit chain; nil when intact, else the first bad row and what is wrong with it.
    public func verifyAudit() throws(StoreError) -> (sequence: Int, problem: String)? {
        try reading { db in
            var previous = AuditEntry.genesis
            var expected = 1
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY sequence") {
                let entry = Self.auditEntry(row)
                if entry.sequence != expected {
                    return (expected, entry.sequence > expected ? "row \(expected) is missing" : "row \(entry.sequence) is out of order")
                }
                if entry.previousHash != previous { return (entry.sequence, "its link to row \(entry.sequence - 1) is broken (a row was changed, removed or inserted)") }
                if ContentHash.of(Array(entry.canonicalText.utf8)) != entry.hash { return (entry.sequence, "its content does not match its hash (it was changed)") }
                previous = entry.hash
                expected += 1
            }
            let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_head WHERE id = 1")
            let headSequence: Int = head?["sequence"] ?? 0
            let headHash: String = head?["hash"] ?? AuditEntry.genesis
            if headSequence != expected - 1 || headHash != previous {
                return (min(headSequence, expected - 1) + 1, "the log ends at row \(expected - 1) but its recorded head is row \(headSequence) (rows were removed from the end, or added outside mlgate)")
            }
            return nil
        }
    }

    /// What `audit verify` checks beside the chain: every version has the audit row that brought it into the
    /// registry (its registration, its import by a sync, or its renumbering), and the triggers that keep the log
    /// append-only are in place.
    public func auditCoverage() throws(StoreError) -> AuditCoverage {
        try reading { db in
            let versions = try Row.fetchAll(db, sql: "SELECT model, version FROM model_versions ORDER BY model, version").map {
                "models:/\($0["model"] as String)/\($0["version"] as Int)"
            }
            let registered = Set(try String.fetchAll(db, sql: """
                SELECT subject FROM audit
                WHERE action IN ('register', 'renumber') OR (action = 'sync' AND before = 'null' AND after LIKE '{"artifact":%')
                """))
            let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            return AuditCoverage(versions: versions.count, unregistered: versions.filter { !registered.contains($0) },
                                 missingTriggers: AuditCoverage.triggers.filter { !triggers.contains($0) })
        }
    }

    /// The registry events, oldest first.
    public func events(limit: Int?) throws(StoreError) -> [(id: Int, kind: String, model: String, version: Int?, payload: String, createdAt: Int64, mirrorError: String?)] {
        try reading { db in
            var sql = "SELECT * FROM events ORDER BY id DESC"
            if let limit { sql += " LIMIT \(max(limit, 0))" }
            return try Row.fetchAll(db, sql: sql).reversed().map {
                (id: $0["id"], kind: $0["kind"], model: $0["model"], version: $0["version"], payload: $0["payload"], createdAt: $0["created_at"],
                 mirrorError: $0["mirror_error"])
            }
        }
    }

    /// Records that `target` now serves version `version` of `model` (the previous active deployment there is
    /// marked replaced, or rolled back), with its audit row and event; `failed` records an attempt that did not
    /// change what the target serves, `forced` one that overrode the target's declared stage or alias. The
    /// deployment's time is its event's, so the note that mirrors it names it exactly.
    @discardableResult
    public func recordDeployment(target: String, model: String, version: Int, failed: Bool, rollback: Bool, forced: Bool = false,
                                 by actor: RegistryActor) throws -> Int {
        try mutate { db in
            _ = try Self.version(db, model: model, version: version)
            let now = Store.nowMilliseconds
            let previous = try Row.fetchOne(db, sql: "SELECT id, model, version FROM deployments WHERE target = ? AND status = 'active'", arguments: [target])
            if !failed, let previous {
                try db.execute(sql: "UPDATE deployments SET status = ? WHERE id = ?", arguments: [rollback ? "rolled-back" : "replaced", previous["id"] as Int])
            }
            try db.execute(sql: "INSERT INTO deployments (target, model, version, status, deployed_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [target, model, version, failed ? "failed" : "active", now])
            let id = Int(db.lastInsertedRowID)
            let before = previous.map { #"{"target":\#(JSONText.quoted(target)),"version":\#($0["version"] as Int)}"# } ?? "null"
            let action = failed ? "deploy-failed" : rollback ? "rollback" : forced ? "deploy-forced" : "deploy"
            try Self.record(db, action: action, model: model, version: version, before: before,
                            after: #"{"target":\#(JSONText.quoted(target)),"version":\#(version)}"#, actor: actor, at: now)
            return id
        }
    }

    /// Deployments, newest first (only `target`'s when given).
    public func deployments(target: String? = nil) throws(StoreError) -> [Deployment] {
        try reading { db in
            var sql = "SELECT * FROM deployments"
            var arguments = StatementArguments()
            if let target {
                sql += " WHERE target = ?"
                arguments += [target]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY id DESC", arguments: arguments).map {
                Deployment(id: $0["id"], target: $0["target"], model: $0["model"], version: $0["version"], status: $0["status"], deployedAt: $0["deployed_at"])
            }
        }
    }

    /// Gives local version `from` of `model` the number `max(next free, atLeast)`, because the remote holds
    /// `from` for another version; moves its aliases, approvals and events with it, and audits the move.
    /// Returns the new number.
    public func renumber(model: String, from old: Int, atLeast minimum: Int, by actor: RegistryActor) throws -> Int {
        try mutate { db in
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            let next = try Int.fetchOne(db, sql: "SELECT next_version FROM models WHERE name = ?", arguments: [model]) ?? 1
            let new = max(next, minimum)
            let before = try Self.version(db, model: model, version: old)
            for table in ["model_versions", "aliases", "approvals", "events"] {
                try db.execute(sql: "UPDATE \(table) SET version = ? WHERE model = ? AND version = ?", arguments: [new, model, old])
            }
            try db.execute(sql: "UPDATE models SET next_version = ? WHERE name = ?", arguments: [new + 1, model])
            try Self.record(db, action: "renumber", model: model, version: new, before: Self.state(before),
                            after: Self.state(try Self.version(db, model: model, version: new)), actor: actor)
            return new
        }
    }

    /// Allocates the next stage-event number of `model` (for a stage tag re-created after a refused push).
    public func allocateEventCounter(model: String) throws(StoreError) -> Int {
        try transaction { db in
            let counter = try Int.fetchOne(db, sql: "SELECT next_event FROM models WHERE name = ?", arguments: [model]) ?? 1
            try db.execute(sql: "UPDATE models SET next_event = next_event + 1 WHERE name = ?", arguments: [model])
            return counter
        }
    }

    /// Moves `model`'s stage-event counter past `counter` (the highest found in git), so the next stage tag is new.
    public func advanceEventCounter(model: String, past counter: Int) throws(StoreError) {
        try transaction { db in
            try db.execute(sql: "UPDATE models SET next_event = MAX(next_event, ?) WHERE name = ?", arguments: [counter + 1, model])
        }
    }

    // MARK: Internals

    /// Runs a registry read; a `RegistryError` (an unknown model, version or alias) passes through as it is.
    func readingRegistry<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    /// Runs a registry mutation in one BEGIN IMMEDIATE transaction; a thrown error rolls everything back.
    func mutate<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.write(body)
        } catch let error as RegistryError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError.database(path: path, message: Self.message(error))
        }
    }

    static func version(_ db: Database, model: String, version: Int) throws -> ModelVersion {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM model_versions WHERE model = ? AND version = ?", arguments: [model, version]) else {
            let latest = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ?", arguments: [model])
            throw RegistryError(.invalidInput, "there is no version \(version) of model '\(model)'" + (latest.map { "; its versions are 1 to \($0)." } ?? "; it has no versions."))
        }
        return try decodeVersion(db, row)
    }

    static func decodeVersion(_ db: Database, _ row: Row) throws -> ModelVersion {
        let aliases = try String.fetchAll(db, sql: "SELECT alias FROM aliases WHERE model = ? AND version = ? ORDER BY alias",
                                          arguments: [row["model"] as String, row["version"] as Int])
        return try decodeVersion(row, aliases: aliases)
    }

    static func decodeVersion(_ row: Row, aliases: [String]) throws -> ModelVersion {
        ModelVersion(model: row["model"], version: row["version"], artifact: row["artifact"], artifactIsDirectory: row["artifact_is_directory"],
                     sourcePath: row["source_path"], commit: row["commit_id"], run: row["run_id"],
                     dataHashes: stringDictionary(row["data_hashes"]), verdictDigest: row["verdict_digest"], gatePassed: row["verdict_passed"],
                     branch: row["branch"],
                     description: row["description"], tags: stringDictionary(row["tags"]), status: row["status"],
                     stage: row["stage"], createdAt: row["created_at"], createdBy: row["created_by"], aliases: aliases, profile: row["profile"])
    }

    /// A JSON object of strings (tags, data hashes); `{}` costs nothing, which is the common case.
    static func stringDictionary(_ text: String) -> [String: String] {
        guard text != "{}", let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else { return [:] }
        return object
    }

    /// A version's state as canonical JSON for the audit log.
    static func state(_ version: ModelVersion) -> String {
        let tags = version.tags.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(JSONText.quoted($0.value))" }.joined(separator: ",")
        return "{" + [
            "\"artifact\":\(JSONText.quoted(version.artifact))",
            "\"branch\":\(version.branch.map(JSONText.quoted) ?? "null")",
            "\"commit\":\(version.commit.map(JSONText.quoted) ?? "null")",
            "\"gate_passed\":\(version.gatePassed.map { $0 ? "true" : "false" } ?? "null")",
            "\"run\":\(version.run.map(String.init) ?? "null")",
            "\"status\":\(JSONText.quoted(version.status))",
            "\"tags\":{\(tags)}",
            "\"verdict_digest\":\(version.verdictDigest.map(JSONText.quoted) ?? "null")",
            "\"version\":\(version.version)",
        ].joined(separator: ",") + "}"
    }

    /// Appends the audit row (chained to the previous one) and the outbox event of a mutation.
    static func record(_ db: Database, action: String, model: String, version: Int?, before: String, after: String,
                       actor: RegistryActor, verdictDigest: String? = nil, at: Int64? = nil) throws {
        let now = at ?? Store.nowMilliseconds
        try appendAudit(db, action: action, subject: "models:/\(model)/\(version.map(String.init) ?? "")", before: before, after: after,
                        actor: actor, verdictDigest: verdictDigest, at: now)
        let payload = #"{"action":\#(JSONText.quoted(action)),"actor":\#(JSONText.quoted(actor.name)),"after":\#(after),"before":\#(before),"reason":\#(actor.reason.map(JSONText.quoted) ?? "null")}"#
        // Stage moves get the model's next event number: GTO's stage tags are `name#stage#N`.
        var counter: Int?
        if action.hasPrefix("promote") || action == "demote" {
            // A move out of one stage into another is two GTO events: unassign (this number), assign (the next).
            let events = action.hasPrefix("promote") && before != "null" && after != "null" ? 2 : 1
            counter = try Int.fetchOne(db, sql: "SELECT next_event FROM models WHERE name = ?", arguments: [model])
            try db.execute(sql: "UPDATE models SET next_event = next_event + ? WHERE name = ?", arguments: [events, model])
        }
        // A sync only copies what git already holds: its event is born mirrored.
        try db.execute(sql: "INSERT INTO events (kind, model, version, payload, counter, created_at, mirrored_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: ["model.\(action)", model, version, payload, counter, now, action == "sync" ? now : nil])
    }

    /// Appends the next row of the hash chain (`previous` = the head's hash) and moves the head, in `db`'s transaction.
    static func appendAudit(_ db: Database, action: String, subject: String, before: String, after: String, actor: RegistryActor,
                            verdictDigest: String?, at now: Int64) throws {
        let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_head WHERE id = 1")
        var entry = AuditEntry(sequence: (head?["sequence"] as Int? ?? 0) + 1, at: now, actor: actor.name, action: action, subject: subject,
                               before: before, after: after, reason: actor.reason, verdictDigest: verdictDigest,
                               previousHash: head?["hash"] ?? AuditEntry.genesis, hash: "")
        entry.hash = ContentHash.of(Array(entry.canonicalText.utf8))
        try db.execute(sql: """
            INSERT INTO audit (sequence, at, actor, action, subject, before, after, reason, verdict_digest, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [entry.sequence, entry.at, entry.actor, entry.action, entry.subject, entry.before, entry.after, entry.reason,
                             entry.verdictDigest, entry.previousHash, entry.hash])
        try db.execute(sql: "INSERT OR REPLACE INTO audit_head (id, sequence, hash) VALUES (1, ?, ?)", arguments: [entry.sequence, entry.hash])
    }

    static func auditEntry(_ row: Row) -> AuditEntry {
        AuditEntry(sequence: row["sequence"], at: row["at"], actor: row["actor"], action: row["action"], subject: row["subject"],
                   before: row["before"], after: row["after"], reason: row["reason"], verdictDigest: row["verdict_digest"],
                   previousHash: row["previous_hash"], hash: row["hash"])
    }
}

/// What `audit verify` found beside the hash chain.
public struct AuditCoverage: Sendable, Equatable {
    /// The triggers that make the audit table append-only.
    public static let triggers = ["audit_is_append_only_delete", "audit_is_append_only_update"]
    /// How many versions the registry holds.
    public var versions: Int
    /// Versions with no audit row that registered, imported or renumbered them (`models:/m/3`).
    public var unregistered: [String]
    /// Append-only triggers that are gone.
    public var missingTriggers: [String]

    /// Whether nothing is missing.
    public var isComplete: Bool { unregistered.isEmpty && missingTriggers.isEmpty }
}

/// One deployment of a model version to a target.
public struct Deployment: Hashable, Sendable, Encodable {
    /// Its row id.
    public var id: Int
    /// The target's name.
    public var target: String
    /// The model.
    public var model: String
    /// The version.
    public var version: Int
    /// active, replaced, rolled-back or failed.
    public var status: String
    /// When, in milliseconds since 1970.
    public var deployedAt: Int64

    enum CodingKeys: String, CodingKey { case id, target, model, version, status, deployedAt = "deployed_at_ms" }
}
