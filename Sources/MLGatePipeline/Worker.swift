import Dispatch
package import Foundation
import MLGateConfig
package import MLGateCore
package import MLGateWorkspace
package import MLGateGit
package import MLGateSystem
import MLGateHooks
package import MLGateStore

/// Runs queued training jobs, one at a time, each under a lease renewed while it runs.
///
/// A job runs in a clean checkout of its commit under `.mlgate/work/`, with the repository's store, so
/// the run cache and the object store are shared with the developer's own runs. A worker that dies
/// (even by `kill -9`) stops renewing its lease; the next worker sees its pid gone (or the lease lapsed)
/// and takes the job again. The lease is taken in one BEGIN IMMEDIATE transaction, so two workers never
/// hold one job at once.
package final class Worker {
    private let repository: GitRepository
    private let layout: StoreLayout
    private let store: Store
    private let interruption: Interruption
    private let reporter: any Reporter
    /// This worker's identity: host, pid and process start time (so a reused pid is not mistaken for it).
    package let owner: String
    /// How long a lease lasts without renewal.
    static let leaseMilliseconds: Int64 = 60_000
    /// How often a running job's lease is renewed.
    package static let renewSeconds = 15
    /// What follows a job that gates a model (`Job.gateModel`, a retraining) once its run succeeded, in the job's
    /// checkout before it is removed: given the job, its run and the checkout's workspace, it returns one line for the
    /// job's record (the verdict and what was registered). Nil leaves such jobs trained and not judged.
    package var afterTraining: ((_ job: Job, _ run: Int, _ workspace: Workspace) -> String)?
    /// The engine jobs are dispatched to instead of trained here (`executor:` in mlgate.yaml); nil trains them here.
    package var dispatcher: (any JobDispatcher)?

    package init(repository: GitRepository, layout: StoreLayout, store: Store, interruption: Interruption, reporter: any Reporter) {
        self.reporter = reporter
        self.repository = repository
        self.layout = layout
        self.store = store
        self.interruption = interruption
        owner = "\(EnvironmentProbe.hostName()):\(getpid()):\(ProcessIdentity.startTime(getpid()) ?? "0")"
    }

    /// Takes and runs jobs until the queue is empty (or, with `wait`, until interrupted); returns how many ran.
    package func run(wait: Bool, limit: Int?) throws -> Int {
        let presence = try WorkerLauncher.holdPresence(layout: layout)
        defer { withExtendedLifetime(presence) {} }
        var done = 0
        interruption.arm()
        while !interruption.wasSignalled, limit.map({ done < $0 }) ?? true {
            interruption.clearTrigger()
            guard let job = try store.claimJob(owner: owner, now: Store.nowMilliseconds, leaseMilliseconds: Self.leaseMilliseconds,
                                               isDead: ProcessIdentity.isDead) else {
                guard wait else { break }
                sleep(2)
                continue
            }
            process(job)
            done += 1
        }
        return done
    }

    private func process(_ job: Job) {
        log("job \(job.id): \(job.ref) at \(job.commit.prefix(12)) (attempt \(job.attempts))")
        let directory = layout.directory + "/work/job-\(job.id)"
        defer { ObjectStore.removeTree(directory) }
        let renewal = DispatchSource.makeTimerSource(queue: .global())
        let lost = SharedFlag()
        renewal.schedule(deadline: .now() + .seconds(Self.renewSeconds), repeating: .seconds(Self.renewSeconds))
        renewal.setEventHandler { [store, owner, interruption] in
            let kept = (try? store.renewLease(job: job.id, owner: owner, until: Store.nowMilliseconds + Self.leaseMilliseconds)) ?? false
            if !kept {
                lost.set()
                interruption.trigger()
            }
        }
        renewal.resume()
        defer { renewal.cancel() }
        do {
            guard let commit = CommitID(hex: job.commit) else { throw UsageError("job \(job.id) names an invalid commit '\(job.commit)'.") }
            guard let text = try repository.fileText(at: commit, path: ConfigLoader.fileName) else {
                throw UsageError("commit \(commit.short) has no \(ConfigLoader.fileName).")
            }
            let configuration = try ConfigLoader.parse(text, file: "\(ConfigLoader.fileName) at \(commit.short)")
            let hash = TrustStore.hash(configuration.stages)
            guard TrustStore().isTrusted(hash, repository: layout.directory) else {
                finish(job, .untrusted, run: nil, message: "its stage commands changed since they were approved; read them with 'mlgate trust --show' and run 'mlgate trust'")
                return
            }
            var trainedElsewhere: String?
            if let dispatcher {
                // A retraining still meets its gate here, on the outputs the engine pushed; any other job is done.
                guard let receipt = try follow(job, on: dispatcher, lost: lost) else { return }
                trainedElsewhere = "trained on \(dispatcher.engine): \(receipt.url)"
            }
            ObjectStore.removeTree(directory)
            try FileAccess.createDirectory(directory)
            try repository.export(commit, to: directory)
            let workspace = Workspace(root: directory, layout: layout, reporter: reporter)
            let runner = PipelineRunner(workspace: workspace, store: store, interruption: interruption)
            let url = job.remote.flatMap { (try? repository.configString("remote.\($0).url")) ?? nil }
            var options = RunOptions()
            options.trigger = "worker"
            options.job = job.id
            options.source = RunSource(commit: job.commit, branch: job.branch, dirty: false, repositoryURL: url)
            if trainedElsewhere != nil {
                // The engine's run pushed its run cache and outputs: restore them instead of training again.
                let remote = try RemoteObjects(workspace: workspace, override: nil)
                _ = try remote.pull(into: workspace, store: store, all: false)
                options.remote = remote
            }
            let summary = try runner.run(try Pipeline(stages: configuration.stages), options: options)
            if lost.isSet {
                log("job \(job.id): the lease was lost (cancelled, or another worker took it); stopped")
                return
            }
            switch summary.status {
            case .succeeded:
                var note = trainedElsewhere
                if job.gateModel != nil, let afterTraining, let run = summary.run {
                    let verdict = afterTraining(job, run, workspace)
                    log("job \(job.id): \(verdict)")
                    note = [trainedElsewhere, verdict].compactMap { $0 }.joined(separator: "; ")
                }
                finish(job, .succeeded, run: summary.run, message: note)
            case .cancelled: finish(job, .queued, run: summary.run, message: "the worker was stopped; the job will run again")
            default: finish(job, .failed, run: summary.run, message: summary.message)
            }
        } catch {
            finish(job, .failed, run: nil, message: "\(error)")
        }
    }

    /// Dispatches `job` to `dispatcher`'s engine (unless an earlier attempt did: a recorded or reconciled run is
    /// followed, never dispatched again), records where it runs at once, and follows it until it finishes. Records the
    /// job's end, except for a retraining whose run succeeded: its receipt is returned, for the gate to judge the run.
    private func follow(_ job: Job, on dispatcher: any JobDispatcher, lost: SharedFlag) throws -> DispatchReceipt? {
        let url = job.remote.flatMap { (try? repository.configString("remote.\($0).url")) ?? nil }
            ?? ((try? repository.configString("remote.origin.url")) ?? nil)
        let request = DispatchRequest(job: job.id, ref: job.branch, commit: job.commit, repositoryURL: url,
                                      key: "mlgate-job-\(DispatchRequest.digest(layout.directory))-\(job.id)-\(job.commit.prefix(8))")
        let remote = RemoteRun(dispatcher: dispatcher) { [self] in log("job \(job.id): \($0)") }
        let known = job.executor == dispatcher.engine ? job.remoteID.map { DispatchReceipt(id: $0, url: job.remoteURL ?? $0) } : nil
        let receipt = try remote.start(request, known: known)
        guard try store.recordDispatch(job.id, owner: owner, executor: dispatcher.engine, receipt: receipt, now: Store.nowMilliseconds) else {
            log("job \(job.id): no longer ours after the dispatch (cancelled, or another worker took it); \(receipt.url) is not followed here")
            return nil
        }
        let status: RemoteRunStatus?
        do {
            status = try remote.follow(receipt, stop: { lost.isSet || interruption.wasSignalled })
        } catch {
            // The run goes on; only the following stopped: the next worker follows the recorded run.
            finish(job, .queued, run: nil, message: "lost track of \(receipt.url) (\(error)); the next worker follows it")
            return nil
        }
        guard let status else {
            if lost.isSet { log("job \(job.id): the lease was lost; \(receipt.url) is not followed here") } else {
                finish(job, .queued, run: nil, message: "the worker was stopped while \(receipt.url) ran; the next worker follows it")
            }
            return nil
        }
        switch status {
        case .succeeded where job.gateModel != nil: return receipt
        case .succeeded: finish(job, .succeeded, run: nil, message: "trained on \(dispatcher.engine): \(receipt.url)")
        case .failed(let reason): finish(job, .failed, run: nil, message: "\(dispatcher.engine) run \(receipt.url) ended: \(reason)")
        case .unfollowed(let why): finish(job, .succeeded, run: nil, message: "dispatched to \(dispatcher.engine): \(receipt.url); not followed: \(why)")
        case .pending, .running: break
        }
        return nil
    }

    private func finish(_ job: Job, _ status: JobStatus, run: Int?, message: String?) {
        let recorded = (try? store.finishJob(job.id, owner: owner, status: status, run: run, message: message, now: Store.nowMilliseconds)) ?? false
        log("job \(job.id): \(status.rawValue)\(run.map { ", run \($0)" } ?? "")\(message.map { " — \($0)" } ?? "")\(recorded ? "" : " (no longer ours; not recorded)")")
    }

    private func log(_ line: String) {
        reporter.progress("[\(Timestamp.iso8601(Int64(Date().timeIntervalSince1970)))] \(line)")
    }
}

