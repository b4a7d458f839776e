package import MLGateCore
import MLGateRegistry
package import MLGateStore

extension DeployContext {
    /// Puts back the version the target served before the current one, in the order deployments happened (those
    /// made elsewhere arrive later, with their own times); returns what it served and what it serves now. The
    /// registry is left as it is.
    package func rollback(reason: String?) throws -> (current: Deployment, restored: ModelVersion) {
        let history = try registry.store.deployments(target: target.name).filter { $0.status != "failed" }
            .sorted { ($0.deployedAt, $0.id) > ($1.deployedAt, $1.id) }
        guard let current = history.first(where: { $0.status == "active" }) else {
            throw RegistryError(.invalidInput, "target '\(target.name)' serves nothing yet; deploy a version first.")
        }
        guard let previous = history.first(where: { ($0.deployedAt, $0.id) < (current.deployedAt, current.id)
                                                    && !($0.model == current.model && $0.version == current.version) }) else {
            throw RegistryError(.refused, "target '\(target.name)' has served only \(current.model)/\(current.version); there is nothing to roll back to.")
        }
        let version = try registry.store.resolve(ModelURI(name: previous.model, selector: .version(previous.version)))
        try deploy(version, rollback: true, reason: reason)
        return (current, version)
    }
}
