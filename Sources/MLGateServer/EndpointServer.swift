import Dispatch
import Foundation
import MLGateCore
import MLGateDeploy
import MLGateRegistry
import MLGateSystem
import MLGateWorkspace
import MLGateEvents
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// `mlgate serve ENDPOINT`: the router of one endpoint. It binds the endpoint's port, starts every deployment's
/// instances from its version's package, and routes requests once the live ones are healthy. It then re-reads the
/// plan every second and on SIGHUP (a rollout command sends one): a change of traffic takes effect at once; a new
/// version starts its instances first, moves traffic only when they are healthy, and drains the old ones before
/// stopping them, so no request is dropped. SIGTERM or SIGINT stop it: the port closes, requests in flight finish,
/// every instance is stopped.
public final class EndpointServer: @unchecked Sendable {
    /// What went wrong, with the exit code it maps to (2 bad input, 3 environment).
    public struct Failure: Error, CustomStringConvertible {
        /// The exit code.
        public let code: Int32
        /// What to tell the person.
        public let description: String
    }

    private var root = ""
    private var endpointName: String
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    private let control: any EventLoop
    /// The instances' supervisor, which lives on the control loop.
    private var supervisorBox: NIOLoopBound<InstanceSupervisor>?
    /// The supervisor, read on the control loop only.
    private var supervisor: InstanceSupervisor? { supervisorBox?.value }
    private var router: Router?
    private var serverChannel: (any Channel)?
    private var lock: FileLock?
    private var folders: ServeFolders?
    private var generation = 0
    private var applying = false
    private var rejected: ServePlan?
    private var lastError: String?
    /// The traffic record of the plan last refused, for the rollout command waiting on it.
    private var refusedRecord: Int?
    private let done = ConditionLock(value: 0)
    private var signalSources: [any DispatchSourceSignal] = []
    private let replan = DispatchSemaphore(value: 0)
    private var stopped = false

    /// The router of endpoint `endpoint` (or the only one) of the repository around the current directory.
    public init(endpoint: String?) {
        endpointName = endpoint ?? ""
        control = group.next()
    }

    /// Serves until SIGTERM or SIGINT; throws `Failure` when the endpoint cannot start (nothing is left running then).
    public func run() throws {
        let registry = try registryContext()
        root = registry.workspace.root
        if endpointName.isEmpty {
            let endpoints = (try? registry.workspace.configuration().endpoints.map(\.name)) ?? []
            guard endpoints.count == 1 else {
                throw Failure(code: 2, description: endpoints.isEmpty
                    ? "mlgate.yaml declares no endpoints; add one under 'endpoints:' (docs/config.md#endpoints)."
                    : "mlgate.yaml declares \(endpoints.count) endpoints (\(endpoints.joined(separator: ", "))); say which to serve.")
            }
            endpointName = endpoints[0]
        }
        let folders = ServeFolders(registry.workspace.layout)
        self.folders = folders
        let lock: FileLock
        do { lock = try FileLock(path: folders.lock(endpointName), operation: LOCK_EX | LOCK_NB) } catch {
            let pid = folders.recordedServer(endpointName).map(String.init) ?? "?"
            throw Failure(code: 3, description: "endpoint '\(endpointName)' is already served by another mlgate-server (pid \(pid)); stop it first.")
        }
        lock.record("\(getpid())\n")
        self.lock = lock
        stopLeftoverInstances(folders)
        let plan: ServePlan
        do { plan = try ServePlanner(registry: registry, endpoint: endpointName).plan() } catch {
            throw Failure(code: 2, description: "\(error)")
        }
        let metrics = ServeMetrics(endpoint: endpointName)
        let collector = plan.endpoint.collect.map { settings in
            DataCollector(settings: settings, root: CollectedData.root(settings, workspace: registry.workspace), metrics: metrics)
        }
        let router = Router(endpoint: endpointName, limits: plan.endpoint.limits, metrics: metrics, collector: collector)
        self.router = router
        supervisorBox = try control.submit {
            NIOLoopBound(InstanceSupervisor(eventLoop: self.control, endpoint: self.endpointName, logs: folders.logs(self.endpointName), metrics: metrics) { Self.say($0) },
                         eventLoop: self.control)
        }.wait()
        do {
            serverChannel = try bind(plan.endpoint, router: router)
        } catch {
            throw Failure(code: 3, description: "cannot listen on \(plan.endpoint.bind):\(plan.endpoint.port) for endpoint '\(endpointName)': \(error); is another server on that port?")
        }
        catchSignals()
        do {
            try control.flatSubmit { self.apply(plan) }.wait()
        } catch {
            shutdown()
            throw Failure(code: 3, description: "endpoint '\(endpointName)' did not start: \(error)")
        }
        Self.say("serving endpoint '\(endpointName)' on http://\(plan.endpoint.bind):\(plan.endpoint.port) (\(describe(plan)))")
        let watcher = Thread { [self] in watchPlan() }
        watcher.name = "mlgate-plan"
        watcher.start()
        let deliverer = Thread { [self] in deliverEvents() }
        deliverer.name = "mlgate-events"
        deliverer.start()
        done.lock(whenValue: 1)
        done.unlock()
    }

