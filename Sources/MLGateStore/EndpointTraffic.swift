import Foundation
import GRDB
public import MLGateCore

/// One traffic setting of an endpoint: the live shares and the mirror from a moment on, who set them and why.
public struct EndpointTrafficRecord: Sendable, Hashable {
    /// The row's id, in the order settings were made.
    public var id: Int
    /// The endpoint.
    public var endpoint: String
    /// The live shares.
    public var traffic: TrafficMap
    /// The mirror, if any.
    public var mirror: TrafficMirror?
    /// The model URI each deployment serves where `mlgate deploy` changed it (others serve mlgate.yaml's).
    public var models: [String: String] = [:]
    /// When, in milliseconds since 1970.
    public var setAt: Int64
    /// Who.
    public var actor: String
    /// Why.
    public var reason: String?
}

extension Store {
    /// The endpoint's traffic settings, oldest first.
    public func endpointTrafficHistory(endpoint: String) throws -> [EndpointTrafficRecord] {
        try readingRegistry { db in
            try Row.fetchAll(db, sql: "SELECT * FROM endpoint_traffic WHERE endpoint = ? ORDER BY id", arguments: [endpoint]).map(Self.trafficRecord)
        }
    }

    /// Records a traffic setting of `endpoint`, audited (`endpoint-traffic`, subject `endpoints:/NAME`) with an event,
    /// in one transaction. `check` sees the setting in force (nil: none recorded yet) and may refuse by throwing,
    /// which changes nothing.
    @discardableResult
    public func setEndpointTraffic(endpoint: String, traffic: TrafficMap, mirror: TrafficMirror?, models: [String: String] = [:], by actor: RegistryActor,
                                   check: (EndpointTrafficRecord?) throws -> Void) throws -> EndpointTrafficRecord {
        try mutate { db in
            let current = try Row.fetchOne(db, sql: "SELECT * FROM endpoint_traffic WHERE endpoint = ? ORDER BY id DESC LIMIT 1", arguments: [endpoint])
                .map(Self.trafficRecord)
            try check(current)
            let now = Store.nowMilliseconds
            try db.execute(sql: "INSERT INTO endpoint_traffic (endpoint, traffic, mirror, models, set_at, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [endpoint, Self.json(traffic), mirror.map(Self.json), models.isEmpty ? nil : Self.json(models), now, actor.name, actor.reason])
            let id = Int(db.lastInsertedRowID)
            let before = current.map { Self.settingJSON($0.traffic, $0.mirror, $0.models) } ?? "null"
            let after = Self.settingJSON(traffic, mirror, models)
            try Self.recordEndpoint(db, endpoint: endpoint, before: before, after: after, actor: actor, at: now)
            return EndpointTrafficRecord(id: id, endpoint: endpoint, traffic: traffic, mirror: mirror, models: models, setAt: now, actor: actor.name,
                                         reason: actor.reason)
        }
    }

    /// Appends the audit row of an endpoint change and its event (born mirrored: endpoints have no git tags).
    private static func recordEndpoint(_ db: Database, endpoint: String, before: String, after: String, actor: RegistryActor, at now: Int64) throws {
        try appendAudit(db, action: "endpoint-traffic", subject: "endpoints:/\(endpoint)", before: before, after: after, actor: actor,
                        verdictDigest: nil, at: now)
        let payload = #"{"action":"endpoint-traffic","actor":\#(JSONText.quoted(actor.name)),"after":\#(after),"before":\#(before),"endpoint":\#(JSONText.quoted(endpoint)),"reason":\#(actor.reason.map(JSONText.quoted) ?? "null")}"#
        try appendEvent(db, kind: "endpoint.traffic", model: endpoint, payload: payload, at: now)
    }

    /// `{"blue":90,"green":10}`, keys sorted.
    static func json(_ traffic: TrafficMap) -> String {
        "{" + traffic.weights.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\($0.value)" }.joined(separator: ",") + "}"
    }

    /// `{"green":10}`.
    static func json(_ mirror: TrafficMirror) -> String { "{\(JSONText.quoted(mirror.deployment)):\(mirror.percent)}" }

    /// `{"green":"churn/3"}`, keys sorted.
    static func json(_ models: [String: String]) -> String {
        "{" + models.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(JSONText.quoted($0.value))" }.joined(separator: ",") + "}"
    }

    /// The setting as the audit log records it; `models` only when a deploy changed one (older rows read the same).
    static func settingJSON(_ traffic: TrafficMap, _ mirror: TrafficMirror?, _ models: [String: String] = [:]) -> String {
        let models = models.isEmpty ? "" : #","models":\#(json(models))"#
        return #"{"mirror":\#(mirror.map(json) ?? "null")\#(models),"traffic":\#(json(traffic))}"#
    }

    /// Reads `{"name":percent,…}` back.
    static func weights(_ text: String) -> [String: Int] {
        var weights: [String: Int] = [:]
        for pair in text.dropFirst().dropLast().split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]) else { continue }
            weights[String(parts[0].dropFirst().dropLast())] = value
        }
        return weights
    }

    static func trafficRecord(_ row: Row) -> EndpointTrafficRecord {
        let mirror = (row["mirror"] as String?).flatMap { weights($0).first }.map { TrafficMirror(deployment: $0.key, percent: $0.value) }
        let models = (row["models"] as String?).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] } ?? [:]
        return EndpointTrafficRecord(id: row["id"], endpoint: row["endpoint"], traffic: TrafficMap(weights(row["traffic"])), mirror: mirror,
                                     models: models, setAt: row["set_at"], actor: row["actor"], reason: row["reason"])
    }
}
