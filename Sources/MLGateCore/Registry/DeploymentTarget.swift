/// A place a model version is deployed to, declared under `deploy:` in `mlgate.yaml`.
public struct DeploymentTarget: Hashable, Sendable {
    /// How the version gets there.
    public enum Kind: Hashable, Sendable {
        /// Publish the artifact under `path/versions/<model>-v<N>/` and switch `path/current` to it atomically.
        case directory(path: String)
        /// Run the team's own command with the version's URI, path, number and hash in its environment.
        case command(StageCommand)
        /// Put the version into `deployment` of endpoint `endpoint` with `canary` percent of live traffic (the other live
        /// deployments keep the rest in their proportions); `mlgate endpoint promote` moves it to 100 %.
        case endpoint(name: String, deployment: String, canary: Int)
    }

    /// The target's name (`mlgate deploy --target NAME`).
    public var name: String
    /// How it deploys.
    public var kind: Kind
    /// The version it deploys by default (`churn@production`).
    public var model: String?

    /// Creates a target.
    public init(name: String, kind: Kind, model: String?) {
        self.name = name
        self.kind = kind
        self.model = model
    }

    /// Whether `name` can name a target: letters, digits, `.`, `_` and `-`, as model names.
    public static func isValidName(_ name: String) -> Bool { ModelURI.isPlainName(name) }
}
