import ArgumentParser
import Foundation
import MLGateCore
import MLGateEvents
import MLGateRegistry
import MLGateStore
import MLGateWorkspace

/// `mlgate events`: the outbox of everything that happened, and its delivery to the `notify:` subscriptions.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List events and deliver them to the webhooks under notify: in mlgate.yaml.",
        discussion: """
            Every registration, stage or alias move, deployment, traffic change, run, gate and drift check writes an \
            event. mlgate delivers them in the background after the command that wrote them; 'mlgate serve' delivers \
            continuously and 'mlgate ci' before it exits. Use 'deliver' to deliver now, 'list --failed' to see what \
            did not arrive, 'retry' to send dead-lettered events again, and 'verify' in a receiver's tests.
            """,
        subcommands: [List.self, Deliver.self, Retry.self, Verify.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List events, oldest first, or the deliveries that failed.")
        @Option(help: "Only the last N events.") var limit: Int = 100
        @Flag(help: "Show the deliveries waiting for a retry or dead-lettered, with their last error, instead of the events.") var failed = false
        @Flag(help: "Print JSON (shape in docs/json.md).") var json = false

        func run() throws {
            let store = try RegistryContext.current().store
            if failed { return try listFailed(store) }
            let events = try store.events(limit: limit)
            if json {
                return try Output.json(["events": events.map { EventJSON(id: $0.id, kind: $0.kind, model: $0.model, version: $0.version,
                                                                         payload: $0.payload, createdAt: Output.timestamp($0.createdAt / 1000),
                                                                         mirrorError: $0.mirrorError) }])
            }
            var rows = [["#", "WHEN", "KIND", "MODEL", "VERSION", "GIT"]]
            for event in events {
                rows.append([String(event.id), RunsCommand.date(event.createdAt), event.kind, event.model, event.version.map(String.init) ?? "-",
                             event.mirrorError.map { "set aside: " + $0 } ?? ""])
            }
            Output.table(rows)
        }

        private func listFailed(_ store: Store) throws {
            let deliveries = try store.deliveries(failedOnly: true)
            let types = try Dictionary(deliveries.map { ($0.eventID, try store.outboxEvent($0.eventID)?.type ?? "?") }, uniquingKeysWith: { first, _ in first })
            if json { return try Output.json(["deliveries": deliveries.map { DeliveryJSON($0, type: types[$0.eventID] ?? "?") }]) }
            guard !deliveries.isEmpty else { return print("No failed deliveries.") }
            var rows = [["EVENT", "TYPE", "SUBSCRIPTION", "STATE", "ATTEMPTS", "NEXT", "LAST ERROR"]]
            for delivery in deliveries {
                rows.append([String(delivery.eventID), types[delivery.eventID] ?? "?", delivery.subscription, delivery.state.rawValue, String(delivery.attempts),
                             delivery.nextAttemptAt.map(RunsCommand.date) ?? "-", delivery.lastError ?? ""])
            }
            Output.table(rows)
        }
    }

    struct Deliver: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deliver", abstract: "Deliver the events that are due to every subscription now.",
            discussion: """
                Each due event is POSTed once to each subscription that wants it, signed with the Standard Webhooks \
                headers (webhook-id, webhook-timestamp, webhook-signature). A 2xx marks it delivered; a failure is \
                tried again later (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then dead-lettered. Exit 0 when every \
                subscription could be served, 2 when one could not (an unset secret, a disabled subscription).
                """)
        @Option(help: "Stay up to this many seconds to make the retries that fall due meanwhile.") var wait: Double = 0
        @Flag(help: "Print nothing unless something went wrong.") var quiet = false
        @Flag(help: "Print JSON (shape in docs/json.md).") var json = false

        func run() throws {
            let workspace = try Workspace.current()
            let subscriptions = try workspace.configuration().notify
            guard !subscriptions.isEmpty else {
                throw UsageError("\(workspace.configPath) has no 'notify:' subscriptions; add one (docs/events.md), such as notify: {ops: {url: https://hooks.example.com/mlgate, secret_env: MLGATE_WEBHOOK_SECRET}}.")
            }
            let report = try EventDelivery(workspace: workspace, store: try workspace.openStore(), subscriptions: subscriptions).run(waitSeconds: wait)
            if json {
                try Output.json(DeliveryReportJSON(report))
            } else if !quiet || report.dead > 0 {
                print("events: \(report.delivered) delivered, \(report.retrying) to retry, \(report.dead) dead-lettered")
                for name in report.disabled { print("subscription '\(name)' is disabled: its receiver answered 410 Gone") }
            }
            for problem in report.problems { printError("error: " + problem) }
            if !report.problems.isEmpty { throw ExitCode(2) }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry", abstract: "Send dead-lettered or waiting deliveries again now, and enable disabled subscriptions.")
        @Option(help: "Only this subscription's deliveries (and enable it again if a 410 disabled it).") var subscription: String?
        @Option(help: "Only this event's deliveries (its number in 'mlgate events list').") var event: Int?
        @Option(help: "Why, for the audit log when a subscription is enabled again.") var reason: String?

        func run() throws {
            let context = try RegistryContext.current()
            if let subscription, try !context.workspace.configuration().notify.contains(where: { $0.name == subscription }) {
                throw UsageError("there is no subscription '\(subscription)' under notify: in \(context.workspace.configPath).")
            }
            let revived = try context.store.retryDeliveries(subscription: subscription, event: event, by: context.actor(reason: reason))
            print("\(revived) deliver\(revived == 1 ? "y" : "ies") will be tried again now.")
            if revived > 0 || subscription != nil { DeliveryStarter.startIfWaiting(context.workspace) }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Check a received webhook's Standard Webhooks signature (for receivers and their tests).",
            discussion: """
                Reads the raw body from FILE (or standard input with -), and checks webhook-signature against it with the \
                secret in the environment variable --secret-env. Exit 0 valid, 1 invalid or too old, 2 bad input.
                """)
        @Argument(help: "The raw request body, byte for byte as received ('-' for standard input).") var file: String
        @Option(name: .customLong("secret-env"), help: "The environment variable holding the subscription's secret.") var secretVariable: String
        @Option(name: .customLong("id"), help: "The webhook-id header.") var messageID: String
        @Option(help: "The webhook-timestamp header (seconds since 1970).") var timestamp: String
        @Option(help: "The webhook-signature header (one or more 'v1,<base64>' separated by spaces).") var signature: String
        @Option(help: "How many seconds the timestamp may be from now.") var tolerance: Int64 = 300

        func run() throws {
            guard let secret = ProcessInfo.processInfo.environment[secretVariable], !secret.isEmpty else {
                throw UsageError("the environment variable \(secretVariable) (--secret-env) is not set; set it to the subscription's secret.")
            }
            let body: [UInt8]
            if file == "-" {
                body = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: file) else { throw UsageError("cannot read the body file \(file).") }
                body = Array(data)
            }
            let signer: WebhookSignature
            do { signer = try WebhookSignature(secret: secret) } catch { throw UsageError("\(secretVariable): \(error.description)") }
            do {
                try signer.verify(id: messageID, timestamp: timestamp, signatureHeader: signature, body: body, now: Int64(Date().timeIntervalSince1970), tolerance: tolerance)
            } catch {
                print("invalid: \(error.description)")
                throw ExitCode(1)
            }
            print("valid: \(messageID) signed at \(timestamp)")
        }
    }
}

