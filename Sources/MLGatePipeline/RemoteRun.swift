package import MLGateCore
import Foundation

/// A run on another engine (the queue's `executor:`): started once, a lost answer reconciled by the request's key
/// instead of dispatched again, and followed until it ends. The queue's worker and `mlgate ci --dispatch` share it.
package struct RemoteRun {
    /// The engine.
    package let dispatcher: any JobDispatcher
    /// How often the run's status is read.
    package var pollSeconds: Double
    /// Where progress lines go.
    package let log: (String) -> Void

    /// How often a run's status is read by default: every 10 s (`MLGATE_DISPATCH_POLL_MS` sets it, for tests).
    package static var defaultPollSeconds: Double {
        ProcessInfo.processInfo.environment["MLGATE_DISPATCH_POLL_MS"].flatMap(Double.init).map { $0 / 1000 } ?? 10
    }

    /// A follower of `dispatcher`'s runs, reading their status every `pollSeconds`.
    package init(dispatcher: any JobDispatcher, pollSeconds: Double = RemoteRun.defaultPollSeconds, log: @escaping (String) -> Void) {
        self.dispatcher = dispatcher
        self.pollSeconds = pollSeconds
        self.log = log
    }

    /// The run for `request`: `known` (an earlier attempt recorded it), else one the engine already has for the key
    /// (an answer lost on the way), else a new dispatch; a dispatch whose answer is lost is looked for once more.
    package func start(_ request: DispatchRequest, known: DispatchReceipt?) throws -> DispatchReceipt {
        let engine = dispatcher.engine
        if let known {
            log("following \(engine) run \(known.url), dispatched by an earlier attempt")
            return known
        }
        if let found = try dispatcher.reconcile(request) {
            log("found its \(engine) run \(found.url) (an earlier dispatch's answer was lost); following it")
            return found
        }
        do {
            let receipt = try dispatcher.dispatch(request)
            log("dispatched to \(engine): \(receipt.url)")
            return receipt
        } catch {
            // The answer may be what was lost: look for the run (it can take seconds to be listed) before calling it
            // a failure.
            for attempt in 0..<Self.lookups {
                if attempt > 0 { nap(min(pollSeconds, 5), until: { false }) }
                if let found = try? dispatcher.reconcile(request) {
                    log("the dispatch's answer was lost (\(error)); found its run \(found.url)")
                    return found
                }
            }
            throw error
        }
    }

    /// How many times a lost dispatch is looked for, and how many status reads in a row may fail, before giving up.
    static let lookups = 5

    /// Reads `receipt`'s status until it is final, or until `stop` says to stop (then nil); logs each change and, at
    /// the end, the last lines of the run's log when the engine gives them.
    package func follow(_ receipt: DispatchReceipt, stop: () -> Bool) throws -> RemoteRunStatus? {
        var last: RemoteRunStatus?
        var failures = 0
        while true {
            let status: RemoteRunStatus
            do {
                status = try dispatcher.status(of: receipt)
                failures = 0
            } catch {
                // A network blip or an API hiccup: the run goes on; read again, and give up only after several in a row.
                failures += 1
                guard failures < Self.lookups, !stop() else { throw error }
                log("could not read \(receipt.url) (\(error)); trying again")
                nap(pollSeconds, until: stop)
                continue
            }
            if status != last { log("\(dispatcher.engine) run \(receipt.id) is \(Self.describe(status))") }
            last = status
            if status.isFinal { break }
            if stop() { return nil }
            nap(pollSeconds, until: stop)
        }
        if let tail = dispatcher.logTail(of: receipt), !tail.isEmpty {
            for line in tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(50) { log("| \(line)") }
        }
        return last
    }

    /// Waits `seconds` in naps of a tenth of a second, so Ctrl-C or a lost lease (`stop`) is seen at once.
    private func nap(_ seconds: Double, until stop: () -> Bool) {
        for _ in 0..<max(1, Int(seconds * 10)) where !stop() { usleep(100_000) }
    }

    /// A status in a few words.
    static func describe(_ status: RemoteRunStatus) -> String {
        switch status {
        case .pending: "waiting for a runner"
        case .running: "running"
        case .succeeded: "done"
        case .failed(let reason): "failed (\(reason))"
        case .unfollowed(let why): "not followed (\(why))"
        }
    }
}
