/// One `notify.NAME` subscription: where events are delivered, how they are signed, shaped and filtered.
public struct NotifySubscription: Hashable, Sendable {
    /// The body a receiver gets.
    public enum Format: String, Hashable, Sendable, CaseIterable {
        /// A CloudEvents 1.0 structured-mode JSON envelope (`application/cloudevents+json`).
        case cloudevents
        /// A Slack incoming-webhook message (`{"text": …}`).
        case slack
        /// A Microsoft Teams workflow message with one Adaptive Card.
        case teams
    }

    /// The subscription's name in `mlgate.yaml` (delivery state is kept under it).
    public var name: String
    /// The absolute `http://` or `https://` URL events are POSTed to.
    public var url: String
    /// The environment variable holding the signing secret (`whsec_…` or any string), if events are signed.
    public var secretVariable: String?
    /// The event types delivered (`model.registered`, `model.*`); empty means every type.
    public var events: [String]
    /// The models whose events are delivered; empty means every model.
    public var models: [String]
    /// The body's shape.
    public var format: Format
    /// Internal networks (CIDR) the URL may reach; every other internal address is refused at connect time.
    public var allowAddresses: [String]
    /// The limit for one delivery attempt, in seconds.
    public var timeoutSeconds: Int

    /// Creates a subscription.
    public init(name: String, url: String, secretVariable: String? = nil, events: [String] = [], models: [String] = [],
                format: Format = .cloudevents, allowAddresses: [String] = [], timeoutSeconds: Int = 15) {
        self.name = name
        self.url = url
        self.secretVariable = secretVariable
        self.events = events
        self.models = models
        self.format = format
        self.allowAddresses = allowAddresses
        self.timeoutSeconds = timeoutSeconds
    }

    /// Whether an event of public type `type` about `model` goes to this subscription.
    public func wants(type: String, model: String) -> Bool {
        let typeMatches = events.isEmpty || events.contains { pattern in
            pattern.hasSuffix(".*") ? type.hasPrefix(pattern.dropLast()) : pattern == type
        }
        return typeMatches && (models.isEmpty || models.contains(model))
    }
}

/// The public event types mlgate delivers, and how the outbox's internal kinds map onto them.
public enum EventType {
    /// Every public type, as subscriptions name them.
    public static let all = [
        "run.completed", "run.failed", "gate.passed", "gate.failed", "model.registered", "model.stage_changed",
        "model.alias_changed", "model.changed", "deployment.succeeded", "deployment.failed", "endpoint.traffic_changed",
        "drift.detected", "monitor.failed",
    ]

    /// The public type of an outbox event of `kind` (`model.register` → `model.registered`).
    public static func of(kind: String) -> String {
        switch kind {
        case "model.register": "model.registered"
        case "model.demote": "model.stage_changed"
        case "model.alias-set", "model.alias-unset": "model.alias_changed"
        case "model.deploy", "model.deploy-forced", "model.rollback": "deployment.succeeded"
        case "model.deploy-failed": "deployment.failed"
        case "endpoint.traffic": "endpoint.traffic_changed"
        case let kind where kind.hasPrefix("model.promote"): "model.stage_changed"
        case let kind where kind.hasPrefix("model."): "model.changed"
        default: kind
        }
    }

    /// Whether `pattern` names a type or a family of types (`model.*`).
    public static func isPattern(_ pattern: String) -> Bool {
        pattern.hasSuffix(".*") ? all.contains { $0.hasPrefix(pattern.dropLast()) } : all.contains(pattern)
    }
}