/// One failed delivery in `mlgate events list --failed --json`.
struct DeliveryJSON: Encodable {
    let event: Int
    let type: String
    let subscription: String
    let state: String
    let attempts: Int
    let nextAttemptAt: String?
    let lastStatus: Int?
    let lastError: String?

    enum CodingKeys: String, CodingKey {
        case event, type, subscription, state, attempts, nextAttemptAt = "next_attempt_at", lastStatus = "last_status", lastError = "last_error"
    }

    init(_ record: DeliveryRecord, type: String) {
        event = record.eventID
        self.type = type
        subscription = record.subscription
        state = record.state.rawValue
        attempts = record.attempts
        nextAttemptAt = record.nextAttemptAt.map { Output.timestamp($0 / 1000) }
        lastStatus = record.lastStatus
        lastError = record.lastError
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event, forKey: .event)
        try container.encode(type, forKey: .type)
        try container.encode(subscription, forKey: .subscription)
        try container.encode(state, forKey: .state)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try container.encode(lastStatus, forKey: .lastStatus)
        try container.encode(lastError, forKey: .lastError)
    }
}

/// `mlgate events deliver --json`.
struct DeliveryReportJSON: Encodable {
    let delivered: Int
    let retrying: Int
    let dead: Int
    let disabled: [String]
    let problems: [String]

    init(_ report: EventDelivery.Report) {
        delivered = report.delivered
        retrying = report.retrying
        dead = report.dead
        disabled = report.disabled
        problems = report.problems
    }
}
