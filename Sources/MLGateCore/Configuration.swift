/// The settings in `mlgate.yaml` that mlgate acts on, after validation.
public struct MLGateConfiguration: Hashable, Sendable {
    /// The file format version; only 1 exists.
    public var version: Int
    /// Named path prefixes for monorepos; a commit "touches" a project when it changes a path under it.
    public var projects: [ProjectSpec]
    /// How the git hooks behave.
    public var hooks: HookSettings
    /// Where objects and the registry travel between machines.
    public var remote: RemoteSettings
    /// The pipeline's stages, in the order the file lists them.
    public var stages: [StageSpec]
    /// The models declared under `models:`.
    public var models: [ModelSpec] = []
    /// The deployment targets declared under `deploy:`.
    public var deployTargets: [DeploymentTarget] = []
    /// Online endpoints (`endpoints:`): routers splitting traffic between deployments of registered versions.
    public var endpoints: [EndpointSpec] = []
    /// What `mlgate ci` does on the default branch, from `ci:`.
    public var ci = CISettings()
    /// Event subscriptions (`notify:`): webhooks the outbox's events are delivered to.
    public var notify: [NotifySubscription] = []
    /// Where the queue's training jobs run (`executor:`).
    public var executor: ExecutorSpec = .local

    /// Creates a configuration.
    public init(version: Int = 1, projects: [ProjectSpec] = [], hooks: HookSettings = HookSettings(),
                remote: RemoteSettings = RemoteSettings(), stages: [StageSpec] = []) {
        self.version = version
        self.projects = projects
        self.hooks = hooks
        self.remote = remote
        self.stages = stages
    }
}

/// A named part of a monorepo.
public struct ProjectSpec: Hashable, Sendable {
    /// The project's name, as lineage shows it.
    public var name: String
    /// Its path prefix relative to the repository root, without leading or trailing slashes.
    public var path: String

    /// Creates a project.
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// The `hooks:` section.
public struct HookSettings: Hashable, Sendable {
    /// What `pre-push` does: warn (default), strict (block on a policy failure) or off.
    public var prePush: PrePushMode
    /// Whether `pre-push` starts a detached worker when it queued a job and none is running.
    public var startWorker: Bool

    /// Creates hook settings.
    public init(prePush: PrePushMode = .warn, startWorker: Bool = true) {
        self.prePush = prePush
        self.startWorker = startWorker
    }
}

/// The `hooks.pre_push` modes.
public enum PrePushMode: String, Hashable, Sendable, CaseIterable {
    case warn, strict, off
}

/// The `remote:` section.
public struct RemoteSettings: Hashable, Sendable {
    /// The git remote registry tags and notes are pushed to, and whose URL run records carry (default `origin`).
    public var git: String?
    /// Where `mlgate push` and `mlgate pull` copy objects to and from: a directory (a mounted volume), or an
    /// S3-compatible bucket as `s3://bucket/prefix`.
    public var objects: String?
    /// How an `s3://` remote is reached (`remote.s3`).
    public var s3: S3Settings = S3Settings()
    /// Whether the registry push also carries registered artifacts in the git remote (`refs/mlgate/objects/…`),
    /// so a fresh CI runner finds the champion with nothing but the repository (default true).
    public var artifactsInGit: Bool
    /// The largest artifact carried in git, in bytes (default 100 MiB, GitHub's limit for one file).
    public var artifactsInGitMaxBytes: Int64

    /// Creates remote settings.
    public init(git: String? = nil, objects: String? = nil, artifactsInGit: Bool = true, artifactsInGitMaxBytes: Int64 = 100 << 20) {
        self.git = git
        self.objects = objects
        self.artifactsInGit = artifactsInGit
        self.artifactsInGitMaxBytes = artifactsInGitMaxBytes
    }
}

/// `remote.s3`: how an `s3://` object remote is reached. Each unset value comes from the AWS environment
/// (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_PROFILE`, the profile files).
public struct S3Settings: Hashable, Sendable {
    /// The service's base URL, `http(s)://host[:port]`, for MinIO, Ceph, R2 and other S3-compatible stores.
    public var endpoint: String?
    /// The region requests are signed for.
    public var region: String?
    /// Whether the bucket goes in the path (`host/bucket/key`) instead of the host name (default: with an endpoint).
    public var pathStyle: Bool?
    /// The profile of the AWS profile files whose credentials and region are used.
    public var profile: String?
    /// Objects larger than this many MiB are uploaded in parts (default 100).
    public var multipartThresholdMB: Int = 100
    /// The size of each part, in MiB (5–5120, default 16).
    public var partSizeMB: Int = 16

    /// Settings with everything from the environment.
    public init() {}
}

/// The `ci:` section: what `mlgate ci` does after a passing gate on the default branch.
public struct CISettings: Hashable, Sendable {
    /// The lifecycle stage a passing version is promoted towards, one stage at a time (default: the stage
    /// that holds the champion).
    public var promoteTo: String?
    /// Deploy targets to update once the version holds their `model:` stage or alias (default: every target
    /// whose `model:` names the model).
    public var deploy: [String]?
    /// The default branch when the provider does not say (default: origin's HEAD, else main).
    public var defaultBranch: String?
    /// Environment variables training commands may see in CI besides PATH, HOME and the locale (never on
    /// pull requests from forks).
    public var passEnvironment: [String] = []
    /// Where reports are written (default `mlgate-reports`).
    public var reports: String?
    /// Whether registry tags from the git remote count only with a good signature (`git verify-tag`), and mlgate
    /// signs the tags it writes (`git tag -s`); default false.
    public var requireSignedTags = false

    /// Creates CI settings.
    public init(promoteTo: String? = nil, deploy: [String]? = nil, defaultBranch: String? = nil, passEnvironment: [String] = [], reports: String? = nil) {
        self.promoteTo = promoteTo
        self.deploy = deploy
        self.defaultBranch = defaultBranch
        self.passEnvironment = passEnvironment
        self.reports = reports
    }
}
