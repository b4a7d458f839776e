package import MLGateCore
package import MLGateStore

/// One target in `deploy status`: what it serves and what its `model:` resolves to.
package struct DeployTargetState: Encodable {
    enum CodingKeys: String, CodingKey { case target, serves, since = "since_ms", before, follows, resolvesTo = "resolves_to", inStep = "in_step" }
    package let target: String
    package let serves: String?
    package let since: Int64?
    package let before: String?
    /// The target's `model:` (`churn@production`), if it names one.
    package let follows: String?
    /// The version that resolves to now (`models:/churn/2`), or nil.
    package let resolvesTo: String?
    /// Whether the target serves that version (nil when it follows nothing or serves nothing).
    package let inStep: Bool?

    /// The state of `target` given every recorded deployment (newest first) and the registry in `store`.
    package init(_ target: DeploymentTarget, deployments: [Deployment], store: Store) {
        let history = deployments.filter { $0.target == target.name }
        let active = history.first { $0.status == "active" }
        self.target = target.name
        serves = active.map { "models:/\($0.model)/\($0.version)" }
        since = active?.deployedAt
        before = history.first { $0.status != "active" && $0.status != "failed" }.map { "models:/\($0.model)/\($0.version)" }
        follows = target.model
        resolvesTo = (target.model.flatMap { try? ModelURI(parsing: $0) }).flatMap { try? store.resolve($0) }?.uri
        inStep = (target.model == nil || serves == nil) ? nil : serves == resolvesTo
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encode(serves, forKey: .serves)
        try container.encode(since, forKey: .since)
        try container.encode(before, forKey: .before)
        try container.encode(follows, forKey: .follows)
        try container.encode(resolvesTo, forKey: .resolvesTo)
        try container.encode(inStep, forKey: .inStep)
    }
}
