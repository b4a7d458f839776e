import Foundation
public import MLGateCore
public import MLGateStore

/// What one outbox event looks like on the wire for a subscription: the body, its content type, and the
/// Standard Webhooks id that stays the same across every retry.
public struct EventMessage: Sendable {
    /// The `webhook-id` (and CloudEvents `id`): `evt_<created ms>_<outbox number>`, stable across retries.
    public let id: String
    /// The request body.
    public let body: [UInt8]
    /// The `Content-Type` header.
    public let contentType: String

    /// The message for `event` in `format`; `source` names the repository (CloudEvents `source`).
    public init(_ event: OutboxEvent, format: NotifySubscription.Format, source: String) {
        id = "evt_\(event.createdAt)_\(event.id)"
        let details = (try? JSONSerialization.jsonObject(with: Data(event.payload.utf8))) as? [String: Any] ?? [:]
        switch format {
        case .cloudevents:
            contentType = "application/cloudevents+json"
            let version = event.version.map(String.init) ?? "null"
            body = Array(("{" + [
                #""specversion":"1.0""#,
                #""id":\#(JSONText.quoted(id))"#,
                #""source":\#(JSONText.quoted(source))"#,
                #""type":\#(JSONText.quoted("dev.mlgate." + event.type))"#,
                #""subject":\#(JSONText.quoted(Self.subject(event, details)))"#,
                #""time":\#(JSONText.quoted(Self.time(event.createdAt)))"#,
                #""datacontenttype":"application/json""#,
                #""data":{"event":\#(event.payload),"kind":\#(JSONText.quoted(event.kind)),"model":\#(JSONText.quoted(event.model)),"version":\#(version)}"#,
            ].joined(separator: ",") + "}").utf8)
        case .slack:
            contentType = "application/json"
            body = Array(#"{"text":\#(JSONText.quoted(Self.summary(event, details)))}"#.utf8)
        case .teams:
            contentType = "application/json"
            let card = #"{"type":"AdaptiveCard","version":"1.4","$schema":"http://adaptivecards.io/schemas/adaptive-card.json","body":[{"type":"TextBlock","wrap":true,"text":\#(JSONText.quoted(Self.summary(event, details)))}]}"#
            body = Array(#"{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":\#(card)}]}"#.utf8)
        }
    }

    /// Azure's subject grammar: `models/churn:3`, `endpoints/shop`, `runs/12`.
    static func subject(_ event: OutboxEvent, _ details: [String: Any]) -> String {
        if event.kind.hasPrefix("endpoint.") { return "endpoints/\(event.model)" }
        if event.kind.hasPrefix("run."), let run = details["run"] as? Int { return "runs/\(run)" }
        return "models/\(event.model)" + (event.version.map { ":\($0)" } ?? "")
    }

    /// RFC 3339 with milliseconds, in UTC.
    static func time(_ milliseconds: Int64) -> String {
        let text = Timestamp.iso8601(milliseconds / 1000)
        let fraction = String(milliseconds % 1000)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - fraction.count) + fraction + "Z"
    }

    /// One line for people: `mlgate: model.registered churn v3 by alice — "weekly retrain"`.
    static func summary(_ event: OutboxEvent, _ details: [String: Any]) -> String {
        var text = "mlgate: \(event.type)"
        if !event.model.isEmpty { text += " \(event.model)" }
        if let version = event.version { text += " v\(version)" }
        if let run = details["run"] as? Int { text += " run \(run)" }
        if let status = details["status"] as? String { text += " (\(status))" }
        if let actor = details["actor"] as? String { text += " by \(actor)" }
        if let reason = details["reason"] as? String { text += " — \"\(reason)\"" }
        if let share = details["share"] as? Double { text += String(format: " — %.0f%% of columns drifted", share * 100) }
        return text
    }
}
