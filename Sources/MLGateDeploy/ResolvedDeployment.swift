package import MLGateCore
package import MLGateRegistry
import MLGateStore
import MLGateWorkspace

/// A deployment of an endpoint with the version its model resolves to now and how that model serves.
package struct ResolvedDeployment: Sendable {
    /// The deployment as mlgate.yaml declares it.
    package let deployment: EndpointDeployment
    /// The version it serves.
    package let version: ModelVersion
    /// The model's `serve` section.
    package let serve: ServeSpec

    /// Every deployment of `endpoint` resolved in `registry`; refused when a model resolves to nothing, to a version
    /// that is not active, or to one whose model declares no `serve`.
    package static func resolve(_ endpoint: EndpointSpec, registry: RegistryContext, configuration: MLGateConfiguration) throws -> [ResolvedDeployment] {
        try endpoint.deployments.map { deployment in
            let version: ModelVersion
            do { version = try registry.store.resolve(try ModelURI(parsing: deployment.model)) } catch {
                throw UsageError("deployment '\(deployment.name)' of endpoint '\(endpoint.name)' serves \(deployment.model), which the registry cannot resolve (\(error)); register or promote a version, or fix mlgate.yaml.")
            }
            guard version.status == "active" else {
                throw RegistryError(.refused, "deployment '\(deployment.name)' of endpoint '\(endpoint.name)' serves \(version.uri), which is \(version.status); point it at an active version.")
            }
            guard let serve = configuration.models.first(where: { $0.name == version.model })?.serve else {
                throw UsageError("model '\(version.model)' declares no 'serve' in mlgate.yaml, so deployment '\(deployment.name)' of endpoint '\(endpoint.name)' has no server to run; add models.\(version.model).serve (docs/deploy.md#packaging).")
            }
            return ResolvedDeployment(deployment: deployment, version: version, serve: serve)
        }
    }
}
