import MLGateCore
import MLGateDeploy
import NIOConcurrencyHelpers

/// A deployment as the router sends requests to it: its instances' private ports that are ready now, and the
/// requests it works on. Its instances are started and watched by `InstanceSupervisor`; the router only reads.
final class DeploymentRoute: Sendable {
    /// Why a request could not be given to an instance.
    enum Refusal: Error, Equatable {
        /// Every instance works on as many requests as it may (503 with `Retry-After`).
        case full
        /// No instance answers its health check (503).
        case noReadyInstance
    }

    private struct State {
        var ready: [Int] = []
        var next = 0
        var inFlight = 0
    }

    /// What it runs.
    let plan: ServePlan.Deployment
    /// Requests it may work on at once.
    let capacity: Int
    private let state = NIOLockedValueBox(State())

    /// A route for `plan` taking up to `perInstance` requests per instance at once.
    init(plan: ServePlan.Deployment, perInstance: Int) {
        self.plan = plan
        capacity = plan.instances * perInstance
    }

    /// The deployment's name.
    var name: String { plan.name }

    /// Takes a slot and the next ready instance's port (round robin); release the slot with `release()`.
    func acquire() -> Result<Int, Refusal> {
        state.withLockedValue { state in
            guard !state.ready.isEmpty else { return .failure(.noReadyInstance) }
            guard state.inFlight < capacity else { return .failure(.full) }
            state.inFlight += 1
            state.next = (state.next + 1) % state.ready.count
            return .success(state.ready[state.next])
        }
    }

    /// Gives back a slot taken by `acquire()`.
    func release() { state.withLockedValue { $0.inFlight -= 1 } }

    /// Requests being worked on now.
    var inFlight: Int { state.withLockedValue { $0.inFlight } }

    /// The ports of the instances that answer their health check now (set by the supervisor).
    var readyPorts: [Int] {
        get { state.withLockedValue { $0.ready } }
        set { state.withLockedValue { $0.ready = newValue } }
    }
}

/// One plan as the router routes it: the routes by name, the live split and the mirror. A new plan makes a new
/// table that replaces the old one in one step, so an edit never leaves an old route behind; a request keeps the
/// route it was given until it is answered.
final class RoutingTable: Sendable {
    /// The plan this table routes.
    let plan: ServePlan
    /// Every deployment's route, by name.
    let routes: [String: DeploymentRoute]
    /// Which deployment takes the next unpinned request.
    private let splitter: NIOLockedValueBox<TrafficSplitter>
    /// Which requests the mirror copies, and where to.
    private let mirror: (route: DeploymentRoute, sampler: NIOLockedValueBox<MirrorSampler>)?

    /// A table for `plan` over `routes`.
    init(plan: ServePlan, routes: [String: DeploymentRoute]) {
        self.plan = plan
        self.routes = routes
        splitter = NIOLockedValueBox(TrafficSplitter(plan.endpoint.traffic))
        mirror = plan.endpoint.mirror.flatMap { mirror in routes[mirror.deployment].map { ($0, NIOLockedValueBox(MirrorSampler(percent: mirror.percent))) } }
    }

    /// The deployment that takes the next unpinned request, or nil when none takes live traffic.
    func nextLive() -> DeploymentRoute? {
        splitter.withLockedValue { $0.next() }.flatMap { routes[$0] }
    }

    /// The mirror's route when the next unpinned request is to be copied.
    func nextMirror() -> DeploymentRoute? {
        guard let mirror, mirror.sampler.withLockedValue({ $0.take() }) else { return nil }
        return mirror.route
    }
}