/// Identifies processes across pid reuse by their start time (field 22 of `/proc/PID/stat`).
package enum ProcessIdentity {
    /// The start time of `pid` in clock ticks since boot, or nil when there is no such process.
    static func startTime(_ pid: pid_t) -> String? {
        guard let text = Files.read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// Whether the worker named `owner` (`host:pid:start`) is gone; a worker on another host is never judged dead here.
    static func isDead(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == EnvironmentProbe.hostName(), let pid = pid_t(parts[1]) else { return false }
        return startTime(pid) != String(parts[2])
    }
}

/// Starts detached workers and tells whether one is running, through `.mlgate/locks/worker.lock`: each
/// worker holds it shared for its lifetime, so an exclusive try-lock succeeds only when none runs.
package enum WorkerLauncher {
    /// The log detached workers write to.
    package static func logPath(_ layout: StoreLayout) -> String { layout.directory + "/logs/worker.log" }

    /// Holds the presence lock for a running worker.
    static func holdPresence(layout: StoreLayout) throws -> FileLock {
        try FileLock(path: layout.directory + "/locks/worker.lock", operation: LOCK_SH)
    }

    /// Whether a worker is running for `layout`'s repository.
    package static func isRunning(_ layout: StoreLayout) -> Bool {
        guard let probe = try? FileLock(path: layout.directory + "/locks/worker.lock", operation: LOCK_EX | LOCK_NB) else { return true }
        withExtendedLifetime(probe) {}
        return false
    }

    /// Starts a detached worker unless one is running; returns its pid, or nil.
    @discardableResult
    package static func startIfIdle(layout: StoreLayout) -> pid_t? {
        guard !isRunning(layout) else { return nil }
        return try? start(layout: layout)
    }

    /// Starts `mlgate worker` in a new session, its output appended to the worker log, detached from the terminal
    /// and from git (which would otherwise wait for the hook's inherited output to close).
    package static func start(layout: StoreLayout, arguments: [String] = []) throws -> pid_t {
        try DetachedMLGate.start(["worker"] + arguments, layout: layout, log: logPath(layout))
    }
}

/// Starts this mlgate binary again as a detached background command (the queue worker, event delivery).
package enum DetachedMLGate {
    /// Starts `mlgate ARGUMENTS` in `layout`'s repository, in a new session with no terminal, its output appended to
    /// `log`, without git's variables (a hook's `GIT_DIR` would point it at the wrong repository) but with the
    /// identity ones, so what it registers names the same person; returns its pid.
    package static func start(_ arguments: [String], layout: StoreLayout, log: String) throws -> pid_t {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw EnvironmentError("cannot find the mlgate binary to start 'mlgate \(arguments.first ?? "")'") }
        let binary = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        try FileAccess.createDirectory((log as NSString).deletingLastPathComponent)
        let root = String(layout.directory.dropLast("/.mlgate".count))
        var environment = ProcessInfo.processInfo.environment
        let identity: Set<String> = ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"]
        for key in environment.keys where key.hasPrefix("GIT_") && !identity.contains(key) { environment[key] = nil }
        return try Spawner.spawn(argv: [binary] + arguments, directory: root,
                                 environment: environment.map { "\($0.key)=\($0.value)" }, output: .file(log), detach: .session)
    }
}

/// A flag set from one thread and read from another.
package final class SharedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var state = false

    /// Whether it was set.
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return state
    }

    /// Sets it.
    func set() {
        lock.lock()
        state = true
        lock.unlock()
    }
}
