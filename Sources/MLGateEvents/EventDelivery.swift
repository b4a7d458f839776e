import Foundation
public import MLGateCore
public import MLGateStore
import MLGateNotify
import MLGateRegistry
import MLGateSystem
package import MLGateWorkspace

#if canImport(Glibc)
import Glibc
#endif

/// Delivers the outbox's events to the `notify:` subscriptions over HTTP, signed with Standard Webhooks headers.
///
/// One attempt per due delivery per pass; failures are scheduled by `RetrySchedule`, and an event is marked
/// delivered only after a 2xx, so a deliverer killed mid-request sends the event again later with the same
/// `webhook-id` (at least once). Passes of concurrent deliverers are serialised by `.mlgate/locks/events.lock`.
package struct EventDelivery {
    /// What a delivery run did.
    public struct Report: Sendable, Equatable {
        /// Deliveries acknowledged with 2xx.
        public var delivered = 0
        /// Failed attempts that will be tried again.
        public var retrying = 0
        /// Deliveries given up on (dead-lettered).
        public var dead = 0
        /// Subscriptions that could not be delivered to at all, with why (an unset secret, a disabled subscription).
        public var problems: [String] = []
        /// Subscriptions disabled by their receiver's 410 during this run.
        public var disabled: [String] = []
    }

    /// Deliveries taken from the store at a time.
    static let batch = 200
    /// Acknowledged deliveries recorded together; a failure is recorded at once.
    static let recordEvery = 20

    let workspace: Workspace
    let store: Store
    let subscriptions: [NotifySubscription]
    let environment: [String: String]
    let schedule: RetrySchedule
    let source: String

    /// A deliverer for `workspace`'s subscriptions, reading secrets from `environment`.
    package init(workspace: Workspace, store: Store, subscriptions: [NotifySubscription], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.workspace = workspace
        self.store = store
        self.subscriptions = subscriptions
        self.environment = environment
        schedule = RetrySchedule(environment: environment)
        source = "/mlgate/" + (workspace.root.split(separator: "/").last.map(String.init) ?? "repository")
    }

    /// Delivers what is due now; then, while retries fall due within `waitSeconds`, sleeps until the soonest and
    /// delivers again. The lock is held during each pass only, never while waiting.
    package func run(waitSeconds: Double = 0) throws -> Report {
        var report = Report()
        let deadline = Store.nowMilliseconds + Int64(max(waitSeconds, 0) * 1000)
        var first = true
        // One deliverer waits for retries at a time; others make their pass and leave the waiting to it.
        var waiter: FileLock?
        while true {
            let pass = try deliverDue(reportProblems: first)
            first = false
            report.delivered += pass.delivered
            report.retrying += pass.retrying
            report.dead += pass.dead
            report.problems += pass.problems
            report.disabled += pass.disabled
            let soonest = try subscriptions.compactMap { (subscription) throws -> Int64? in try store.nextRetry(subscription: subscription.name) }.min()
            guard let soonest, soonest <= deadline else { return report }
            if waiter == nil {
                guard let lock = try? FileLock(path: workspace.layout.directory + "/locks/events-waiter.lock", operation: LOCK_EX | LOCK_NB) else { return report }
                waiter = lock
            }
            let pause = Double(max(soonest - Store.nowMilliseconds, 0)) / 1000
            if pause > 0 { HTTPClient.systemSleep(pause) }
        }
        withExtendedLifetime(waiter) {}
    }

    /// One pass over every subscription: each due delivery tried once.
    package func deliverDue(reportProblems: Bool = true) throws -> Report {
        let lock = try FileLock(path: workspace.layout.directory + "/locks/events.lock", operation: LOCK_EX)
        defer { withExtendedLifetime(lock) {} }
        var report = Report()
        for subscription in subscriptions {
            let state = try store.subscriptionState(subscription.name)
            if let reason = state.disabledReason, state.disabledAt != nil {
                if reportProblems { report.problems.append("subscription '\(subscription.name)' is disabled (\(reason)); 'mlgate events retry --subscription \(subscription.name)' enables it again") }
                continue
            }
            var signer: WebhookSignature?
            if let variable = subscription.secretVariable {
                guard let secret = environment[variable], !secret.isEmpty else {
                    if reportProblems { report.problems.append("subscription '\(subscription.name)': the secret variable \(variable) is not set; set it in the environment of mlgate (its events wait, nothing is lost)") }
                    continue
                }
                do { signer = try WebhookSignature(secret: secret) } catch {
                    if reportProblems { report.problems.append("subscription '\(subscription.name)': \(variable): \(error.description)") }
                    continue
                }
            }
            let client = HTTPClient(attempts: 1, timeoutSeconds: subscription.timeoutSeconds, addresses: .publicOnly(allowing: subscription.allowAddresses))
            deliveries: while true {
                let due = try store.dueDeliveries(for: subscription, now: Store.nowMilliseconds, limit: Self.batch)
                if due.isEmpty { break }
                // Outcomes are written every `Self.recordEvery` attempts (one transaction, one fsync): a deliverer killed
                // in between sends those events again, under the same ids.
                var unrecorded: [(event: Int, attempts: Int, outcome: DeliveryOutcome)] = []
                defer { try? store.recordDeliveries(subscription: subscription, unrecorded) }
                for (event, attempts) in due {
                    let outcome = send(event, to: subscription, client: client, signer: signer, attempt: attempts + 1)
                    unrecorded.append((event.id, attempts + 1, outcome))
                    if unrecorded.count >= Self.recordEvery || !outcome.isDelivered {
                        try store.recordDeliveries(subscription: subscription, unrecorded)
                        unrecorded.removeAll()
                    }
                    switch outcome {
                    case .delivered: report.delivered += 1
                    case .retry: report.retrying += 1
                    case .dead(let status, let error):
                        report.dead += 1
                        if status == 410 {
                            try store.disableSubscription(subscription.name, reason: "its receiver answered 410 Gone",
                                                          by: RegistryActor(name: RegistryContext.identity(root: workspace.root), reason: error))
                            report.disabled.append(subscription.name)
                            break deliveries
                        }
                    }
                }
                try store.recordDeliveries(subscription: subscription, unrecorded)
                unrecorded.removeAll()
                // A batch with retries only waiting behind it: the next pass (or `run`'s wait) takes them.
                if due.count < Self.batch { break }
            }
        }
        return report
    }

    /// One attempt at delivering `event`, and what it means for the delivery.
    func send(_ event: OutboxEvent, to subscription: NotifySubscription, client: HTTPClient, signer: WebhookSignature?, attempt: Int) -> DeliveryOutcome {
        let message = EventMessage(event, format: subscription.format, source: source)
        let timestamp = Store.nowMilliseconds / 1000
        var headers = ["Content-Type": message.contentType, "webhook-id": message.id, "webhook-timestamp": String(timestamp)]
        if let signer { headers["webhook-signature"] = signer.sign(id: message.id, timestamp: timestamp, body: message.body) }
        let failure: (status: Int?, error: String)
        do {
            let response = try client.send(HTTPRequest(method: "POST", url: subscription.url, headers: headers, body: message.body))
            if response.isSuccess { return .delivered(status: response.status) }
            let detail = "HTTP \(response.status)" + (response.status / 100 == 3 ? " (redirects are not followed)" : "")
            switch response.status {
            case 410: return .dead(status: 410, error: "HTTP 410 Gone: the receiver asked for no more deliveries")
            case 400, 401, 403, 413: return .dead(status: response.status, error: detail + ": the receiver refused the event; fix the receiver, then 'mlgate events retry'")
            default: failure = (response.status, detail)
            }
        } catch {
            switch error {
            case .refusedAddress(let why):
                return .dead(status: nil, error: why + "; list the network in notify.\(subscription.name).allow_addresses to allow it")
            case .invalidRequest(let why), .libcurlMissing(let why):
                return .dead(status: nil, error: why)
            case .transport, .status:
                failure = (nil, error.description)
            }
        }
        guard let wait = schedule.wait(afterAttempt: attempt, random: Double.random(in: 0..<1)) else {
            return .dead(status: failure.status, error: failure.error + "; gave up after \(attempt) attempts")
        }
        return .retry(status: failure.status, error: failure.error, at: Store.nowMilliseconds + wait)
    }
}
