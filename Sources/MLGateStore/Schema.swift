import GRDB

/// The store's versioned migrations. Add a new `registerMigration` for every change; never edit one
/// that has shipped (a store remembers which ran, and refuses to be opened by an older mlgate).
enum Schema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-lineage") { db in
            try db.execute(sql: """
                CREATE TABLE commits (
                    id TEXT PRIMARY KEY NOT NULL,
                    tree TEXT NOT NULL,
                    author_name TEXT NOT NULL,
                    author_email TEXT NOT NULL,
                    author_time INTEGER NOT NULL,
                    author_offset INTEGER NOT NULL,
                    committer_name TEXT NOT NULL,
                    committer_email TEXT NOT NULL,
                    committer_time INTEGER NOT NULL,
                    committer_offset INTEGER NOT NULL,
                    subject TEXT NOT NULL,
                    projects TEXT NOT NULL,
                    parents_missing INTEGER NOT NULL,
                    branch TEXT,
                    source TEXT NOT NULL CHECK (source IN ('hook', 'sync')),
                    event TEXT NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    generation INTEGER NOT NULL
                );
                CREATE INDEX commits_by_time ON commits (committer_time DESC, generation DESC);
                CREATE INDEX commits_by_branch ON commits (branch);
                CREATE TABLE commit_parents (
                    child TEXT NOT NULL REFERENCES commits (id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    parent TEXT NOT NULL,
                    PRIMARY KEY (child, position)
                );
                CREATE INDEX commit_parents_by_parent ON commit_parents (parent);
                CREATE TABLE rewrites (
                    old TEXT NOT NULL,
                    new TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('amend', 'rebase')),
                    recorded_at INTEGER NOT NULL,
                    PRIMARY KEY (old, new)
                );
                CREATE INDEX rewrites_by_new ON rewrites (new);
                """)
        }
        migrator.registerMigration("v2-pipeline") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    uuid TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'abandoned')),
                    commit_id TEXT,
                    branch TEXT,
                    dirty INTEGER NOT NULL,
                    diff_object TEXT,
                    repo_url TEXT,
                    targets TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    job_id INTEGER,
                    environment TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    finished_at INTEGER,
                    log_object TEXT,
                    pid INTEGER NOT NULL,
                    host TEXT NOT NULL,
                    message TEXT
                );
                CREATE INDEX runs_by_commit ON runs (commit_id);
                CREATE TABLE run_stages (
                    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    stage TEXT NOT NULL,
                    record TEXT NOT NULL,
                    PRIMARY KEY (run_id, position)
                );
                CREATE TABLE run_cache (
                    memo TEXT PRIMARY KEY NOT NULL,
                    stage TEXT NOT NULL,
                    outputs TEXT NOT NULL,
                    run_id INTEGER,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE file_state (
                    path TEXT PRIMARY KEY NOT NULL,
                    inode INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    ctime_ns INTEGER NOT NULL,
                    hash TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY,
                    ref TEXT NOT NULL,
                    commit_id TEXT NOT NULL,
                    remote TEXT,
                    stages TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'untrusted')),
                    trust_hash TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    lease_owner TEXT,
                    lease_expires INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    run_id INTEGER,
                    message TEXT
                );
                CREATE INDEX jobs_by_status ON jobs (status, id);
                """)
        }
        migrator.registerMigration("v3-registry") { db in
            try db.execute(sql: """
                CREATE TABLE models (
                    name TEXT PRIMARY KEY NOT NULL,
                    description TEXT,
                    created_at INTEGER NOT NULL,
                    next_version INTEGER NOT NULL DEFAULT 1,
                    next_event INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE model_versions (
                    model TEXT NOT NULL REFERENCES models (name),
                    version INTEGER NOT NULL,
                    artifact TEXT NOT NULL,
                    artifact_is_directory INTEGER NOT NULL,
                    source_path TEXT,
                    commit_id TEXT,
                    run_id INTEGER,
                    data_hashes TEXT NOT NULL,
                    verdict TEXT,
                    verdict_digest TEXT,
                    verdict_passed INTEGER,
                    branch TEXT,
                    description TEXT,
                    tags TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('active', 'archived', 'deleted')),
                    stage TEXT,
                    created_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL,
                    PRIMARY KEY (model, version)
                );
                CREATE TABLE aliases (
                    model TEXT NOT NULL,
                    alias TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    PRIMARY KEY (model, alias),
                    FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
                );
                CREATE TABLE approvals (
                    model TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    stage TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    PRIMARY KEY (model, version, stage, actor)
                );
                CREATE TABLE deployments (
                    id INTEGER PRIMARY KEY,
                    target TEXT NOT NULL,
                    model TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('active', 'replaced', 'rolled-back', 'failed')),
                    deployed_at INTEGER NOT NULL
                );
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    kind TEXT NOT NULL,
                    model TEXT NOT NULL,
                    version INTEGER,
                    payload TEXT NOT NULL,
                    counter INTEGER,
                    created_at INTEGER NOT NULL,
                    mirrored_at INTEGER,
                    delivered_at INTEGER
                );
                CREATE TABLE audit (
                    sequence INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    before TEXT NOT NULL,
                    after TEXT NOT NULL,
                    reason TEXT,
                    verdict_digest TEXT,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE TABLE verdicts (
                    id INTEGER PRIMARY KEY,
                    model TEXT NOT NULL,
                    candidate_artifact TEXT NOT NULL,
                    champion TEXT,
                    passed INTEGER NOT NULL,
                    verdict TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX verdicts_by_artifact ON verdicts (model, candidate_artifact, id);
                CREATE TABLE audit_head (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    sequence INTEGER NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
        migrator.registerMigration("v4-registry-trust") { db in
            // An event the mirror can never write (a tag name git refuses) is set aside with its reason instead of
            // blocking every later event.
            try db.execute(sql: "ALTER TABLE events ADD COLUMN mirror_error TEXT")
        }
        migrator.registerMigration("v5-folder-state") { db in
            // One row per hashed folder: its last scan (FolderSnapshot.encoded), so an unchanged folder is checked with
            // one stat per folder and file instead of a listing, a per-file row and a manifest.
            try db.execute(sql: "CREATE TABLE folder_state (path TEXT PRIMARY KEY NOT NULL, snapshot BLOB NOT NULL) WITHOUT ROWID")
        }
        migrator.registerMigration("v6-endpoint-traffic") { db in
            // Every traffic setting of an endpoint (shares and mirror), newest last: the one in force, and the one a
            // rollback goes back to. Audited like registry changes.
            try db.execute(sql: """
                CREATE TABLE endpoint_traffic (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    endpoint TEXT NOT NULL,
                    traffic TEXT NOT NULL,
                    mirror TEXT,
                    set_at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    reason TEXT
                );
                CREATE INDEX endpoint_traffic_by_endpoint ON endpoint_traffic (endpoint, id);
                """)
        }
        migrator.registerMigration("v7-monitor-checks") { db in
            // Every drift check of a model: what was checked, the verdict and the whole report, for the trend.
            try db.execute(sql: """
                CREATE TABLE monitor_checks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    model TEXT NOT NULL,
                    version TEXT,
                    current TEXT NOT NULL,
                    drifted INTEGER NOT NULL,
                    share REAL NOT NULL,
                    report TEXT NOT NULL,
                    checked_at INTEGER NOT NULL
                );
                CREATE INDEX monitor_checks_by_model ON monitor_checks (model, id);
                """)
        }
        migrator.registerMigration("v8-endpoint-models") { db in
            // The version a deployment serves when `mlgate deploy` to an endpoint target put one in (JSON object of
            // deployment → model URI; NULL: mlgate.yaml's models), journaled with the traffic so a rollback restores both.
            try db.execute(sql: "ALTER TABLE endpoint_traffic ADD COLUMN models TEXT")
        }
        migrator.registerMigration("v9-event-delivery") { db in
            // Delivery of the outbox to `notify:` subscriptions: how far each subscription's events are settled, and
            // one row per event and subscription that was tried (retrying, delivered, or dead-lettered).
            try db.execute(sql: """
                CREATE TABLE event_subscriptions (
                    name TEXT PRIMARY KEY NOT NULL,
                    cursor INTEGER NOT NULL,
                    first_seen_at INTEGER NOT NULL,
                    disabled_at INTEGER,
                    disabled_reason TEXT
                ) WITHOUT ROWID;
                CREATE TABLE event_deliveries (
                    event_id INTEGER NOT NULL,
                    subscription TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('retrying', 'delivered', 'dead')),
                    attempts INTEGER NOT NULL,
                    next_attempt_at INTEGER,
                    last_status INTEGER,
                    last_error TEXT,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (event_id, subscription)
                ) WITHOUT ROWID;
                CREATE INDEX event_deliveries_waiting ON event_deliveries (subscription, state, next_attempt_at);
                """)
        }
        migrator.registerMigration("v10-job-reasons") { db in
            // Why a job was queued when it was not a push (a retraining on drift), and the model gated after it trains;
            // kept apart from `message`, which says where the job is and is rewritten as it runs.
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN reason TEXT;
                ALTER TABLE jobs ADD COLUMN gate_model TEXT;
                """)
        }
        migrator.registerMigration("v11-version-profiles") { db in
            // The monitor's reference data as it was when the version was registered: a folder object (profile.json and
            // the data files), so a drift check compares production with what this version was trained on.
            try db.execute(sql: "ALTER TABLE model_versions ADD COLUMN profile TEXT")
        }
        migrator.registerMigration("v12-job-dispatch") { db in
            // Where a job dispatched to another engine runs: recorded the moment it is dispatched, so it is followed,
            // never dispatched twice.
            try db.execute(sql: """
                ALTER TABLE jobs ADD COLUMN executor TEXT;
                ALTER TABLE jobs ADD COLUMN remote_id TEXT;
                ALTER TABLE jobs ADD COLUMN remote_url TEXT;
                """)
        }
        return migrator
    }()
}
