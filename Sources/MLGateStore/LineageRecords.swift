public import MLGateCore
import MLGateSystem
import GRDB

/// Which recorded commits to list.
public struct LineageQuery: Sendable, Hashable {
    /// Only commits reachable (through recorded parents) from these; empty means every recorded commit.
    public var reachableFrom: [CommitID]
    /// Only commits recorded while this branch was checked out (or first reached from it by sync).
    public var branch: String?
    /// At most this many, newest first.
    public var limit: Int?

    /// Creates a query.
    public init(reachableFrom: [CommitID] = [], branch: String? = nil, limit: Int? = nil) {
        self.reachableFrom = reachableFrom
        self.branch = branch
        self.limit = limit
    }
}

/// Read access to recorded lineage inside one transaction.
public struct LineageReader {
    let db: Database

    /// Whether `id` is recorded.
    public func isRecorded(_ id: CommitID) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM commits WHERE id = ?)"), arguments: [id.hex]) ?? false
    }

    /// The recorded commit `id`, if any.
    public func commit(_ id: CommitID) throws -> LineageCommit? {
        try fetch(sql: "SELECT * FROM commits WHERE id = ?", arguments: [id.hex]).first
    }

    /// Recorded commits whose id starts with `prefix` (at most two, enough to tell ambiguity).
    public func commits(withPrefix prefix: String) throws -> [LineageCommit] {
        try fetch(sql: "SELECT * FROM commits WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", arguments: [prefix, prefix + "g"])
    }

    /// Recorded commits matching `query`, newest (by committer time) first.
    public func commits(_ query: LineageQuery) throws -> [LineageCommit] {
        var sql = ""
        var arguments = StatementArguments()
        if !query.reachableFrom.isEmpty {
            let seeds = query.reachableFrom.map { _ in "(?)" }.joined(separator: ", ")
            sql += """
                WITH RECURSIVE reach(id) AS (VALUES \(seeds)
                  UNION SELECT commit_parents.parent FROM commit_parents JOIN reach ON commit_parents.child = reach.id)
                SELECT commits.* FROM commits JOIN reach USING (id)
                """
            arguments += StatementArguments(query.reachableFrom.map(\.hex))
        } else {
            sql += "SELECT commits.* FROM commits"
        }
        if let branch = query.branch {
            sql += " WHERE commits.branch = ?"
            arguments += [branch]
        }
        sql += " ORDER BY commits.committer_time DESC, commits.generation DESC, commits.rowid DESC"
        if let limit = query.limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return try fetch(sql: sql, arguments: arguments)
    }

    /// Rewrites in which any of `ids` is the old or the new commit.
    public func rewrites(involving ids: [CommitID]) throws -> [Rewrite] {
        guard !ids.isEmpty else { return [] }
        let marks = ids.map { _ in "?" }.joined(separator: ", ")
        let hex = ids.map(\.hex)
        let rows = try Row.fetchAll(
            db, sql: "SELECT old, new, kind FROM rewrites WHERE old IN (\(marks)) OR new IN (\(marks)) ORDER BY recorded_at, old",
            arguments: StatementArguments(hex + hex))
        return rows.compactMap { row in
            guard let old = CommitID(hex: row["old"]), let new = CommitID(hex: row["new"]),
                  let kind = RewriteKind(rawValue: row["kind"]) else { return nil }
            return Rewrite(old: old, new: new, kind: kind)
        }
    }

    /// How many commits are recorded.
    public func count() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM commits") ?? 0
    }

    private func fetch(sql: String, arguments: StatementArguments) throws -> [LineageCommit] {
        let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
        guard !rows.isEmpty else { return [] }
        let ids = rows.map { $0["id"] as String }
        var parents: [String: [CommitID]] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let marks = chunk.map { _ in "?" }.joined(separator: ", ")
            for row in try Row.fetchAll(
                db, sql: "SELECT child, parent FROM commit_parents WHERE child IN (\(marks)) ORDER BY child, position",
                arguments: StatementArguments(chunk)) {
                if let parent = CommitID(hex: row["parent"]) { parents[row["child"], default: []].append(parent) }
            }
        }
        return rows.compactMap { row in Self.commit(row, parents: parents[row["id"]] ?? []) }
    }

    private static func commit(_ row: Row, parents: [CommitID]) -> LineageCommit? {
        guard let id = CommitID(hex: row["id"]), let tree = CommitID(hex: row["tree"]),
              let source = LineageSource(rawValue: row["source"]), let event = LineageEvent(rawValue: row["event"])
        else { return nil }
        let projects: String = row["projects"]
        let facts = CommitFacts(
            id: id, parents: parents, tree: tree,
            author: Signature(name: row["author_name"], email: row["author_email"], time: row["author_time"], offsetMinutes: row["author_offset"]),
            committer: Signature(
                name: row["committer_name"], email: row["committer_email"], time: row["committer_time"], offsetMinutes: row["committer_offset"]),
            subject: row["subject"],
            projects: projects.isEmpty ? [] : projects.split(separator: ",").map(String.init),
            parentsMissing: row["parents_missing"])
        return LineageCommit(facts: facts, branch: row["branch"], source: source, event: event, recordedAt: row["recorded_at"])
    }
}

