import GRDB
import MLGateCore

/// One recorded drift check of a model.
public struct MonitorCheckRecord: Sendable, Hashable {
    /// The row's id.
    public var id: Int
    /// The model.
    public var model: String
    /// The version in production when it was checked (`models:/churn/3`), if any.
    public var version: String?
    /// What was checked (the current data's path).
    public var current: String
    /// Whether the dataset drifted.
    public var drifted: Bool
    /// The share of drifted columns.
    public var share: Double
    /// The check's JSON (`mlgate monitor check --json`).
    public var json: String
    /// When, in milliseconds since 1970.
    public var checkedAt: Int64
}

extension Store {
    /// Records a drift check.
    @discardableResult
    public func recordMonitorCheck(model: String, version: String?, current: String, drifted: Bool, share: Double, json: String) throws(StoreError) -> MonitorCheckRecord {
        let now = Store.nowMilliseconds
        let id = try transaction { db -> Int in
            try db.execute(sql: "INSERT INTO monitor_checks (model, version, current, drifted, share, report, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [model, version, current, drifted, share, json, now])
            let id = Int(db.lastInsertedRowID)
            if drifted {
                let payload = #"{"check":\#(id),"current":\#(JSONText.quoted(current)),"model":\#(JSONText.quoted(model)),"share":\#(share),"version":\#(version.map(JSONText.quoted) ?? "null")}"#
                try Self.appendEvent(db, kind: "drift.detected", model: model, version: version.flatMap(Self.versionNumber), payload: payload, at: now)
            }
            return id
        }
        return MonitorCheckRecord(id: id, model: model, version: version, current: current, drifted: drifted, share: share, json: json, checkedAt: now)
    }

    /// Records a monitor check that could not be made (no production rows, unreadable data), as a `monitor.failed` event.
    public func recordMonitorFailure(model: String, reason: String) throws(StoreError) {
        try transaction { db in
            let payload = #"{"model":\#(JSONText.quoted(model)),"reason":\#(JSONText.quoted(reason))}"#
            try Self.appendEvent(db, kind: "monitor.failed", model: model, payload: payload, at: Store.nowMilliseconds)
        }
    }

    /// The number at the end of `models:/churn/3`.
    static func versionNumber(_ uri: String) -> Int? { uri.split(separator: "/").last.flatMap { Int($0) } }

    /// A model's drift checks, newest first, at most `limit`.
    public func monitorChecks(model: String, limit: Int = 50) throws(StoreError) -> [MonitorCheckRecord] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM monitor_checks WHERE model = ? ORDER BY id DESC LIMIT ?", arguments: [model, max(limit, 0)]).map { row in
                MonitorCheckRecord(id: row["id"], model: row["model"], version: row["version"], current: row["current"], drifted: row["drifted"],
                                   share: row["share"], json: row["report"], checkedAt: row["checked_at"])
            }
        }
    }
}
