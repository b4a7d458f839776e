import Foundation
import MLGateDeploy
import MLGatePipeline
import NIOCore
import NIOHTTP1

/// Starts and watches the instances of the deployments it is given: each a child process (in its own process group)
/// on a private loopback port, taken into its route only once `GET health` answers 200, restarted with backoff when
/// it dies or fails three health checks in a row, and stopped (SIGTERM, then SIGKILL after 5 s) when its deployment
/// is retired or the router stops. It lives on one event loop and is only used there.
final class InstanceSupervisor {
    /// One child process of a deployment.
    final class Instance {
        let index: Int
        var port = 0
        var pid: pid_t?
        var ready = false
        var probing = false
        var failures = 0
        var restarts = 0
        var everReady = false
        var nextStart = NIODeadline.now()
        var nextProbe = NIODeadline.now()
        var stopDeadline: NIODeadline?
        init(index: Int) { self.index = index }
    }

    /// A deployment's instances.
    final class Group {
        let route: DeploymentRoute
        let instances: [Instance]
        var stopping = false
        init(route: DeploymentRoute) {
            self.route = route
            instances = (0..<route.plan.instances).map(Instance.init)
        }
        var allReady: Bool { instances.allSatisfy(\.ready) }
    }

    private let eventLoop: any EventLoop
    private let client: UpstreamClient
    private let metrics: ServeMetrics
    private let endpoint: String
    private let logs: String
    private var groups: [Group] = []
    private var ticking = false
    /// A note for the person watching (restarts, failures), one line each.
    private let say: (String) -> Void

    /// A supervisor on `eventLoop` writing instance logs under `logs`.
    init(eventLoop: any EventLoop, endpoint: String, logs: String, metrics: ServeMetrics, say: @escaping (String) -> Void) {
        self.eventLoop = eventLoop
        client = UpstreamClient(eventLoop: eventLoop)
        self.metrics = metrics
        self.endpoint = endpoint
        self.logs = logs
        self.say = say
    }

    /// The log file of `instance` of `route`.
    func logFile(_ route: DeploymentRoute, _ instance: Int) -> String { "\(logs)/\(route.name)-\(route.plan.version.replacingOccurrences(of: "/", with: "-v"))-\(instance).log" }

