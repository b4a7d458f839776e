import MLGateCore
import Yams

/// Reads the `endpoints:` section: each endpoint's port, bind address, deployments, traffic, mirror and collection,
/// refusing at its line anything the router could not serve as written.
extension ConfigReader {
    static let endpointKeys = ["port", "bind", "deployments", "traffic", "mirror", "collect", "limits"]
    static let deploymentKeys = ["model", "instances", "env", "resources"]
    static let collectKeys = ["inputs", "outputs", "sample", "path"]
    /// The keys of `limits`, each a whole number in its range.
    static var limitKeys: [(key: String, range: ClosedRange<Int>, field: WritableKeyPath<ServeLimits, Int>)] { [
        ("request_timeout_ms", 1...180_000, \.requestTimeoutMilliseconds),
        ("max_request_bytes", 1...(1 << 30), \.maxRequestBytes),
        ("max_concurrent_requests_per_instance", 1...10_000, \.maxConcurrentRequestsPerInstance),
        ("header_timeout_ms", 100...600_000, \.headerTimeoutMilliseconds),
        ("startup_timeout_ms", 100...3_600_000, \.startupTimeoutMilliseconds),
        ("mirror_in_flight", 1...10_000, \.mirrorInFlight),
    ] }

    func endpoints(_ node: Node) throws(ConfigError) -> [EndpointSpec] {
        var endpoints: [EndpointSpec] = []
        var ports: [Int: String] = [:]
        for (key, value) in try mapping(node, context: "'endpoints'") {
            let name = try self.name(of: key)
            guard isName(name) else { throw error(at: key, "endpoint name '\(name)' may only use letters, digits, '.', '_' and '-'.") }
            let endpoint = try self.endpoint(value, name: name)
            if let other = ports.updateValue(name, forKey: endpoint.port) {
                throw error(at: value.mapping?["port"] ?? value, "endpoints '\(other)' and '\(name)' both listen on port \(endpoint.port); give each endpoint its own port.")
            }
            endpoints.append(endpoint)
        }
        return endpoints
    }

    private func endpoint(_ node: Node, name: String) throws(ConfigError) -> EndpointSpec {
        let fields = try mapping(node, context: "endpoint '\(name)'")
        for (field, _) in fields where !Self.endpointKeys.contains(field.string ?? "") {
            throw error(at: field, "unknown key '\(field.string ?? "?")' in endpoint '\(name)'\(suggestion(field.string ?? "", among: Self.endpointKeys)); an endpoint has \(Self.endpointKeys.joined(separator: ", ")).")
        }
        guard let portNode = fields["port"] else { throw error(at: node, "endpoint '\(name)' needs a 'port' to listen on, such as port: 8700.") }
        guard let port = portNode.int, (1...65_535).contains(port) else { throw error(at: portNode, "the port of endpoint '\(name)' must be a number from 1 to 65535.") }
        let bind = try fields["bind"].map { node throws(ConfigError) in try string(node, key: "endpoints.\(name).bind") } ?? "127.0.0.1"
        guard let deploymentsNode = fields["deployments"] else {
            throw error(at: node, "endpoint '\(name)' needs 'deployments', such as deployments: {blue: {model: churn@production}}.")
        }
        var deployments: [EndpointDeployment] = []
        for (key, value) in try mapping(deploymentsNode, context: "the deployments of endpoint '\(name)'") {
            let deployment = try self.name(of: key)
            guard isName(deployment) else { throw error(at: key, "deployment name '\(deployment)' may only use letters, digits, '.', '_' and '-'.") }
            deployments.append(try self.deployment(value, name: deployment, endpoint: name))
        }
        guard !deployments.isEmpty else { throw error(at: deploymentsNode, "endpoint '\(name)' has no deployments; add one, such as blue: {model: churn@production}.") }
        let names = deployments.map(\.name)
        // One deployment takes all traffic by default; with several, the traffic map must say how it is split.
        var traffic = TrafficMap(names.count == 1 ? [names[0]: 100] : [:])
        if let trafficNode = fields["traffic"] { traffic = try self.traffic(trafficNode, endpoint: name) }
        else if names.count > 1 { throw error(at: node, "endpoint '\(name)' has \(names.count) deployments; say how live traffic is split, such as traffic: {\(names[0]): 100, \(names[1]): 0}.") }
        var mirror: TrafficMirror?
        if let mirrorNode = fields["mirror"] { mirror = try self.mirror(mirrorNode, endpoint: name) }
        if let problem = traffic.problem(deployments: names, mirror: nil) { throw error(at: fields["traffic"] ?? node, "endpoint '\(name)': \(problem)") }
        if let mirror, let problem = mirror.problem(deployments: names, traffic: traffic) {
            throw error(at: fields["mirror"] ?? node, "endpoint '\(name)': \(problem)")
        }
        let collect = try fields["collect"].map { node throws(ConfigError) in try self.collect(node, endpoint: name) }
        let limits = try fields["limits"].map { node throws(ConfigError) in try self.limits(node, endpoint: name) } ?? ServeLimits()
        return EndpointSpec(name: name, port: port, bind: bind, deployments: deployments, traffic: traffic, mirror: mirror, collect: collect, limits: limits)
    }

