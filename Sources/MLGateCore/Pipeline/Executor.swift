/// Where the queue's training jobs run (`executor:` in mlgate.yaml): the worker's own clean checkout, or an engine
/// the team runs already, dispatched to and followed until it finishes.
public enum ExecutorSpec: Hashable, Sendable {
    /// The worker trains the job in a clean checkout under `.mlgate/work/` (the default).
    case local
    /// A GitHub Actions `workflow_dispatch` of a workflow that trains the commit it is given.
    case github(GitHubExecutor)
    /// A GitLab pipeline trigger.
    case gitlab(GitLabExecutor)
    /// A Kubernetes Job applied with `kubectl`.
    case kubernetes(KubernetesExecutor)

    /// `local`, `github`, `gitlab` or `kubernetes`.
    public var name: String {
        switch self {
        case .local: "local"
        case .github: "github"
        case .gitlab: "gitlab"
        case .kubernetes: "kubernetes"
        }
    }
}

/// A GitHub Actions workflow that trains a commit (`executor: {type: github, …}`).
public struct GitHubExecutor: Hashable, Sendable {
    /// `owner/repo`.
    public var repository: String
    /// The workflow's file name (`mlgate-train.yml`) or id; it must declare `on: workflow_dispatch`.
    public var workflow: String
    /// The environment variable holding a token with "Actions: write".
    public var tokenVariable: String
    /// The API root.
    public var api: String

    /// A workflow of `repository`.
    public init(repository: String, workflow: String, tokenVariable: String = "GITHUB_TOKEN", api: String = "https://api.github.com") {
        self.repository = repository
        self.workflow = workflow
        self.tokenVariable = tokenVariable
        self.api = api
    }
}

/// A GitLab project whose pipeline trains a commit when triggered (`executor: {type: gitlab, …}`).
public struct GitLabExecutor: Hashable, Sendable {
    /// The numeric project id, or its path (`group/project`).
    public var project: String
    /// The environment variable holding the pipeline trigger token.
    public var triggerTokenVariable: String
    /// The environment variable holding an API token that may read pipelines (to follow the run); optional.
    public var tokenVariable: String
    /// The API root.
    public var api: String

    /// A pipeline of `project`.
    public init(project: String, triggerTokenVariable: String = "GITLAB_TRIGGER_TOKEN", tokenVariable: String = "GITLAB_TOKEN",
                api: String = "https://gitlab.com/api/v4") {
        self.project = project
        self.triggerTokenVariable = triggerTokenVariable
        self.tokenVariable = tokenVariable
        self.api = api
    }
}

/// A Kubernetes Job per training job (`executor: {type: kubernetes, …}`): the image clones the repository at the
/// job's commit and runs the pipeline, pushing its outputs to the shared remote.
public struct KubernetesExecutor: Hashable, Sendable {
    /// The container image: it must have git, mlgate and what the stages need.
    public var image: String
    /// The namespace.
    public var namespace: String
    /// The kubectl to run (a path or a name on PATH).
    public var kubectl: String
    /// The service account the pod runs as; nil for the namespace's default.
    public var serviceAccount: String?
    /// The longest the Job may run before Kubernetes ends it (`activeDeadlineSeconds`).
    public var deadlineSeconds: Int
    /// A Secret in the namespace whose keys become the pod's environment (the remote's credentials, a git token);
    /// nil for none. Credentials never go into the manifest.
    public var secret: String?

    /// A Job of `image`.
    public init(image: String, namespace: String = "default", kubectl: String = "kubectl", serviceAccount: String? = nil,
                deadlineSeconds: Int = 21_600, secret: String? = nil) {
        self.image = image
        self.namespace = namespace
        self.kubectl = kubectl
        self.serviceAccount = serviceAccount
        self.deadlineSeconds = deadlineSeconds
        self.secret = secret
    }
}

/// What a dispatch asks an engine to train.
public struct DispatchRequest: Hashable, Sendable {
    /// The queue's job number.
    public var job: Int
    /// The branch (or ref) the commit was pushed to.
    public var ref: String
    /// The commit to train.
    public var commit: String
    /// The repository's URL the engine clones (Kubernetes), if known.
    public var repositoryURL: String?
    /// A key unique to this job in this repository, carried by the remote run so a lost answer is reconciled instead
    /// of dispatched again (`mlgate-job-<repository id>-<job>`).
    public var key: String

    /// A request for `job`.
    public init(job: Int, ref: String, commit: String, repositoryURL: String?, key: String) {
        self.job = job
        self.ref = ref
        self.commit = commit
        self.repositoryURL = repositoryURL
        self.key = key
    }
}

extension DispatchRequest {
    /// Eight hex digits naming `text` (FNV-1a): what makes a dispatch key unique to a store or a CI run, short
    /// enough for a Kubernetes name.
    public static func digest(_ text: String) -> String {
        let hash = text.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}

/// Where a dispatched job runs: the engine's id for it and the page a person opens.
public struct DispatchReceipt: Hashable, Sendable {
    /// The engine's id (a workflow run id, a pipeline id, a Job name).
    public var id: String
    /// The run's page, or the Job's `namespace/name`.
    public var url: String

    /// A receipt.
    public init(id: String, url: String) {
        self.id = id
        self.url = url
    }
}

/// Where a dispatched run is.
public enum RemoteRunStatus: Hashable, Sendable {
    /// Waiting for a runner or a node.
    case pending
    /// Running.
    case running
    /// Finished well.
    case succeeded
    /// Finished badly, with the engine's word for it (`failure`, `cancelled`, `DeadlineExceeded`).
    case failed(String)
    /// Dispatched, and not followed: the engine gives no way to read its status with the credentials at hand.
    case unfollowed(String)

    /// Whether the run has finished (or cannot be followed).
    public var isFinal: Bool {
        switch self {
        case .pending, .running: false
        case .succeeded, .failed, .unfollowed: true
        }
    }
}

/// An engine the queue dispatches training jobs to (GitHub Actions, GitLab, Kubernetes).
public protocol JobDispatcher: Sendable {
    /// The engine's name, for messages: `github`, `gitlab`, `kubernetes`.
    var engine: String { get }
    /// The run already dispatched for `request.key` (by an earlier attempt whose answer was lost), if any.
    func reconcile(_ request: DispatchRequest) throws -> DispatchReceipt?
    /// Starts a run for `request`.
    func dispatch(_ request: DispatchRequest) throws -> DispatchReceipt
    /// Where the run is now.
    func status(of receipt: DispatchReceipt) throws -> RemoteRunStatus
    /// The last lines of the run's log, when the engine gives them.
    func logTail(of receipt: DispatchReceipt) -> String?
    /// Why a run cannot be followed with the credentials at hand (nil when it can): a caller that must wait for the
    /// run refuses before dispatching.
    var cannotFollow: String? { get }
}

extension JobDispatcher {
    /// Followed, by default.
    public var cannotFollow: String? { nil }
}
