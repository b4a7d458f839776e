public import MLGateCore
import GRDB

/// One event of the outbox, as delivery reads it.
public struct OutboxEvent: Sendable, Hashable {
    /// The event's number in the outbox (its order).
    public var id: Int
    /// The internal kind (`model.register`, `run.completed`); `EventType.of(kind:)` gives the public type.
    public var kind: String
    /// The model (or endpoint) it is about; empty for runs.
    public var model: String
    /// The model version, when it is about one.
    public var version: Int?
    /// The event's JSON payload.
    public var payload: String
    /// When it was written, in milliseconds since 1970.
    public var createdAt: Int64

    /// Creates an event.
    public init(id: Int, kind: String, model: String, version: Int?, payload: String, createdAt: Int64) {
        self.id = id
        self.kind = kind
        self.model = model
        self.version = version
        self.payload = payload
        self.createdAt = createdAt
    }

    /// The public type subscriptions filter on.
    public var type: String { EventType.of(kind: kind) }
}

/// Where the delivery of one event to one subscription stands.
public struct DeliveryRecord: Sendable, Hashable {
    /// The three states of a delivery.
    public enum State: String, Sendable, Hashable {
        /// Tried and failed; tried again at `nextAttemptAt`.
        case retrying
        /// Acknowledged by the receiver with a 2xx.
        case delivered
        /// Given up on (the attempts ran out, or the receiver refused it for good): dead-lettered until `events retry`.
        case dead
    }

    /// The event.
    public var eventID: Int
    /// The subscription's name.
    public var subscription: String
    /// The state.
    public var state: State
    /// Attempts made so far.
    public var attempts: Int
    /// When the next attempt is due (retrying only), in milliseconds since 1970.
    public var nextAttemptAt: Int64?
    /// The last HTTP status received, if any.
    public var lastStatus: Int?
    /// Why the last attempt failed (never a secret), if it did.
    public var lastError: String?
    /// When the record last changed, in milliseconds since 1970.
    public var updatedAt: Int64
}

/// The outcome of one delivery attempt, as recorded.
public enum DeliveryOutcome: Sendable, Hashable {
    /// The receiver answered 2xx.
    case delivered(status: Int)
    /// It failed; try again at the given time (milliseconds since 1970).
    case retry(status: Int?, error: String, at: Int64)
    /// It failed for good: dead-lettered.
    case dead(status: Int?, error: String)

    /// Whether the receiver acknowledged it.
    public var isDelivered: Bool {
        if case .delivered = self { return true }
        return false
    }
}

/// A subscription's delivery state: how far its events are settled, and whether it is disabled.
public struct SubscriptionState: Sendable, Hashable {
    /// The subscription's name.
    public var name: String
    /// Every event up to this number was tried for it (its delivery has a record) or is not wanted by it.
    public var cursor: Int
    /// When a receiver's 410 disabled it, in milliseconds since 1970.
    public var disabledAt: Int64?
    /// Why it was disabled.
    public var disabledReason: String?
}

/// The outbox's delivery side: per-subscription cursors over the events never tried, per-event delivery records
/// (retries and dead letters), the subscriptions a receiver disabled.
///
/// A subscription starts with the events of the hour before it was first seen, never the older history. An event
/// is marked delivered only after the receiver acknowledged it, so a delivery cut short (kill -9) is tried again
/// with the same event id: delivery is at least once.
extension Store {
    /// `subscription`'s state, starting it at the newest event when it was never seen before.
    public func subscriptionState(_ subscription: String) throws(StoreError) -> SubscriptionState {
        try transaction { db in try Self.state(db, subscription) }
    }

    /// Up to `limit` events due for `subscription` at `now`, oldest first, each with the attempts made so far: the
    /// retries that fell due, then events never tried. The cursor first moves past every event already tried or not
    /// wanted, so neither waiting retries nor unwanted events can hold new ones back.
    public func dueDeliveries(for subscription: NotifySubscription, now: Int64, limit: Int) throws(StoreError) -> [(event: OutboxEvent, attempts: Int)] {
        try transaction { db in
            let cursor = try Self.advanceCursor(db, subscription)
            let retries = try Row.fetchAll(db, sql: """
                SELECT e.*, d.attempts AS delivery_attempts FROM event_deliveries d JOIN events e ON e.id = d.event_id
                WHERE d.subscription = ? AND d.state = 'retrying' AND d.next_attempt_at <= ? ORDER BY e.id LIMIT ?
                """, arguments: [subscription.name, now, max(limit, 1)]).map { (event: Self.outboxEvent($0), attempts: $0["delivery_attempts"] as Int) }
            let fresh = try Row.fetchAll(db, sql: """
                SELECT e.* FROM events e LEFT JOIN event_deliveries d ON d.event_id = e.id AND d.subscription = ?
                WHERE e.id > ? AND d.event_id IS NULL ORDER BY e.id LIMIT ?
                """, arguments: [subscription.name, cursor, max(limit, 1) * 4]).map(Self.outboxEvent)
                .filter { subscription.wants(type: $0.type, model: $0.model) }.map { (event: $0, attempts: 0) }
            return Array((retries + fresh).prefix(max(limit, 1)))
        }
    }