    private func deployment(_ node: Node, name: String, endpoint: String) throws(ConfigError) -> EndpointDeployment {
        let what = "deployment '\(name)' of endpoint '\(endpoint)'"
        let fields = try mapping(node, context: what)
        for (field, _) in fields where !Self.deploymentKeys.contains(field.string ?? "") {
            throw error(at: field, "unknown key '\(field.string ?? "?")' in \(what)\(suggestion(field.string ?? "", among: Self.deploymentKeys)); a deployment has \(Self.deploymentKeys.joined(separator: ", ")).")
        }
        guard let modelNode = fields["model"] else { throw error(at: node, "\(what) needs a 'model': a version such as churn/3, or a stage or alias such as churn@production.") }
        let model = try string(modelNode, key: "endpoints.\(endpoint).deployments.\(name).model")
        do { _ = try ModelURI(parsing: model) } catch { throw self.error(at: modelNode, "\(what): \(error.description)") }
        var deployment = EndpointDeployment(name: name, model: model)
        if let instancesNode = fields["instances"] {
            guard let instances = instancesNode.int, (1...64).contains(instances) else {
                throw error(at: instancesNode, "'instances' of \(what) must be a number from 1 to 64.")
            }
            deployment.instances = instances
        }
        if let envNode = fields["env"] { deployment.environment = try strings(envNode, what: "'env' of \(what)") }
        if let resourcesNode = fields["resources"] { deployment.resources = try strings(resourcesNode, what: "'resources' of \(what)") }
        return deployment
    }

    /// A traffic map written as a mapping (`{blue: 90, green: 10}`) or in Azure's grammar (`"blue=90 green=10"`).
    private func traffic(_ node: Node, endpoint: String) throws(ConfigError) -> TrafficMap {
        if let text = node.scalar?.string {
            switch TrafficMap.parse(text) {
            case .success(let map): return map
            case .failure(let problem): throw error(at: node, "the traffic of endpoint '\(endpoint)': \(problem)")
            }
        }
        var weights: [String: Int] = [:]
        for (key, value) in try mapping(node, context: "the traffic of endpoint '\(endpoint)'") {
            let name = try self.name(of: key)
            guard let percent = value.int else { throw error(at: value, "the share of '\(name)' in the traffic of endpoint '\(endpoint)' must be a whole percent from 0 to 100.") }
            weights[name] = percent
        }
        return TrafficMap(weights)
    }

    /// A mirror written as one pair, `{green: 10}`.
    private func mirror(_ node: Node, endpoint: String) throws(ConfigError) -> TrafficMirror {
        let fields = try mapping(node, context: "the mirror of endpoint '\(endpoint)'")
        guard fields.count == 1, let (key, value) = fields.first(where: { _ in true }) else {
            throw error(at: node, "the mirror of endpoint '\(endpoint)' names one deployment and its share, such as mirror: {green: 10}.")
        }
        guard let percent = value.int else { throw error(at: value, "the mirror's share must be a whole percent from 1 to 50.") }
        return TrafficMirror(deployment: try name(of: key), percent: percent)
    }

    private func collect(_ node: Node, endpoint: String) throws(ConfigError) -> CollectSettings {
        var settings = CollectSettings()
        for (key, value) in try mapping(node, context: "'collect' of endpoint '\(endpoint)'") {
            switch try name(of: key) {
            case "inputs": settings.inputs = try bool(value, key: "endpoints.\(endpoint).collect.inputs")
            case "outputs": settings.outputs = try bool(value, key: "endpoints.\(endpoint).collect.outputs")
            case "sample":
                guard let sample = value.float ?? value.int.map(Double.init), sample > 0, sample <= 1 else {
                    throw error(at: value, "'collect.sample' of endpoint '\(endpoint)' is the share of requests recorded: more than 0, at most 1 (such as 0.1).")
                }
                settings.sample = sample
            case "path":
                let path = try string(value, key: "endpoints.\(endpoint).collect.path")
                if let problem = Self.protectedLocation(path) {
                    throw error(at: value, "'collect.path' of endpoint '\(endpoint)' \(problem); give a folder of its own, such as collected/\(endpoint).")
                }
                settings.path = path
            default:
                throw error(at: key, "unknown key '\(key.string ?? "?")' in 'collect' of endpoint '\(endpoint)'\(suggestion(key.string ?? "", among: Self.collectKeys)); it has \(Self.collectKeys.joined(separator: ", ")).")
            }
        }
        return settings
    }

    /// The router's limits: whole numbers, each in its range.
    private func limits(_ node: Node, endpoint: String) throws(ConfigError) -> ServeLimits {
        var limits = ServeLimits()
        let names = Self.limitKeys.map(\.key)
        for (key, value) in try mapping(node, context: "'limits' of endpoint '\(endpoint)'") {
            let name = try self.name(of: key)
            guard let limit = Self.limitKeys.first(where: { $0.key == name }) else {
                throw error(at: key, "unknown key '\(name)' in 'limits' of endpoint '\(endpoint)'\(suggestion(name, among: names)); it has \(names.joined(separator: ", ")).")
            }
            guard let number = value.int, limit.range.contains(number) else {
                throw error(at: value, "'limits.\(name)' of endpoint '\(endpoint)' must be a whole number from \(limit.range.lowerBound) to \(limit.range.upperBound).")
            }
            limits[keyPath: limit.field] = number
        }
        return limits
    }

    /// A mapping of names to plain values, as strings.
    private func strings(_ node: Node, what: String) throws(ConfigError) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in try mapping(node, context: what) {
            guard let text = value.scalar?.string else { throw error(at: value, "the values of \(what) are plain strings or numbers.") }
            values[try name(of: key)] = text
        }
        return values
    }
}
