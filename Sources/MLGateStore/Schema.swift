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
        return migrator
    }()
}
