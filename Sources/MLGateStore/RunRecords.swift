public import MLGateCore
import MLGateSystem
import Foundation
import GRDB

/// Runs, the run cache and the file-hash cache: what `mlgate run` records and reads back.
extension Store {
    /// Records a run that is starting and returns its number.
    public func beginRun(_ record: RunRecord, pid: Int32) throws(StoreError) -> Int {
        try transaction { db in
            try db.execute(sql: """
                INSERT INTO runs (uuid, status, commit_id, branch, dirty, diff_object, repo_url, targets, trigger, job_id,
                                  environment, started_at, pid, host)
                VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [record.uuid, record.source.commit, record.source.branch, Self.dirtyCode(record.source.dirtyReason),
                                 record.source.diffObject, record.source.repositoryURL, Self.json(record.targets), record.trigger,
                                 record.job, Self.json(record.environment), record.startedAt, pid, record.environment.host])
            return Int(db.lastInsertedRowID)
        }
    }

    /// Completes the start of run `number` with the facts that take time to find (the uncommitted changes,
    /// the Python packages): the run is recorded first, so a process killed while finding them leaves a
    /// record that the next run marks abandoned.
    public func completeRunStart(_ number: Int, source: RunSource, environment: RunEnvironment) throws(StoreError) {
        try transaction { db in
            try db.execute(sql: """
                UPDATE runs SET commit_id = ?, branch = ?, dirty = ?, diff_object = ?, repo_url = ?, environment = ? WHERE id = ?
                """, arguments: [source.commit, source.branch, Self.dirtyCode(source.dirtyReason), source.diffObject, source.repositoryURL,
                                 Self.json(environment), number])
        }
    }

    /// Records one stage of run `number` as soon as it is done, with its run-cache entry when it produced
    /// cached outputs, in one transaction: a crash afterwards loses neither.
    public func recordStage(run number: Int, position: Int, _ stage: StageRun, cacheable: Bool) throws(StoreError) {
        try transaction { db in
            try db.execute(sql: "INSERT OR REPLACE INTO run_stages (run_id, position, stage, record) VALUES (?, ?, ?, ?)",
                           arguments: [number, position, stage.stage, Self.json(stage)])
            if cacheable, stage.outcome == .ran {
                try db.execute(sql: "INSERT OR REPLACE INTO run_cache (memo, stage, outputs, run_id, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [stage.memo, stage.stage, Self.json(stage.outputs), number, Store.nowMilliseconds])
            }
        }
    }

    /// Records how run `number` ended.
    public func finishRun(_ number: Int, status: RunStatus, finishedAt: Int64, logObject: String?, message: String?) throws(StoreError) {
        try transaction { db in
            try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ?, log_object = ?, message = ? WHERE id = ?",
                           arguments: [status.rawValue, finishedAt, logObject, message, number])
            if status != .running, let row = try Row.fetchOne(db, sql: "SELECT uuid, commit_id, branch, targets FROM runs WHERE id = ?", arguments: [number]) {
                let branch: String? = row["branch"]
                let payload = #"{"branch":\#(branch.map(JSONText.quoted) ?? "null"),"commit":\#(JSONText.quoted(row["commit_id"] as String? ?? "")),"message":\#(message.map(JSONText.quoted) ?? "null"),"run":\#(number),"status":\#(JSONText.quoted(status.rawValue)),"targets":\#(row["targets"] as String? ?? "[]"),"uuid":\#(JSONText.quoted(row["uuid"] as String? ?? ""))}"#
                try Self.appendEvent(db, kind: status == .succeeded ? "run.completed" : "run.failed", model: "", payload: payload, at: finishedAt)
            }
        }
    }

    /// Marks runs on this host whose process is gone as abandoned; returns how many.
    @discardableResult
    public func abandonDeadRuns(host: String, isAlive: (Int32) -> Bool) throws(StoreError) -> Int {
        try transaction { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?", arguments: [host])
            var count = 0
            for row in rows where !isAlive(row["pid"]) {
                try db.execute(sql: "UPDATE runs SET status = 'abandoned', message = 'the mlgate process ended without finishing the record' WHERE id = ?",
                               arguments: [row["id"] as Int])
                count += 1
            }
            return count
        }
    }

    /// The outputs an earlier run with memo `memo` produced, if any.
    public func cachedOutputs(memo: String) throws(StoreError) -> [LockedOutput]? {
        try reading { db in
            try String.fetchOne(db, sql: "SELECT outputs FROM run_cache WHERE memo = ?", arguments: [memo]).map { try Self.decode([LockedOutput].self, $0) }
        }
    }

    /// Adds run-cache entries (from a remote); existing memos are kept.
    public func importCacheEntries(_ entries: [(memo: String, stage: String, outputs: [LockedOutput])]) throws(StoreError) -> Int {
        try transaction { db in
            var added = 0
            for entry in entries {
                try db.execute(sql: "INSERT OR IGNORE INTO run_cache (memo, stage, outputs, created_at) VALUES (?, ?, ?, ?)",
                               arguments: [entry.memo, entry.stage, Self.json(entry.outputs), Store.nowMilliseconds])
                added += db.changesCount
            }
            return added
        }
    }

    /// Every run-cache entry.
    public func cacheEntries() throws(StoreError) -> [(memo: String, stage: String, outputs: [LockedOutput])] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT memo, stage, outputs FROM run_cache ORDER BY memo").map {
                (memo: $0["memo"], stage: $0["stage"], outputs: try Self.decode([LockedOutput].self, $0["outputs"]))
            }
        }
    }

    /// Run `number`, with its stages.
    public func run(_ number: Int) throws(StoreError) -> RunRecord? {
        try reading { db in try Self.runs(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [number]).first }
    }

    /// The latest runs, newest first.
    public func runs(limit: Int?, commit: String? = nil) throws(StoreError) -> [RunRecord] {
        try reading { db in
            var sql = "SELECT * FROM runs"
            var arguments = StatementArguments()
            if let commit {
                sql += " WHERE commit_id = ?"
                arguments += [commit]
            }
            sql += " ORDER BY id DESC"
            if let limit { sql += " LIMIT \(max(limit, 0))" }
            return try Self.runs(db, sql: sql, arguments: arguments)
        }
    }

    /// Every object a recorded run refers to: outputs, logs, diffs and package lists.
    public func objectsReferencedByRuns() throws(StoreError) -> Set<String> {
        try reading { db in
            var result = Set<String>()
            for row in try Row.fetchAll(db, sql: "SELECT diff_object, log_object, environment FROM runs") {
                if let diff: String = row["diff_object"] { result.insert(diff) }
                if let log: String = row["log_object"] { result.insert(log) }
                if let packages = try Self.decode(RunEnvironment.self, row["environment"]).packagesObject { result.insert(packages) }
            }
            for text in try String.fetchAll(db, sql: "SELECT record FROM run_stages") {
                for output in try Self.decode(StageRun.self, text).outputs where output.cache { result.insert(output.hash) }
            }
            return result
        }
    }

    /// Every object the run cache names (including entries pulled from a remote, whose objects may not be here).
    public func objectsReferencedByRunCache() throws(StoreError) -> Set<String> {
        try reading { db in
            var result = Set<String>()
            for text in try String.fetchAll(db, sql: "SELECT outputs FROM run_cache") {
                for output in try Self.decode([LockedOutput].self, text) where output.cache { result.insert(output.hash) }
            }
            return result
        }
    }

    private static func runs(_ db: Database, sql: String, arguments: StatementArguments) throws -> [RunRecord] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            let number: Int = row["id"]
            let stages = try String.fetchAll(db, sql: "SELECT record FROM run_stages WHERE run_id = ? ORDER BY position", arguments: [number])
                .map { try decode(StageRun.self, $0) }
            return RunRecord(
                number: number, uuid: row["uuid"], status: RunStatus(rawValue: row["status"]) ?? .abandoned,
                source: RunSource(commit: row["commit_id"], branch: row["branch"], dirtyReason: dirtyReason(code: row["dirty"]),
                                  diffObject: row["diff_object"], repositoryURL: row["repo_url"]),
                targets: try decode([String].self, row["targets"]), trigger: row["trigger"], job: row["job_id"],
                environment: try decode(RunEnvironment.self, row["environment"]), startedAt: row["started_at"],
                finishedAt: row["finished_at"], logObject: row["log_object"], stages: stages, message: row["message"])
        }
    }

    // MARK: The file-hash cache

    /// Cached hashes of every file under the folder `directory` (absolute), with the stat facts they were taken at.
    public func fileStates(under directory: String) throws(StoreError) -> [String: FileState] {
        try reading { db in
            var result: [String: FileState] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT path, inode, size, mtime_ns, ctime_ns, hash FROM file_state WHERE path > ? AND path < ?",
                                           arguments: [directory + "/", directory + "0"])
            while let row = try rows.next() {
                result[row["path"]] = FileState(inode: row["inode"], size: row["size"], mtimeNanoseconds: row["mtime_ns"],
                                                ctimeNanoseconds: row["ctime_ns"], hash: row["hash"])
            }
            return result
        }
    }

    /// The cached hash of the file at `path` (absolute), with the stat facts it was taken at; nil when none.
    public func fileState(_ path: String) throws(StoreError) -> FileState? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT inode, size, mtime_ns, ctime_ns, hash FROM file_state WHERE path = ?", arguments: [path]).map { row in
                FileState(inode: row[0], size: row[1], mtimeNanoseconds: row[2], ctimeNanoseconds: row[3], hash: row[4])
            }
        }
    }

    /// The last scan of the folder at `path` (absolute); nil when there is none or it is of another version.
    public func folderSnapshot(_ path: String) throws(StoreError) -> FolderSnapshot? {
        try encodedFolderSnapshot(path).flatMap(FolderSnapshot.init(encoded:))
    }

    /// The bytes of the last scan saved for the folder at absolute `path`, undecoded (see `FolderSnapshot.unchangedHash`).
    public func encodedFolderSnapshot(_ path: String) throws(StoreError) -> [UInt8]? {
        try reading { db in
            // A cursor's row reads the blob where SQLite holds it, while the cursor lives: one copy, into the array.
            let rows = try Row.fetchCursor(db, sql: "SELECT snapshot FROM folder_state WHERE path = ?", arguments: [path])
            return try withExtendedLifetime(rows) { try rows.next()?.withUnsafeData(atIndex: 0) { $0.map { Array($0) } } }
        }
    }

    /// Remembers the hashes of files just hashed and the scans of folders just hashed (by absolute path), together.
    public func saveFileStates(_ states: [String: FileState], folders: [String: FolderSnapshot] = [:]) throws(StoreError) {
        guard !states.isEmpty || !folders.isEmpty else { return }
        try transaction { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO file_state (path, inode, size, mtime_ns, ctime_ns, hash) VALUES (?, ?, ?, ?, ?, ?)")
            for (path, state) in states {
                try statement.execute(arguments: [path, state.inode, state.size, state.mtimeNanoseconds, state.ctimeNanoseconds, state.hash])
            }
            let folderStatement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO folder_state (path, snapshot) VALUES (?, ?)")
            for (path, snapshot) in folders {
                try folderStatement.execute(arguments: [path, Data(snapshot.encoded)])
            }
        }
    }

    // MARK: Helpers

    /// The `runs.dirty` column: 0 clean, 1 uncommitted changes (as it always was), 2 only `mlgate.lock` differed.
    static func dirtyCode(_ reason: RunSource.DirtyReason?) -> Int {
        switch reason {
        case nil: 0
        case .changes: 1
        case .lockOnly: 2
        }
    }

    /// The dirty reason a `runs.dirty` value stands for.
    static func dirtyReason(code: Int) -> RunSource.DirtyReason? {
        switch code {
        case 0: nil
        case 2: .lockOnly
        default: .changes
        }
    }

    /// Runs `body` in one BEGIN IMMEDIATE transaction.
    func transaction<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try queue.write(body) } catch { throw StoreError.database(path: path, message: Self.message(error)) }
    }

    /// Runs `body` in a read transaction.
    func reading<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try queue.read(body) } catch { throw StoreError.database(path: path, message: Self.message(error)) }
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

/// A file's stat facts and the hash they vouch for: unchanged inode, size, mtime and ctime mean unchanged content.
public struct FileState: Hashable, Sendable {
    /// The inode number.
    public var inode: Int64
    /// The size in bytes.
    public var size: Int64
    /// Modification time, nanoseconds since 1970.
    public var mtimeNanoseconds: Int64
    /// Status-change time, nanoseconds since 1970.
    public var ctimeNanoseconds: Int64
    /// The content's SHA-256.
    public var hash: String

    /// Creates a state.
    public init(inode: Int64, size: Int64, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64, hash: String) {
        self.inode = inode
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.ctimeNanoseconds = ctimeNanoseconds
        self.hash = hash
    }

    /// Whether the stat facts match (the hash is not compared).
    public func sameFile(as other: FileState) -> Bool {
        inode == other.inode && size == other.size && mtimeNanoseconds == other.mtimeNanoseconds && ctimeNanoseconds == other.ctimeNanoseconds
    }
}

extension Store {
    /// The wall clock in milliseconds since 1970.
    public static var nowMilliseconds: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