/// Write access to lineage inside one `BEGIN IMMEDIATE` transaction.
public struct LineageTransaction {
    let db: Database

    /// Reads inside this transaction.
    public var reader: LineageReader { LineageReader(db: db) }

    /// Whether `id` is recorded.
    public func isRecorded(_ id: CommitID) throws -> Bool { try reader.isRecorded(id) }

    /// Records a commit; returns false (and changes nothing) when it was already recorded.
    ///
    /// Its generation (1 + the highest generation among its recorded parents) orders commits made in
    /// the same second, so record parents before children (`LineageWalk.parentsFirst`).
    @discardableResult
    public func record(_ commit: LineageCommit) throws -> Bool {
        let facts = commit.facts
        let parentGeneration = try db.cachedStatement(sql: "SELECT generation FROM commits WHERE id = ?")
        var generation = 1
        for parent in facts.parents {
            if let value = try Int.fetchOne(parentGeneration, arguments: [parent.hex]) { generation = max(generation, value + 1) }
        }
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO commits (id, tree, author_name, author_email, author_time, author_offset,
              committer_name, committer_email, committer_time, committer_offset, subject, projects,
              parents_missing, branch, source, event, recorded_at, generation)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                facts.id.hex, facts.tree.hex, facts.author.name, facts.author.email, facts.author.time,
                facts.author.offsetMinutes, facts.committer.name, facts.committer.email, facts.committer.time,
                facts.committer.offsetMinutes, facts.subject, facts.projects.joined(separator: ","),
                facts.parentsMissing, commit.branch, commit.source.rawValue, commit.event.rawValue, commit.recordedAt,
                generation,
            ])
        guard db.changesCount > 0 else { return false }
        let insertParent = try db.cachedStatement(sql: "INSERT INTO commit_parents (child, position, parent) VALUES (?, ?, ?)")
        for (position, parent) in facts.parents.enumerated() {
            try insertParent.execute(arguments: [facts.id.hex, position, parent.hex])
        }
        return true
    }

    /// Marks a commit a hook first saw as a plain commit (post-commit fires before post-rewrite) as the
    /// product of `event` (amend or rebase).
    public func markRewritten(_ id: CommitID, event: LineageEvent) throws {
        try db.cachedStatement(sql: "UPDATE commits SET event = ? WHERE id = ? AND source = 'hook' AND event = 'commit'")
            .execute(arguments: [event.rawValue, id.hex])
    }

    /// Records an `old → new` rewrite; recording the same pair again changes nothing.
    public func record(_ rewrite: Rewrite, at time: Int64) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO rewrites (old, new, kind, recorded_at) VALUES (?, ?, ?, ?)")
            .execute(arguments: [rewrite.old.hex, rewrite.new.hex, rewrite.kind.rawValue, time])
    }
}