    /// Starts `route`'s instances; the future succeeds once every one answers its health check, and fails (naming the
    /// log) when one does not within `timeout` or keeps exiting before it ever does.
    func start(_ route: DeploymentRoute, timeout: TimeAmount) -> EventLoopFuture<Void> {
        let group = Group(route: route)
        groups.append(group)
        startTicking()
        let promise = eventLoop.makePromise(of: Void.self)
        let deadline = NIODeadline.now() + timeout
        func check() {
            if group.allReady { return promise.succeed(()) }
            if let failing = group.instances.first(where: { !$0.everReady && $0.restarts >= 3 }) {
                return promise.fail(ServeFailure.instanceFailed(self.failure(group, failing, "exited \(failing.restarts) times before it answered its health check")))
            }
            if NIODeadline.now() >= deadline {
                let slow = group.instances.first { !$0.ready } ?? group.instances[0]
                return promise.fail(ServeFailure.instanceFailed(self.failure(group, slow, "did not answer GET \(route.plan.health) with 200 within \(timeout.nanoseconds / 1_000_000) ms")))
            }
            eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(50)) { check() }
        }
        check()
        return promise.futureResult
    }

    /// Stops `route`'s instances (SIGTERM to each process group, SIGKILL after 5 s); the future succeeds when every
    /// one has exited.
    func stop(_ route: DeploymentRoute) -> EventLoopFuture<Void> {
        guard let group = groups.first(where: { $0.route === route }) else { return eventLoop.makeSucceededVoidFuture() }
        group.stopping = true
        route.readyPorts = []
        let now = NIODeadline.now()
        for instance in group.instances {
            instance.ready = false
            if let pid = instance.pid {
                kill(-pid, SIGTERM)
                instance.stopDeadline = now + .seconds(5)
            }
            client.forget(port: instance.port)
        }
        let promise = eventLoop.makePromise(of: Void.self)
        func check() {
            reap()
            if group.instances.allSatisfy({ $0.pid == nil }) {
                groups.removeAll { $0 === group }
                return promise.succeed(())
            }
            eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(20)) { check() }
        }
        check()
        return promise.futureResult
    }

    /// The pids of every running instance (for the status file).
    var pids: [String: [Int32]] {
        Dictionary(groups.map { ($0.route.name, $0.instances.compactMap(\.pid)) }, uniquingKeysWith: +)
    }

    /// The instances ready per deployment.
    func readyCount(_ route: DeploymentRoute) -> Int { groups.first { $0.route === route }?.instances.filter(\.ready).count ?? 0 }

    private func failure(_ group: Group, _ instance: Instance, _ what: String) -> String {
        let log = logFile(group.route, instance.index)
        let tail = (try? String(contentsOfFile: log, encoding: .utf8)).map { text in
            text.split(separator: "\n", omittingEmptySubsequences: false).suffix(8).joined(separator: "\n")
        } ?? ""
        return "deployment '\(group.route.name)' (\(group.route.plan.version)), instance \(instance.index), \(what); its log is \(log)"
            + (tail.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "" : ", ending:\n\(tail)")
    }

    // MARK: - The watch

    private func startTicking() {
        guard !ticking else { return }
        ticking = true
        func next() {
            tick()
            eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(50)) { next() }
        }
        next()
    }

    private func tick() {
        reap()
        let now = NIODeadline.now()
        for group in groups {
            for instance in group.instances {
                if let deadline = instance.stopDeadline, now >= deadline, let pid = instance.pid { kill(-pid, SIGKILL) }
                guard !group.stopping else { continue }
                if instance.pid == nil, now >= instance.nextStart { spawn(group, instance) }
                if instance.pid != nil, !instance.probing, now >= instance.nextProbe { probe(group, instance) }
            }
        }
    }

    /// Collects instances that exited; those of a running deployment are restarted after a backoff (0.5 s doubling
    /// to 30 s).
    private func reap() {
        for group in groups {
            for instance in group.instances {
                guard let pid = instance.pid else { continue }
                var status: Int32 = 0
                guard waitpid(pid, &status, WNOHANG) == pid else { continue }
                instance.pid = nil
                instance.stopDeadline = nil
                if instance.ready { setReady(group, instance, false) }
                client.forget(port: instance.port)
                guard !group.stopping else { continue }
                let code = status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
                let delay = min(0.5 * pow(2, Double(min(instance.restarts, 6))), 30)
                instance.restarts += 1
                instance.nextStart = NIODeadline.now() + .milliseconds(Int64(delay * 1000))
                metrics.count("mlgate_instance_restarts_total", ["deployment": group.route.name])
                say("deployment '\(group.route.name)' instance \(instance.index) (pid \(pid)) \(code); restarting it in \(delay) s (log: \(logFile(group.route, instance.index)))")
            }
        }
    }

    private func spawn(_ group: Group, _ instance: Instance) {
        let plan = group.route.plan
        let port = Self.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["PORT"] = String(port)
        environment["MLGATE_MODEL_URI"] = plan.version
        environment["MLGATE_MODEL_VERSION"] = plan.version.split(separator: "/").last.map(String.init)
        environment["MLGATE_ENDPOINT"] = endpoint
        environment["MLGATE_DEPLOYMENT"] = plan.name
        environment["MLGATE_INSTANCE"] = String(instance.index)
        environment.merge(plan.environment) { $1 }
        do {
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            instance.pid = try Spawner.spawn(argv: plan.arguments(port: port), directory: plan.workdir,
                                             environment: environment.map { "\($0.key)=\($0.value)" }, output: .file(logFile(group.route, instance.index)),
                                             detach: .processGroup)
            instance.port = port
            instance.failures = 0
            instance.nextProbe = NIODeadline.now() + .milliseconds(100)
        } catch {
            instance.restarts += 1
            instance.nextStart = NIODeadline.now() + .seconds(1)
            say("deployment '\(plan.name)' instance \(instance.index) could not start: \(error)")
        }
    }

    /// `GET health` with a 2 s timeout (Azure's probe timeout): every 200 ms until the instance is ready, then every 5 s.
    private func probe(_ group: Group, _ instance: Instance) {
        instance.probing = true
        let pid = instance.pid
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "127.0.0.1:\(instance.port)")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: group.route.plan.health, headers: headers)
        client.send(port: instance.port, head: head, body: nil, timeout: .seconds(2)) { result in
            instance.probing = false
            guard instance.pid == pid, pid != nil, !group.stopping else { return }
            let healthy = if case .success(let response) = result { response.head.status == .ok } else { false }
            if healthy {
                instance.failures = 0
                if !instance.ready { self.setReady(group, instance, true) }
                instance.nextProbe = NIODeadline.now() + .seconds(5)
            } else if instance.ready {
                instance.failures += 1
                instance.nextProbe = NIODeadline.now() + .seconds(1)
                if instance.failures >= 3, let pid {
                    self.say("deployment '\(group.route.name)' instance \(instance.index) failed 3 health checks; restarting it")
                    self.setReady(group, instance, false)
                    kill(-pid, SIGKILL)
                }
            } else {
                instance.nextProbe = NIODeadline.now() + .milliseconds(200)
            }
        }
    }

    private func setReady(_ group: Group, _ instance: Instance, _ ready: Bool) {
        instance.ready = ready
        if ready {
            instance.everReady = true
        }
        group.route.readyPorts = group.instances.filter(\.ready).map(\.port)
        metrics.set("mlgate_instances_ready", ["deployment": group.route.name, "version": group.route.plan.version], to: Double(group.route.readyPorts.count))
    }

    /// A loopback port nothing listens on now (the kernel's choice for port 0).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : 0
    }
}

/// Why the router could not start or apply a plan.
enum ServeFailure: Error, CustomStringConvertible {
    /// An instance did not become healthy; the text names its log.
    case instanceFailed(String)

    var description: String {
        switch self {
        case .instanceFailed(let text): text
        }
    }
}
