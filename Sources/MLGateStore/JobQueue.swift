public import MLGateCore
import MLGateSystem
import GRDB

/// The training queue the `pre-push` hook fills and `mlgate worker` drains, with leases: a job is held by
/// one worker at a time, and a worker that dies (its lease lapses or its pid is gone) leaves the job to
/// be taken again — never lost, never run twice at once.
extension Store {
    /// Queues `job` unless the same commit is already queued or running for the same ref; returns its id
    /// and whether it is new. A job that gates a model (a retraining) is folded into a waiting job of that commit
    /// which gates nothing yet, taking it over (its gate and reason), so the push's training is judged too; it is
    /// queued on its own when the waiting job already runs or gates another model (the run cache then restores
    /// what the first trained).
    public func enqueue(_ job: Job) throws(StoreError) -> (id: Int, added: Bool) {
        try transaction { db in
            let pending = try Row.fetchAll(db, sql: """
                SELECT id, status, gate_model FROM jobs WHERE ref = ? AND commit_id = ? AND status IN ('queued', 'running', 'untrusted') ORDER BY id
                """, arguments: [job.ref, job.commit])
            for row in pending {
                let id: Int = row["id"], status: String = row["status"], gates: String? = row["gate_model"]
                if job.gateModel == nil || gates == job.gateModel { return (id, false) }
                if gates == nil, status != "running" {
                    try db.execute(sql: "UPDATE jobs SET gate_model = ?, reason = COALESCE(reason, ?), updated_at = ? WHERE id = ?",
                                   arguments: [job.gateModel, job.reason, job.updatedAt, id])
                    return (id, false)
                }
            }
            try db.execute(sql: """
                INSERT INTO jobs (ref, commit_id, remote, stages, status, trust_hash, created_at, updated_at, message, reason, gate_model)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [job.ref, job.commit, job.remote, Self.json(job.stages), job.status.rawValue, job.trustHash,
                                 job.createdAt, job.updatedAt, job.message, job.reason, job.gateModel])
            return (Int(db.lastInsertedRowID), true)
        }
    }

    /// When the newest job that gates `model` after training was queued (milliseconds since 1970), if any.
    public func newestJob(gating model: String) throws(StoreError) -> Int64? {
        try reading { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(created_at) FROM jobs WHERE gate_model = ?", arguments: [model])
        }
    }

    /// Takes the oldest job that is queued, or running under a lease that lapsed or whose holder `isDead`,
    /// and leases it to `owner` until `now + leaseMilliseconds`.
    public func claimJob(owner: String, now: Int64, leaseMilliseconds: Int64, isDead: (String) -> Bool) throws(StoreError) -> Job? {
        try transaction { db in
            let candidates = try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY id")
            for row in candidates {
                let status: String = row["status"]
                if status == "running" {
                    let expires: Int64 = row["lease_expires"] ?? 0
                    let holder: String = row["lease_owner"] ?? ""
                    guard expires < now || isDead(holder) else { continue }
                }
                let id: Int = row["id"]
                try db.execute(sql: """
                    UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires = ?, attempts = attempts + 1, updated_at = ?,
                                    message = NULL
                    WHERE id = ?
                    """, arguments: [owner, now + leaseMilliseconds, now, id])
                return try Self.jobs(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).first
            }
            return nil
        }
    }

    /// Extends `owner`'s lease on job `id`; false when the job is no longer theirs (it was cancelled or taken).
    public func renewLease(job id: Int, owner: String, until expires: Int64) throws(StoreError) -> Bool {
        try transaction { db in
            try db.execute(sql: "UPDATE jobs SET lease_expires = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
                           arguments: [expires, id, owner])
            return db.changesCount == 1
        }
    }

    /// Records that job `id`, which `owner` holds, was dispatched to `executor` as `receipt`: before anything else
    /// happens to it, so a worker that dies after the dispatch follows the run instead of dispatching it again.
    @discardableResult
    public func recordDispatch(_ id: Int, owner: String, executor: String, receipt: DispatchReceipt, now: Int64) throws(StoreError) -> Bool {
        try transaction { db in
            try db.execute(sql: """
                UPDATE jobs SET executor = ?, remote_id = ?, remote_url = ?, message = ?, updated_at = ?
                WHERE id = ? AND status = 'running' AND lease_owner = ?
                """, arguments: [executor, receipt.id, receipt.url, "dispatched to \(executor): \(receipt.url)", now, id, owner])
            return db.changesCount == 1
        }
    }

    /// Records the end of job `id` if `owner` still holds it.
    @discardableResult
    public func finishJob(_ id: Int, owner: String, status: JobStatus, run: Int?, message: String?, now: Int64) throws(StoreError) -> Bool {
        try transaction { db in
            try db.execute(sql: """
                UPDATE jobs SET status = ?, run_id = COALESCE(?, run_id), message = ?, lease_owner = NULL, lease_expires = NULL, updated_at = ?
                WHERE id = ? AND status = 'running' AND lease_owner = ?
                """, arguments: [status.rawValue, run, message, now, id, owner])
            return db.changesCount == 1
        }
    }

    /// Cancels job `id` if it has not finished; returns the job as it was, or nil when there is no such job.
    public func cancelJob(_ id: Int, now: Int64) throws(StoreError) -> Job? {
        try transaction { db in
            guard let job = try Self.jobs(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).first else { return nil }
            if [.queued, .running, .untrusted].contains(job.status) {
                try db.execute(sql: "UPDATE jobs SET status = 'cancelled', lease_owner = NULL, updated_at = ?, message = 'cancelled by the user' WHERE id = ?",
                               arguments: [now, id])
            }
            return job
        }
    }

    /// Puts jobs waiting for trust in `hash` back in the queue; returns how many.
    public func requeueUntrusted(trustHash hash: String, now: Int64) throws(StoreError) -> Int {
        try transaction { db in
            try db.execute(sql: "UPDATE jobs SET status = 'queued', message = NULL, updated_at = ? WHERE status = 'untrusted' AND trust_hash = ?",
                           arguments: [now, hash])
            return db.changesCount
        }
    }

    /// Jobs, newest first; only those with `statuses` when given.
    public func jobs(statuses: [JobStatus] = [], limit: Int? = nil) throws(StoreError) -> [Job] {
        try reading { db in
            var sql = "SELECT * FROM jobs"
            if !statuses.isEmpty { sql += " WHERE status IN (\(statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")))" }
            sql += " ORDER BY id DESC"
            if let limit { sql += " LIMIT \(max(limit, 0))" }
            return try Self.jobs(db, sql: sql, arguments: [])
        }
    }

    /// Job `id`.
    public func job(_ id: Int) throws(StoreError) -> Job? {
        try reading { db in try Self.jobs(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).first }
    }

    private static func jobs(_ db: Database, sql: String, arguments: StatementArguments) throws -> [Job] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            Job(id: row["id"], ref: row["ref"], commit: row["commit_id"], remote: row["remote"],
                stages: try decode([String].self, row["stages"]), status: JobStatus(rawValue: row["status"]) ?? .failed,
                trustHash: row["trust_hash"], createdAt: row["created_at"], updatedAt: row["updated_at"],
                leaseOwner: row["lease_owner"], attempts: row["attempts"], run: row["run_id"], message: row["message"], reason: row["reason"],
                gateModel: row["gate_model"], executor: row["executor"], remoteID: row["remote_id"], remoteURL: row["remote_url"])
        }
    }
}