    /// Records attempts to deliver events to `subscription`, in one transaction.
    public func recordDeliveries(subscription: NotifySubscription, _ attempts: [(event: Int, attempts: Int, outcome: DeliveryOutcome)]) throws(StoreError) {
        guard !attempts.isEmpty else { return }
        let now = Store.nowMilliseconds
        try transaction { db in
            for attempt in attempts {
                let (state, status, error, next): (DeliveryRecord.State, Int?, String?, Int64?) = switch attempt.outcome {
                case .delivered(let status): (.delivered, status, nil, nil)
                case .retry(let status, let error, let at): (.retrying, status, error, at)
                case .dead(let status, let error): (.dead, status, error, nil)
                }
                try db.execute(sql: """
                    INSERT OR REPLACE INTO event_deliveries (event_id, subscription, state, attempts, next_attempt_at, last_status, last_error, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [attempt.event, subscription.name, state.rawValue, attempt.attempts, next, status, error, now])
            }
            try Self.advanceCursor(db, subscription)
        }
    }

    /// Disables `subscription` (its receiver answered 410 Gone), audited; nothing more is sent to it until
    /// `retryDeliveries(subscription:)` enables it again.
    public func disableSubscription(_ subscription: String, reason: String, by actor: RegistryActor) throws(StoreError) {
        try transaction { db in
            _ = try Self.state(db, subscription)
            let now = Store.nowMilliseconds
            try db.execute(sql: "UPDATE event_subscriptions SET disabled_at = ?, disabled_reason = ? WHERE name = ?", arguments: [now, reason, subscription])
            try Self.appendAudit(db, action: "notify-disabled", subject: "notify:/\(subscription)", before: #"{"enabled":true}"#,
                                 after: #"{"enabled":false,"reason":\#(JSONText.quoted(reason))}"#, actor: actor, verdictDigest: nil, at: now)
        }
    }

    /// Puts dead-lettered deliveries back to be tried now (all, one subscription's, or one event's) and enables the
    /// subscriptions concerned again (audited when one was disabled); returns how many deliveries were revived.
    @discardableResult
    public func retryDeliveries(subscription: String?, event: Int?, by actor: RegistryActor) throws(StoreError) -> Int {
        try transaction { db in
            var conditions = ["state IN ('dead', 'retrying')"]
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let subscription { conditions.append("subscription = ?"); arguments.append(subscription) }
            if let event { conditions.append("event_id = ?"); arguments.append(event) }
            let rows = try Row.fetchAll(db, sql: "SELECT event_id, subscription FROM event_deliveries WHERE " + conditions.joined(separator: " AND "),
                                        arguments: StatementArguments(arguments) ?? [])
            let now = Store.nowMilliseconds
            for row in rows {
                try db.execute(sql: "UPDATE event_deliveries SET state = 'retrying', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE event_id = ? AND subscription = ?",
                               arguments: [now, now, row["event_id"] as Int, row["subscription"] as String])
            }
            var names = Set(rows.map { $0["subscription"] as String })
            if let subscription { names.insert(subscription) }
            for name in names.sorted() {
                guard let reason = try String.fetchOne(db, sql: "SELECT disabled_reason FROM event_subscriptions WHERE name = ? AND disabled_at IS NOT NULL", arguments: [name]) else { continue }
                try db.execute(sql: "UPDATE event_subscriptions SET disabled_at = NULL, disabled_reason = NULL WHERE name = ?", arguments: [name])
                try Self.appendAudit(db, action: "notify-enabled", subject: "notify:/\(name)", before: #"{"enabled":false,"reason":\#(JSONText.quoted(reason))}"#,
                                     after: #"{"enabled":true}"#, actor: actor, verdictDigest: nil, at: now)
            }
            return rows.count
        }
    }

    /// The delivery records, oldest event first; `failedOnly` keeps the retrying and dead ones.
    public func deliveries(failedOnly: Bool = false) throws(StoreError) -> [DeliveryRecord] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event_deliveries" + (failedOnly ? " WHERE state != 'delivered'" : "") + " ORDER BY event_id, subscription").map { row in
                DeliveryRecord(eventID: row["event_id"], subscription: row["subscription"], state: DeliveryRecord.State(rawValue: row["state"]) ?? .retrying,
                               attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"], lastStatus: row["last_status"], lastError: row["last_error"],
                               updatedAt: row["updated_at"])
            }
        }
    }

    /// Every subscription's state, by name.
    public func subscriptionStates() throws(StoreError) -> [SubscriptionState] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event_subscriptions ORDER BY name").map(Self.subscriptionState)
        }
    }

    /// When the soonest retry of `subscription` is due, if one is waiting.
    public func nextRetry(subscription: String) throws(StoreError) -> Int64? {
        try reading { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM event_deliveries WHERE subscription = ? AND state = 'retrying'", arguments: [subscription])
        }
    }

    /// Whether an event may be waiting for one of `subscriptions`: one written after its cursor (or, for a subscription
    /// not seen yet, within the hour it would start with), or a retry.
    public func eventsWaiting(for subscriptions: [String]) throws(StoreError) -> Bool {
        try reading { db in
            guard let newest = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM events") else { return false }
            for name in subscriptions {
                let cursor = try Int.fetchOne(db, sql: "SELECT cursor FROM event_subscriptions WHERE name = ?", arguments: [name]) ?? Self.startingCursor(db)
                if newest > cursor { return true }
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event_deliveries WHERE subscription = ? AND state = 'retrying')", arguments: [name]) == true {
                    return true
                }
            }
            return false
        }
    }

    /// The outbox event numbered `id`, if there is one.
    public func outboxEvent(_ id: Int) throws(StoreError) -> OutboxEvent? {
        try reading { db in try Row.fetchOne(db, sql: "SELECT * FROM events WHERE id = ?", arguments: [id]).map(Self.outboxEvent) }
    }

    /// Appends an event that has no git tag (runs, gates, monitors, endpoints): born mirrored, waiting only for delivery.
    static func appendEvent(_ db: Database, kind: String, model: String, version: Int? = nil, payload: String, at now: Int64) throws {
        try db.execute(sql: "INSERT INTO events (kind, model, version, payload, counter, created_at, mirrored_at) VALUES (?, ?, ?, ?, NULL, ?, ?)",
                       arguments: [kind, model, version, payload, now, now])
    }

    /// Moves `subscription`'s cursor past the events after it that were tried (have a delivery row) or are not wanted,
    /// stopping at the first wanted event never tried; returns the cursor.
    @discardableResult
    private static func advanceCursor(_ db: Database, _ subscription: NotifySubscription) throws -> Int {
        let start = try state(db, subscription.name).cursor
        var cursor = start
        scan: while true {
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.id, e.kind, e.model, d.event_id IS NOT NULL AS tried FROM events e
                LEFT JOIN event_deliveries d ON d.event_id = e.id AND d.subscription = ? WHERE e.id > ? ORDER BY e.id LIMIT 500
                """, arguments: [subscription.name, cursor])
            for row in rows {
                guard row["tried"] || !subscription.wants(type: EventType.of(kind: row["kind"]), model: row["model"]) else { break scan }
                cursor = row["id"]
            }
            if rows.count < 500 { break }
        }
        if cursor != start { try db.execute(sql: "UPDATE event_subscriptions SET cursor = ? WHERE name = ?", arguments: [cursor, subscription.name]) }
        return cursor
    }

    private static func state(_ db: Database, _ name: String) throws -> SubscriptionState {
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM event_subscriptions WHERE name = ?", arguments: [name]) { return subscriptionState(row) }
        let cursor = try startingCursor(db)
        try db.execute(sql: "INSERT INTO event_subscriptions (name, cursor, first_seen_at) VALUES (?, ?, ?)", arguments: [name, cursor, Store.nowMilliseconds])
        return SubscriptionState(name: name, cursor: cursor, disabledAt: nil, disabledReason: nil)
    }

    /// How much history a new subscription gets.
    public static let newSubscriptionHistoryMilliseconds: Int64 = 3_600_000

    /// Where a new subscription starts: after the last event older than an hour, so the command that made it
    /// appear, and the hour before, are delivered, but never the older history.
    private static func startingCursor(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT MAX(id) FROM events WHERE created_at < ?", arguments: [Store.nowMilliseconds - newSubscriptionHistoryMilliseconds]) ?? 0
    }

    private static func subscriptionState(_ row: Row) -> SubscriptionState {
        SubscriptionState(name: row["name"], cursor: row["cursor"], disabledAt: row["disabled_at"], disabledReason: row["disabled_reason"])
    }

    static func outboxEvent(_ row: Row) -> OutboxEvent {
        OutboxEvent(id: row["id"], kind: row["kind"], model: row["model"], version: row["version"], payload: row["payload"], createdAt: row["created_at"])
    }
}
