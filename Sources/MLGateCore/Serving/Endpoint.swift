/// An online endpoint in `mlgate.yaml`: a router on one port that splits requests between deployments by weight,
/// may mirror a share of them to one more, and may collect what production sends and answers.
public struct EndpointSpec: Hashable, Sendable {
    /// The endpoint's name (`endpoints.NAME`).
    public var name: String
    /// The port the router listens on.
    public var port: Int
    /// The address it binds (loopback unless said otherwise).
    public var bind: String
    /// Its deployments, by name, in the order written.
    public var deployments: [EndpointDeployment]
    /// Each deployment's share of live traffic, in percent.
    public var traffic: TrafficMap
    /// The deployment that gets a copy of a share of unpinned requests, if any.
    public var mirror: TrafficMirror?
    /// What is recorded of requests and responses, if anything.
    public var collect: CollectSettings?
    /// What the router allows each request.
    public var limits: ServeLimits

    /// An endpoint on `port` with `deployments` and `traffic`; loopback, no mirror and no collection by default.
    public init(name: String, port: Int, bind: String = "127.0.0.1", deployments: [EndpointDeployment], traffic: TrafficMap,
                mirror: TrafficMirror? = nil, collect: CollectSettings? = nil, limits: ServeLimits = ServeLimits()) {
        self.name = name
        self.port = port
        self.bind = bind
        self.deployments = deployments
        self.traffic = traffic
        self.mirror = mirror
        self.collect = collect
        self.limits = limits
    }
}

/// One deployment of an endpoint: a model version (`churn@production`, `churn/3`) served by its package.
public struct EndpointDeployment: Hashable, Sendable {
    /// The deployment's name (`blue`, `green`).
    public var name: String
    /// The version it serves, as a model URI the registry resolves when the endpoint starts or changes.
    public var model: String
    /// How many child processes serve it.
    public var instances: Int
    /// Extra environment variables of its processes.
    public var environment: [String: String]
    /// Resource hints (`cpu: "1"`, `memory: 2Gi`) for the exports to Kubernetes and Azure; not enforced locally.
    public var resources: [String: String]

    /// A deployment of `model` with `instances` processes.
    public init(name: String, model: String, instances: Int = 1, environment: [String: String] = [:], resources: [String: String] = [:]) {
        self.name = name
        self.model = model
        self.instances = instances
        self.environment = environment
        self.resources = resources
    }
}

/// Live traffic shares by deployment, in whole percent: they sum to 100, or to 0 (no live traffic yet), as in Azure ML.
public struct TrafficMap: Hashable, Sendable {
    /// Percent by deployment name.
    public var weights: [String: Int]

    /// A map of `weights`.
    public init(_ weights: [String: Int] = [:]) { self.weights = weights }

    /// The total of the shares.
    public var total: Int { weights.values.reduce(0, +) }

    /// The deployments that take live traffic (a share above 0), by name.
    public var live: [String] { weights.filter { $0.value > 0 }.keys.sorted() }

    /// Azure's grammar, `blue=90 green=10` (older scripts' `blue:90,green:10` too): whole percent from 0 to 100 per
    /// deployment, each named once; or why the text is not that.
    public static func parse(_ text: String) -> Result<TrafficMap, TrafficError> {
        var weights: [String: Int] = [:]
        let items = text.split { $0 == " " || $0 == "," || $0 == "\t" }
        guard !items.isEmpty else { return .failure(TrafficError("give each deployment's share as NAME=PERCENT, such as blue=90 green=10.")) }
        for item in items {
            let parts = item.split(separator: item.contains("=") ? "=" : ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let percent = Int(parts[1]) else {
                return .failure(TrafficError("'\(item)' is not NAME=PERCENT (such as green=10)."))
            }
            guard (0...100).contains(percent) else { return .failure(TrafficError("the share of '\(parts[0])' is \(percent); a share is 0 to 100.")) }
            guard weights.updateValue(percent, forKey: String(parts[0])) == nil else {
                return .failure(TrafficError("'\(parts[0])' is named twice; give each deployment once."))
            }
        }
        return .success(TrafficMap(weights))
    }

    /// Why this map cannot be used with an endpoint whose deployments are `deployments` and whose mirror is
    /// `mirror`, or nil: every name a deployment, shares from 0 to 100 summing to 100 or 0, and the mirror a
    /// deployment of its own, at most 50 %, that takes no live traffic.
    public func problem(deployments: [String], mirror: TrafficMirror?) -> TrafficError? {
        if let unknown = weights.keys.sorted().first(where: { !deployments.contains($0) }) {
            return TrafficError("'\(unknown)' is not a deployment of this endpoint; its deployments are \(deployments.joined(separator: ", ")).")
        }
        if let bad = weights.first(where: { !(0...100).contains($0.value) }) {
            return TrafficError("the share of '\(bad.key)' is \(bad.value); a share is 0 to 100.")
        }
        guard total == 100 || total == 0 else {
            return TrafficError("the shares sum to \(total); they must sum to 100 (or 0, for no live traffic yet): \(description).")
        }
        if let mirror { return mirror.problem(deployments: deployments, traffic: self) }
        return nil
    }

    /// `blue=90 green=10`, by name.
    public var description: String { weights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

/// A copy of a share of unpinned live requests sent to one deployment, whose answers are discarded.
public struct TrafficMirror: Hashable, Sendable {
    /// The deployment that gets the copies.
    public var deployment: String
    /// The share of requests copied, in percent (1 to 50).
    public var percent: Int

    /// A mirror of `percent` % of requests to `deployment`.
    public init(deployment: String, percent: Int) {
        self.deployment = deployment
        self.percent = percent
    }

    /// Why this mirror cannot be used beside `traffic`, or nil (Azure's rules: one deployment, at most 50 %, never one
    /// that takes live traffic).
    public func problem(deployments: [String], traffic: TrafficMap) -> TrafficError? {
        guard deployments.contains(deployment) else {
            return TrafficError("the mirror names '\(deployment)', which is not a deployment of this endpoint; its deployments are \(deployments.joined(separator: ", ")).")
        }
        guard (1...50).contains(percent) else {
            return TrafficError("the mirror's share is \(percent); it is 1 to 50 percent (turn the mirror off instead of 0).")
        }
        if let share = traffic.weights[deployment], share > 0 {
            return TrafficError("'\(deployment)' takes \(share)% of live traffic, so it cannot also be the mirror; mirror a deployment at 0%.")
        }
        return nil
    }
}

/// What an endpoint records of production traffic (Azure ML's data collector layout).
public struct CollectSettings: Hashable, Sendable {
    /// Whether request bodies are recorded (`model_inputs`).
    public var inputs: Bool
    /// Whether response bodies are recorded (`model_outputs`).
    public var outputs: Bool
    /// The share of requests recorded, more than 0 and at most 1.
    public var sample: Double
    /// The folder the records go under (relative to the repository), default `.mlgate/collected`.
    public var path: String?

    /// Recording of both sides of every request by default.
    public init(inputs: Bool = true, outputs: Bool = true, sample: Double = 1, path: String? = nil) {
        self.inputs = inputs
        self.outputs = outputs
        self.sample = sample
        self.path = path
    }
}

/// Why a traffic map or mirror was refused, in words that say what to write instead.
public struct TrafficError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The reason.
    public let description: String

    /// A refusal saying `description`.
    public init(_ description: String) { self.description = description }
}