    // MARK: - Plans

    /// Puts `plan` in force: instances of new or changed deployments are started and must become healthy first; then
    /// the new table replaces the old one, and deployments no longer in it are drained and stopped.
    private func apply(_ plan: ServePlan) -> EventLoopFuture<Void> {
        guard let router, let supervisor else { return control.makeSucceededVoidFuture() }
        let old = router.current
        var routes: [String: DeploymentRoute] = [:]
        var fresh: [DeploymentRoute] = []
        for deployment in plan.deployments {
            if let running = old?.routes[deployment.name], running.plan.runsLike(deployment) {
                routes[deployment.name] = running
            } else {
                let route = DeploymentRoute(plan: deployment, perInstance: plan.endpoint.limits.maxConcurrentRequestsPerInstance)
                routes[deployment.name] = route
                fresh.append(route)
            }
        }
        let timeout = TimeAmount.milliseconds(Int64(plan.endpoint.limits.startupTimeoutMilliseconds))
        let started = fresh.map { supervisor.start($0, timeout: timeout) }
        return EventLoopFuture.andAllSucceed(started, on: control).assumeIsolated().flatMapError { error in
            // The old table stays; the new instances are stopped.
            let stops = fresh.map { supervisor.stop($0) }
            return EventLoopFuture.andAllComplete(stops, on: self.control).flatMapThrowing { throw error }
        }.map {
            router.install(RoutingTable(plan: plan, routes: routes))
            self.generation += 1
            self.lastError = nil
            self.rejected = nil
            self.publishGauges(plan)
            let kept = Set(routes.values.map(ObjectIdentifier.init))
            for retired in old?.routes.values.filter({ !kept.contains(ObjectIdentifier($0)) }) ?? [] { self.drain(retired) }
            self.writeStatus(plan)
        }.nonisolated()
    }

    /// Waits (up to 30 s) for the requests `route` works on to finish, then stops its instances.
    private func drain(_ route: DeploymentRoute, waited: Int = 0) {
        guard route.inFlight == 0 || waited >= 600 else {
            control.assumeIsolated().scheduleTask(in: .milliseconds(50)) { self.drain(route, waited: waited + 1) }
            return
        }
        _ = supervisor?.stop(route)
    }

