package import MLGateCore
package import MLGateRegistry
package import MLGateStore
import MLGateWorkspace

/// The traffic of an endpoint: what mlgate.yaml declares until a rollout command changes it, then the latest
/// recorded setting. Every change is checked against the endpoint's deployments (shares summing to 100 or 0, the
/// mirror on one deployment at 0 % live, at most 50 %), audited with its actor and reason, and recorded as an event;
/// a refused change leaves the setting, the audit log and the events as they were.
package struct EndpointControl {
    /// Where the traffic in force comes from.
    package enum Source: Equatable, Sendable {
        /// mlgate.yaml: no rollout command has changed it.
        case configuration
        /// A recorded setting.
        case recorded(EndpointTrafficRecord)
    }

    package let registry: RegistryContext
    package let endpoint: EndpointSpec

    /// The endpoint `name` of `registry`'s mlgate.yaml; a name it does not declare is refused.
    package init(endpoint name: String, registry: RegistryContext) throws {
        let endpoints = try registry.workspace.configuration().endpoints
        guard let endpoint = endpoints.first(where: { $0.name == name }) else {
            throw UsageError("there is no endpoint '\(name)' in mlgate.yaml; the endpoints are \(endpoints.isEmpty ? "(none)" : endpoints.map(\.name).joined(separator: ", ")).")
        }
        self.registry = registry
        self.endpoint = endpoint
    }

    /// The shares, mirror and deployed models in force, and where they come from.
    package func current() throws -> (traffic: TrafficMap, mirror: TrafficMirror?, models: [String: String], source: Source) {
        guard let latest = try registry.store.endpointTrafficHistory(endpoint: endpoint.name).last else {
            return (endpoint.traffic, endpoint.mirror, [:], .configuration)
        }
        return (latest.traffic, latest.mirror, latest.models, .recorded(latest))
    }

    /// The endpoint as it serves now: mlgate.yaml's declaration with the shares, mirror and deployed models in force.
    package func inForce() throws -> EndpointSpec {
        var spec = endpoint
        let state = try current()
        spec.traffic = state.traffic
        spec.mirror = state.mirror
        for index in spec.deployments.indices {
            if let model = state.models[spec.deployments[index].name] { spec.deployments[index].model = model }
        }
        return spec
    }

    /// Puts `version` into `deployment` with `canary` percent of live traffic: the other live deployments share the
    /// rest in their current proportions (all of it to `deployment` when none other is live), a mirror on
    /// `deployment` is turned off when it takes live traffic, and the version is recorded as what it serves. Refused,
    /// recording nothing, when the endpoint could not serve it.
    package func deploy(_ version: ModelVersion, into deployment: String, canary: Int, reason: String?) throws -> EndpointTrafficRecord {
        guard endpoint.deployments.contains(where: { $0.name == deployment }) else {
            throw UsageError("endpoint '\(endpoint.name)' has no deployment '\(deployment)' to deploy into; its deployments are \(endpoint.deployments.map(\.name).joined(separator: ", ")).")
        }
        let state = try current()
        var models = state.models
        models[deployment] = "\(version.model)/\(version.version)"
        // The endpoint must be servable with the version in place (active, its model declaring serve) before anything is recorded.
        var planned = try inForce()
        for index in planned.deployments.indices where planned.deployments[index].name == deployment { planned.deployments[index].model = models[deployment] ?? "" }
        _ = try ResolvedDeployment.resolve(planned, registry: registry, configuration: try registry.workspace.configuration())
        let others = state.traffic.weights.filter { $0.key != deployment && $0.value > 0 }
        let share = others.isEmpty ? 100 : canary
        var weights = Self.scaled(others, to: 100 - share)
        weights[deployment] = share
        let mirror = share > 0 && state.mirror?.deployment == deployment ? nil : state.mirror
        return try apply(traffic: TrafficMap(weights), mirror: mirror, keepMirror: false, models: models, reason: reason)
    }

    /// `weights` scaled to sum to `total` by largest remainders (ties by name), so shares stay whole percent.
    static func scaled(_ weights: [String: Int], to total: Int) -> [String: Int] {
        let sum = weights.values.reduce(0, +)
        guard sum > 0 else { return weights.mapValues { _ in 0 } }
        var result = weights.mapValues { $0 * total / sum }
        let remainders = weights.map { (name: $0.key, rest: $0.value * total % sum) }.sorted { ($0.rest, $1.name) > ($1.rest, $0.name) }
        for item in remainders.prefix(total - result.values.reduce(0, +)) { result[item.name, default: 0] += 1 }
        return result
    }

    /// Sets the live shares (Azure's `blue=90 green=10`); the mirror stays.
    package func setTraffic(_ text: String, reason: String?) throws -> EndpointTrafficRecord {
        let traffic: TrafficMap
        switch TrafficMap.parse(text) {
        case .success(let parsed): traffic = parsed
        case .failure(let problem): throw UsageError("endpoint '\(endpoint.name)': \(problem)")
        }
        return try apply(traffic: traffic, mirror: nil, keepMirror: true, reason: reason)
    }

    /// Sets the mirror (`green=10`), or turns it off (`off`, or Azure's `green=0`).
    package func setMirror(_ text: String, reason: String?) throws -> EndpointTrafficRecord {
        var mirror: TrafficMirror?
        if text != "off" {
            guard case .success(let parsed) = TrafficMap.parse(text), parsed.weights.count == 1, let pair = parsed.weights.first else {
                throw UsageError("endpoint '\(endpoint.name)': give the mirror as one DEPLOYMENT=PERCENT (such as green=10), or off.")
            }
            mirror = pair.value == 0 ? nil : TrafficMirror(deployment: pair.key, percent: pair.value)
        }
        return try apply(traffic: nil, mirror: mirror, keepMirror: false, reason: reason)
    }

    /// Sends all live traffic to `deployment` (the canary becomes the only live one); a mirror on it is turned off.
    package func promote(_ deployment: String, reason: String?) throws -> EndpointTrafficRecord {
        guard endpoint.deployments.contains(where: { $0.name == deployment }) else {
            throw UsageError("'\(deployment)' is not a deployment of endpoint '\(endpoint.name)'; its deployments are \(endpoint.deployments.map(\.name).joined(separator: ", ")).")
        }
        let traffic = TrafficMap(Dictionary(uniqueKeysWithValues: endpoint.deployments.map { ($0.name, $0.name == deployment ? 100 : 0) }))
        let mirror = try current().mirror
        return try apply(traffic: traffic, mirror: mirror?.deployment == deployment ? nil : mirror, keepMirror: false, reason: reason)
    }

    /// Puts back the setting before the one in force, in one step (mlgate.yaml's, when only one was recorded).
    package func rollback(reason: String?) throws -> EndpointTrafficRecord {
        let history = try registry.store.endpointTrafficHistory(endpoint: endpoint.name)
        guard let latest = history.last else {
            throw RegistryError(.refused, "endpoint '\(endpoint.name)' still has the traffic of mlgate.yaml; there is nothing to roll back to.")
        }
        let previous = history.dropLast().last.map { ($0.traffic, $0.mirror, $0.models) } ?? (endpoint.traffic, endpoint.mirror, [:])
        return try registry.store.setEndpointTraffic(endpoint: endpoint.name, traffic: previous.0, mirror: previous.1, models: previous.2,
                                                     by: registry.actor(reason: reason)) { current in
            guard current?.id == latest.id else { throw RegistryError(.refused, "endpoint '\(endpoint.name)' changed while rolling back; run it again.") }
        }
    }

    /// Records `traffic` (nil: keep the shares in force) with `mirror` (or the mirror in force, with `keepMirror`),
    /// checked inside the transaction against the setting in force then.
    private func apply(traffic: TrafficMap?, mirror: TrafficMirror?, keepMirror: Bool, models: [String: String]? = nil, reason: String?) throws -> EndpointTrafficRecord {
        let names = endpoint.deployments.map(\.name)
        let inForce = try current()
        let newTraffic = traffic.map { map in
            // Deployments the command leaves out take no live traffic.
            TrafficMap(Dictionary(uniqueKeysWithValues: names.map { ($0, map.weights[$0] ?? 0) }).merging(map.weights) { $1 })
        } ?? inForce.traffic
        let newMirror = keepMirror ? inForce.mirror : mirror
        if let problem = newTraffic.problem(deployments: names, mirror: newMirror) {
            throw UsageError("endpoint '\(endpoint.name)': \(problem)")
        }
        let expected: Int? = if case .recorded(let record) = inForce.source { record.id } else { nil }
        return try registry.store.setEndpointTraffic(endpoint: endpoint.name, traffic: newTraffic, mirror: newMirror, models: models ?? inForce.models,
                                                     by: registry.actor(reason: reason)) { current in
            guard current?.id == expected else { throw RegistryError(.refused, "endpoint '\(endpoint.name)' changed meanwhile; look at 'mlgate endpoint status' and run it again.") }
        }
    }
}