    /// Re-reads the plan every second and at once on SIGHUP, and applies it when it changed.
    private func watchPlan() {
        guard let registry = try? registryContext() else { return }
        let planner = ServePlanner(registry: registry, endpoint: endpointName)
        while !((try? control.submit({ self.stopped }).wait()) ?? true) {
            _ = replan.wait(timeout: .now() + 1)
            let result = Result { try planner.plan() }
            control.execute {
                guard !self.stopped, !self.applying, let current = self.router?.current?.plan else { return }
                switch result {
                case .failure(let error):
                    let text = "\(error)"
                    if text != self.lastError {
                        self.lastError = text
                        Self.say("the plan of endpoint '\(self.endpointName)' cannot be used, so the one in force stays: \(text)")
                        self.writeStatus(current)
                    }
                case .success(let plan):
                    guard plan != current, plan != self.rejected else { return }
                    self.applying = true
                    self.apply(plan).whenComplete { outcome in
                        self.control.execute {
                            self.applying = false
                            switch outcome {
                            case .success: Self.say("endpoint '\(self.endpointName)' now serves \(self.describe(plan))")
                            case .failure(let error):
                                self.rejected = plan
                                self.lastError = "\(error)"
                                self.refusedRecord = plan.trafficRecord
                                Self.say("endpoint '\(self.endpointName)' keeps serving \(self.describe(current)); the new plan failed: \(error)")
                                self.writeStatus(current)
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: - Events

    /// Delivers the outbox to the `notify:` subscriptions every two seconds while the router runs (docs/events.md),
    /// re-reading mlgate.yaml each time; says what was delivered, and each new problem once.
    private func deliverEvents() {
        guard let registry = try? registryContext() else { return }
        var lastProblems: [String] = []
        while !((try? control.submit({ self.stopped }).wait()) ?? true) {
            sleep(2)
            guard let subscriptions = try? registry.workspace.configuration().notify, !subscriptions.isEmpty else { continue }
            do {
                let report = try EventDelivery(workspace: registry.workspace, store: registry.store, subscriptions: subscriptions).deliverDue()
                if report.delivered + report.retrying + report.dead > 0 {
                    Self.say("events: \(report.delivered) delivered, \(report.retrying) to retry, \(report.dead) dead-lettered")
                }
                if report.problems != lastProblems { report.problems.forEach { Self.say("events: " + $0) } }
                lastProblems = report.problems
            } catch {
                Self.say("events: delivery failed: \(error)")
            }
        }
    }

    // MARK: - Listening and stopping

    private func bind(_ endpoint: EndpointSpec, router: Router) throws -> any Channel {
        var clients: [ObjectIdentifier: NIOLoopBound<UpstreamClient>] = [:]
        for loop in group.makeIterator() {
            clients[ObjectIdentifier(loop)] = try loop.submit { NIOLoopBound(UpstreamClient(eventLoop: loop), eventLoop: loop) }.wait()
        }
        let loopClients = clients
        return try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let client = loopClients[ObjectIdentifier(channel.eventLoop)]?.value else { throw ChannelError.ioOnClosedChannel }
                    // One request at a time per connection is RouterHandler's own rule (it queues pipelined ones), so
                    // NIO's pipelining helper, which stops and restarts reading around every request, is not needed.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RouterHandler(router: router, client: client))
                }
            }
            .bind(host: endpoint.bind, port: endpoint.port)
            .wait()
    }

    private func catchSignals() {
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                if number == SIGHUP { replan.signal() } else { shutdown() }
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Stops listening, lets requests in flight finish (up to 10 s), stops every instance and the collector, and
    /// ends `run()`.
    private func shutdown() {
        let first = (try? control.submit { () -> Bool in
            defer { self.stopped = true }
            return !self.stopped
        }.wait()) ?? false
        guard first else { return }
        router?.isStopping = true
        try? serverChannel?.close().wait()
        let routes = Array(router?.current?.routes.values ?? [:].values)
        let deadline = Date(timeIntervalSinceNow: 10)
        while routes.contains(where: { $0.inFlight > 0 }), Date() < deadline { usleep(20_000) }
        _ = try? control.flatSubmit {
            EventLoopFuture.andAllComplete(routes.map { self.supervisor?.stop($0) ?? self.control.makeSucceededVoidFuture() }, on: self.control)
        }.wait()
        router?.collector?.stop()
        if let folders { unlink(folders.status(endpointName)) }
        done.lock()
        done.unlock(withValue: 1)
    }

    /// Stops the instances a router of this endpoint left running when it was killed outright (`kill -9`): processes
    /// working in one of the package folders with this endpoint in their environment. Holding the lock, this router is
    /// the only one of the endpoint, so any such process is an orphan.
    private func stopLeftoverInstances(_ folders: ServeFolders) {
        let packages = ConfinedPath.realPath(folders.packages) ?? folders.packages
        let marker = Array("MLGATE_ENDPOINT=\(endpointName)".utf8)
        var leftovers: [Int32] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != getpid(),
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd"), cwd.hasPrefix(packages + "/"),
                  let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                  environ.split(separator: 0).contains(where: { Array($0) == marker }) else { continue }
            leftovers.append(pid)
        }
        guard !leftovers.isEmpty else { return }
        // Each instance leads its own process group; a pid that is already gone (getpgid -1) is skipped.
        func signalGroup(_ pid: Int32, _ signal: Int32) {
            let group = getpgid(pid)
            if group > 1 { kill(-group, signal) }
        }
        for pid in leftovers { signalGroup(pid, SIGTERM) }
        let deadline = Date(timeIntervalSinceNow: 5)
        while leftovers.contains(where: { kill($0, 0) == 0 }), Date() < deadline { usleep(20_000) }
        for pid in leftovers where kill(pid, 0) == 0 { signalGroup(pid, SIGKILL) }
        Self.say("stopped \(leftovers.count) instance process\(leftovers.count == 1 ? "" : "es") a previous router of endpoint '\(endpointName)' left running (pids \(leftovers.map(String.init).joined(separator: ", "))).")
    }

    // MARK: - Reporting

    private func registryContext() throws -> RegistryContext {
        do { return try RegistryContext.current(reporter: ServerReporter()) } catch {
            throw Failure(code: 2, description: "\(error)")
        }
    }

    private func describe(_ plan: ServePlan) -> String {
        plan.deployments.map { deployment in
            let share = plan.endpoint.traffic.weights[deployment.name] ?? 0
            let mirror = plan.endpoint.mirror?.deployment == deployment.name ? ", mirror \(plan.endpoint.mirror?.percent ?? 0)%" : ""
            return "\(deployment.name): \(deployment.version) \(share)%\(mirror)"
        }.joined(separator: "; ")
    }

    private func publishGauges(_ plan: ServePlan) {
        guard let metrics = router?.metrics else { return }
        metrics.clear("mlgate_traffic_percent")
        for deployment in plan.deployments {
            metrics.set("mlgate_traffic_percent", ["deployment": deployment.name, "version": deployment.version],
                        to: Double(plan.endpoint.traffic.weights[deployment.name] ?? 0))
        }
        metrics.set("mlgate_plan_generation", [:], to: Double(generation))
    }

    /// Writes `.mlgate/serve/endpoints/NAME/status.json` (docs/json.md#serve-status) atomically.
    private func writeStatus(_ plan: ServePlan) {
        guard let folders, let router else { return }
        let deployments = plan.deployments.map { deployment -> String in
            let route = router.current?.routes[deployment.name]
            return JSONText.object([
                ("name", JSONText.quoted(deployment.name)), ("version", JSONText.quoted(deployment.version)),
                ("instances", String(deployment.instances)), ("ready", String(route?.readyPorts.count ?? 0)),
                ("traffic", String(plan.endpoint.traffic.weights[deployment.name] ?? 0)),
                ("pids", "[" + (supervisor?.pids[deployment.name] ?? []).map(String.init).joined(separator: ",") + "]"),
            ])
        }
        let mirror = plan.endpoint.mirror.map { JSONText.object([("deployment", JSONText.quoted($0.deployment)), ("percent", String($0.percent))]) } ?? "null"
        let text = JSONText.object([
            ("endpoint", JSONText.quoted(endpointName)), ("pid", String(getpid())),
            ("url", JSONText.quoted("http://\(plan.endpoint.bind):\(plan.endpoint.port)")),
            ("generation", String(generation)), ("traffic_record", plan.trafficRecord.map(String.init) ?? "null"),
            ("mirror", mirror), ("deployments", "[" + deployments.joined(separator: ",") + "]"),
            ("last_error", JSONText.quoted(orNull: lastError)), ("refused_record", refusedRecord.map(String.init) ?? "null"),
        ]) + "\n"
        try? AtomicFile.write(text, to: folders.status(endpointName), createFolders: true)
    }

    static func say(_ line: String) {
        FileHandle.standardError.write(Data("mlgate-server: \(line)\n".utf8))
    }
}

/// Progress of the services the router calls, on its standard error.
struct ServerReporter: Reporter {
    func progress(_ line: String) { EndpointServer.say(line) }
    func warning(_ line: String) { EndpointServer.say("warning: " + line) }
    func output(_ line: String) { EndpointServer.say(line) }
    var styles: Bool { false }
}
