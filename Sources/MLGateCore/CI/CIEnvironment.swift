/// The CI systems `mlgate ci` recognises from their environment (research hooks-ci §4.1).
public enum CIProvider: String, CaseIterable, Sendable {
    case github, gitlab, azure, jenkins, circleci, buildkite, bitbucket, generic

    /// The provider's name for people.
    public var displayName: String {
        switch self {
        case .github: "GitHub Actions"
        case .gitlab: "GitLab CI"
        case .azure: "Azure Pipelines"
        case .jenkins: "Jenkins"
        case .circleci: "CircleCI"
        case .buildkite: "Buildkite"
        case .bitbucket: "Bitbucket Pipelines"
        case .generic: "a generic CI"
        }
    }

    /// How to give this provider's checkout the whole history, for the errors that need it.
    public var fullHistoryFix: String {
        switch self {
        case .github: "set 'fetch-depth: 0' on actions/checkout"
        case .gitlab: "set the variable GIT_DEPTH: 0 for the job"
        case .azure: "set 'fetchDepth: 0' on the checkout step"
        case .jenkins: "turn off the shallow clone option of the Git plugin (CloneOption shallow: false)"
        case .circleci: "use the plain 'checkout' step (full history) instead of a shallow clone"
        case .buildkite: "remove '--depth' from BUILDKITE_GIT_CLONE_FLAGS"
        case .bitbucket: "set 'clone: depth: full' in bitbucket-pipelines.yml"
        case .generic: "clone with the whole history ('git fetch --unshallow')"
        }
    }

    /// The variable whose presence identifies the provider.
    var detectionVariable: String {
        switch self {
        case .github: "GITHUB_ACTIONS"
        case .gitlab: "GITLAB_CI"
        case .azure: "TF_BUILD"
        case .jenkins: "JENKINS_URL"
        case .circleci: "CIRCLECI"
        case .buildkite: "BUILDKITE"
        case .bitbucket: "BITBUCKET_BUILD_NUMBER"
        case .generic: "CI"
        }
    }
}

/// What triggered the job.
public enum CIEventKind: String, Sendable {
    /// A push to a branch.
    case push
    /// A pull request (merge request on GitLab).
    case pullRequest = "pull_request"
    /// A pushed tag.
    case tag
    /// A manual, scheduled or approval-triggered job.
    case manual
}

/// Facts from GitHub's event payload (`GITHUB_EVENT_PATH`), read by the CLI and handed to detection.
public struct GitHubEventFacts: Sendable, Equatable {
    public var pullRequestNumber: Int?
    public var headSHA: String?
    public var headRef: String?
    public var headRepository: String?
    public var baseSHA: String?
    public var baseRef: String?
    public var baseRepository: String?
    public var defaultBranch: String?
    /// The commit before a push (`before`), for backfilling what was pushed.
    public var before: String?

    /// Facts, each optional (a payload may lack any of them).
    public init(pullRequestNumber: Int? = nil, headSHA: String? = nil, headRef: String? = nil, headRepository: String? = nil,
                baseSHA: String? = nil, baseRef: String? = nil, baseRepository: String? = nil, defaultBranch: String? = nil,
                before: String? = nil) {
        self.pullRequestNumber = pullRequestNumber
        self.headSHA = headSHA
        self.headRef = headRef
        self.headRepository = headRepository
        self.baseSHA = baseSHA
        self.baseRef = baseRef
        self.baseRepository = baseRepository
        self.defaultBranch = defaultBranch
        self.before = before
    }
}

/// Where and why a CI job runs: the provider, the event, the commits and branches involved, and links back to
/// the job. Built from the environment alone by `CIContext.detect`, so it is the same on every machine.
public struct CIContext: Sendable, Equatable {
    public var provider: CIProvider
    public var event: CIEventKind
    /// The commit the job checked out (on GitHub and Azure pull requests, the test merge commit).
    public var commit: String?
    /// The pull request's head commit (lineage belongs to it: the merge commit is ephemeral).
    public var headCommit: String?
    /// The pull request's base commit, when the provider says.
    public var baseCommit: String?
    /// On a push, the commit the branch pointed at before it, when the provider says (lineage backfill).
    public var previousCommit: String?
    /// The branch pushed, or the pull request's source branch.
    public var branch: String?
    /// The pull request's target branch.
    public var baseBranch: String?
    /// The repository's default branch, when the provider says.
    public var defaultBranch: String?
    /// The tag pushed.
    public var tag: String?
    /// The pull or merge request number (GitLab's `!N` iid).
    public var pullRequest: Int?
    /// Whether the pull request comes from a fork (untrusted: base-branch commands, no secrets).
    public var isFork: Bool
    public var repositoryURL: String?
    public var runURL: String?
    public var actor: String?
    /// Variables the provider normally sets that were missing, with what was assumed instead.
    public var missing: [String]

    /// Creates a context; detection fills it from the environment.
    public init(provider: CIProvider, event: CIEventKind, commit: String? = nil, headCommit: String? = nil, baseCommit: String? = nil,
                branch: String? = nil, baseBranch: String? = nil, defaultBranch: String? = nil, tag: String? = nil, pullRequest: Int? = nil,
                isFork: Bool = false, repositoryURL: String? = nil, runURL: String? = nil, actor: String? = nil, missing: [String] = []) {
        self.provider = provider
        self.event = event
        self.commit = commit
        self.headCommit = headCommit
        self.baseCommit = baseCommit
        self.branch = branch
        self.baseBranch = baseBranch
        self.defaultBranch = defaultBranch
        self.tag = tag
        self.pullRequest = pullRequest
        self.isFork = isFork
        self.repositoryURL = repositoryURL
        self.runURL = runURL
        self.actor = actor
        self.missing = missing
    }

    /// The provider whose variables are present (`generic` when none is).
    public static func provider(in environment: [String: String]) -> CIProvider {
        for provider in CIProvider.allCases where provider != .generic {
            if let value = environment[provider.detectionVariable], !value.isEmpty, value.lowercased() != "false" { return provider }
        }
        return .generic
    }

    /// Reads the provider, event, commits and links from `environment` (and GitHub's event payload).
    public static func detect(environment: [String: String], provider forced: CIProvider? = nil, githubEvent: GitHubEventFacts? = nil) -> CIContext {
        var reader = VariableReader(environment: environment)
        let provider = forced ?? provider(in: environment)
        var context: CIContext
        switch provider {
        case .github: context = github(&reader, event: githubEvent ?? GitHubEventFacts())
        case .gitlab: context = gitlab(&reader)
        case .azure: context = azure(&reader)
        case .jenkins: context = jenkins(&reader)
        case .circleci: context = circleci(&reader)
        case .buildkite: context = buildkite(&reader)
        case .bitbucket: context = bitbucket(&reader)
        case .generic: context = generic(&reader)
        }
        context.missing = reader.missing
        if let previous = context.previousCommit, previous.allSatisfy({ $0 == "0" }) { context.previousCommit = nil }
        return context
    }

    /// Whether this job may change the registry: a push to `defaultBranch` (the branch resolved from the
    /// options, the config and the provider, in that order).
    public func isPush(to defaultBranch: String) -> Bool {
        event == .push && branch == defaultBranch
    }

    /// One line saying where the job runs, for logs and reports.
    public var summary: String {
        var text = provider.displayName + ", "
        switch event {
        case .pullRequest:
            text += "pull request" + (pullRequest.map { " #\($0)" } ?? "")
            text += " (\(branch ?? "?") → \(baseBranch ?? "?")" + (isFork ? ", from a fork" : "") + ")"
        case .push: text += "push to \(branch ?? "an unknown branch")"
        case .tag: text += "tag \(tag ?? "?")"
        case .manual: text += "manual job" + (branch.map { " on \($0)" } ?? "")
        }
        return text + (commit.map { " at \($0.prefix(10))" } ?? "")
    }
}

// MARK: - Providers

extension CIContext {
    private static func github(_ env: inout VariableReader, event: GitHubEventFacts) -> CIContext {
        let name = env.required("GITHUB_EVENT_NAME", assumed: "push")
        let ref = env.required("GITHUB_REF", assumed: "")
        var context = CIContext(provider: .github, event: .push, commit: env.required("GITHUB_SHA", assumed: nil))
        context.defaultBranch = event.defaultBranch
        context.previousCommit = event.before
        context.actor = env["GITHUB_TRIGGERING_ACTOR"] ?? env["GITHUB_ACTOR"]
        if let server = env["GITHUB_SERVER_URL"], let repository = env["GITHUB_REPOSITORY"] {
            context.repositoryURL = "\(server)/\(repository)"
            if let run = env["GITHUB_RUN_ID"] { context.runURL = "\(server)/\(repository)/actions/runs/\(run)" }
        }
        switch name ?? "push" {
        case "pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment", "merge_group":
            context.event = .pullRequest
            context.pullRequest = event.pullRequestNumber ?? number(inRef: ref ?? "")
            if event.pullRequestNumber == nil { env.note("GITHUB_EVENT_PATH (the pull request payload; its number was taken from GITHUB_REF)") }
            context.headCommit = event.headSHA ?? context.commit
            context.baseCommit = event.baseSHA
            context.branch = event.headRef ?? env["GITHUB_HEAD_REF"]
            context.baseBranch = event.baseRef ?? env["GITHUB_BASE_REF"]
            // Without the payload nobody can tell whether the head is a fork's: fail closed.
            if let head = event.headRepository, let base = event.baseRepository { context.isFork = head != base } else { context.isFork = true }
        case "push":
            if let tag = tagName(ref ?? "") {
                context.event = .tag
                context.tag = tag
            } else {
                context.branch = branchName(ref ?? "") ?? env["GITHUB_REF_NAME"]
            }
        default:
            // workflow_dispatch, schedule, issue_comment, check_run…: never a push, whatever GITHUB_REF says.
            context.event = .manual
            context.branch = branchName(ref ?? "") ?? env["GITHUB_REF_NAME"]
        }
        return context
    }

    private static func gitlab(_ env: inout VariableReader) -> CIContext {
        var context = CIContext(provider: .gitlab, event: .push, commit: env.required("CI_COMMIT_SHA", assumed: nil))
        context.defaultBranch = env["CI_DEFAULT_BRANCH"]
        context.previousCommit = env["CI_COMMIT_BEFORE_SHA"]
        context.repositoryURL = env["CI_PROJECT_URL"]
        context.runURL = env["CI_PIPELINE_URL"] ?? env["CI_JOB_URL"]
        context.actor = env["GITLAB_USER_LOGIN"]
        if let iid = env["CI_MERGE_REQUEST_IID"] {
            context.event = .pullRequest
            context.pullRequest = Int(iid)
            context.headCommit = env["CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"] ?? context.commit
            context.baseCommit = env["CI_MERGE_REQUEST_TARGET_BRANCH_SHA"] ?? env["CI_MERGE_REQUEST_DIFF_BASE_SHA"]
            context.branch = env["CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"]
            context.baseBranch = env["CI_MERGE_REQUEST_TARGET_BRANCH_NAME"]
            if let source = env["CI_MERGE_REQUEST_SOURCE_PROJECT_ID"], let target = env["CI_MERGE_REQUEST_PROJECT_ID"] { context.isFork = source != target }
        } else if let tag = env["CI_COMMIT_TAG"] {
            context.event = .tag
            context.tag = tag
        } else {
            context.branch = env["CI_COMMIT_BRANCH"] ?? env.required("CI_COMMIT_REF_NAME", assumed: nil)
            if ["web", "trigger", "api", "schedule", "pipeline"].contains(env["CI_PIPELINE_SOURCE"] ?? "") { context.event = .manual }
        }
        return context
    }

    private static func azure(_ env: inout VariableReader) -> CIContext {
        var context = CIContext(provider: .azure, event: .push, commit: env.required("BUILD_SOURCEVERSION", assumed: nil))
        context.repositoryURL = env["BUILD_REPOSITORY_URI"]
        if let collection = env["SYSTEM_COLLECTIONURI"], let project = env["SYSTEM_TEAMPROJECT"], let build = env["BUILD_BUILDID"] {
            context.runURL = "\(collection)\(project)/_build/results?buildId=\(build)"
        }
        context.actor = env["BUILD_REQUESTEDFOR"]
        let sourceBranch = env.required("BUILD_SOURCEBRANCH", assumed: "") ?? ""
        let reason = env.required("BUILD_REASON", assumed: "IndividualCI") ?? "IndividualCI"
        if reason == "PullRequest" {
            context.event = .pullRequest
            context.pullRequest = Int(env["SYSTEM_PULLREQUEST_PULLREQUESTNUMBER"] ?? env["SYSTEM_PULLREQUEST_PULLREQUESTID"] ?? "")
            context.headCommit = env["SYSTEM_PULLREQUEST_SOURCECOMMITID"] ?? context.commit
            context.branch = env["SYSTEM_PULLREQUEST_SOURCEBRANCH"].map { branchName($0) ?? $0 }
            context.baseBranch = env["SYSTEM_PULLREQUEST_TARGETBRANCH"].map { branchName($0) ?? $0 }
            context.isFork = env["SYSTEM_PULLREQUEST_ISFORK"]?.lowercased() == "true"
        } else if let tag = tagName(sourceBranch) {
            context.event = .tag
            context.tag = tag
        } else {
            context.branch = branchName(sourceBranch)
            if ["Manual", "Schedule", "ResourceTrigger"].contains(reason) { context.event = .manual }
        }
        return context
    }

    private static func jenkins(_ env: inout VariableReader) -> CIContext {
        var context = CIContext(provider: .jenkins, event: .push, commit: env.required("GIT_COMMIT", assumed: nil))
        context.repositoryURL = env["GIT_URL"]
        context.previousCommit = env["GIT_PREVIOUS_SUCCESSFUL_COMMIT"] ?? env["GIT_PREVIOUS_COMMIT"]
        context.runURL = env["BUILD_URL"]
        context.actor = env["CHANGE_AUTHOR"] ?? env["BUILD_USER_ID"]
        if let change = env["CHANGE_ID"] {
            context.event = .pullRequest
            context.pullRequest = Int(change)
            context.headCommit = context.commit
            context.branch = env["CHANGE_BRANCH"]
            context.baseBranch = env["CHANGE_TARGET"]
            context.isFork = !(env["CHANGE_FORK"] ?? "").isEmpty
        } else if let tag = env["TAG_NAME"] {
            context.event = .tag
            context.tag = tag
        } else {
            let branch = env["BRANCH_NAME"] ?? env.required("GIT_BRANCH", assumed: nil)
            context.branch = branch.map { $0.hasPrefix("origin/") ? String($0.dropFirst(7)) : $0 }
            // Multibranch pipelines mark the repository's primary branch.
            if env["BRANCH_IS_PRIMARY"] == "true" { context.defaultBranch = context.branch }
        }
        return context
    }

    private static func circleci(_ env: inout VariableReader) -> CIContext {
        var context = CIContext(provider: .circleci, event: .push, commit: env.required("CIRCLE_SHA1", assumed: nil))
        context.repositoryURL = env["CIRCLE_REPOSITORY_URL"]
        context.runURL = env["CIRCLE_BUILD_URL"]
        context.actor = env["CIRCLE_USERNAME"]
        context.branch = env["CIRCLE_BRANCH"]
        if let tag = env["CIRCLE_TAG"] {
            context.event = .tag
            context.tag = tag
        } else if let url = env["CIRCLE_PULL_REQUEST"] ?? env["CIRCLE_PR_NUMBER"] {
            context.event = .pullRequest
            context.pullRequest = Int(env["CIRCLE_PR_NUMBER"] ?? url.split(separator: "/").last.map(String.init) ?? "")
            context.headCommit = context.commit
            // CircleCI sets CIRCLE_PR_NUMBER only for pull requests from forks.
            context.isFork = env["CIRCLE_PR_NUMBER"] != nil
            // It does not name the target branch: the default branch is assumed.
            env.note("a pull request's target branch (CircleCI does not set one; the default branch is assumed)")
        }
        return context
    }

    private static func buildkite(_ env: inout VariableReader) -> CIContext {
        var context = CIContext(provider: .buildkite, event: .push, commit: env.required("BUILDKITE_COMMIT", assumed: nil))
        context.defaultBranch = env["BUILDKITE_PIPELINE_DEFAULT_BRANCH"]
        context.repositoryURL = env["BUILDKITE_REPO"]
        context.runURL = env["BUILDKITE_BUILD_URL"]
        context.actor = env["BUILDKITE_BUILD_CREATOR"] ?? env["BUILDKITE_BUILD_AUTHOR"]
        context.branch = env["BUILDKITE_BRANCH"]
        if let number = env["BUILDKITE_PULL_REQUEST"], number != "false", let value = Int(number) {
            context.event = .pullRequest
            context.pullRequest = value
            context.headCommit = context.commit
            context.baseBranch = env["BUILDKITE_PULL_REQUEST_BASE_BRANCH"]
            if let repository = env["BUILDKITE_PULL_REQUEST_REPO"], let own = env["BUILDKITE_REPO"] {
                context.isFork = normalisedRepository(repository) != normalisedRepository(own)
            }
        } else if let tag = env["BUILDKITE_TAG"] {
            context.event = .tag
            context.tag = tag
        } else if env["BUILDKITE_SOURCE"].map({ ["ui", "api", "schedule", "trigger_job"].contains($0) }) == true {
            context.event = .manual
        }
        return context
    }

    private static func bitbucket(_ env: inout VariableReader) -> CIContext {
        var context = CIContext(provider: .bitbucket, event: .push, commit: env.required("BITBUCKET_COMMIT", assumed: nil))
        context.repositoryURL = env["BITBUCKET_GIT_HTTP_ORIGIN"]
        if let repository = env["BITBUCKET_REPO_FULL_NAME"], let build = env["BITBUCKET_BUILD_NUMBER"] {
            context.runURL = "https://bitbucket.org/\(repository)/pipelines/results/\(build)"
        }
        context.actor = env["BITBUCKET_STEP_TRIGGERER_UUID"]
        context.branch = env["BITBUCKET_BRANCH"]
        if let id = env["BITBUCKET_PR_ID"] {
            context.event = .pullRequest
            context.pullRequest = Int(id)
            context.headCommit = context.commit
            context.baseBranch = env["BITBUCKET_PR_DESTINATION_BRANCH"]
            context.baseCommit = env["BITBUCKET_PR_DESTINATION_COMMIT"]
        } else if let tag = env["BITBUCKET_TAG"] {
            context.event = .tag
            context.tag = tag
        }
        return context
    }

    /// Any other CI: the `MLGATE_CI_*` variables say what the provider would; missing ones are reported.
    private static func generic(_ env: inout VariableReader) -> CIContext {
        var context = CIContext(provider: .generic, event: .push)
        let event = env.required("MLGATE_CI_EVENT", assumed: "push (a push to the checked-out branch)") ?? "push"
        context.event = CIEventKind(rawValue: event) ?? .push
        context.commit = env.required("MLGATE_CI_COMMIT", assumed: "HEAD")
        context.branch = env.required("MLGATE_CI_BRANCH", assumed: "the checked-out branch")
        context.defaultBranch = env["MLGATE_CI_DEFAULT_BRANCH"]
        context.previousCommit = env["MLGATE_CI_BEFORE"]
        context.tag = env["MLGATE_CI_TAG"]
        if context.event == .pullRequest {
            context.baseBranch = env.required("MLGATE_CI_BASE_BRANCH", assumed: "the default branch")
            context.pullRequest = env.required("MLGATE_CI_PR", assumed: nil).flatMap { Int($0) }
            context.headCommit = context.commit
            context.isFork = env["MLGATE_CI_FORK"] == "true"
        }
        context.repositoryURL = env["MLGATE_CI_REPOSITORY_URL"]
        context.runURL = env["MLGATE_CI_RUN_URL"]
        context.actor = env["MLGATE_CI_ACTOR"]
        return context
    }

    /// `refs/pull/12/merge` → 12.
    static func number(inRef ref: String) -> Int? {
        let parts = ref.split(separator: "/")
        guard parts.count >= 3, parts[0] == "refs", parts[1] == "pull" || parts[1] == "merge-requests" else { return nil }
        return Int(parts[2])
    }

    /// `refs/heads/feature/x` → `feature/x`.
    static func branchName(_ ref: String) -> String? {
        ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : nil
    }

    /// `refs/tags/v1` → `v1`.
    static func tagName(_ ref: String) -> String? {
        ref.hasPrefix("refs/tags/") ? String(ref.dropFirst("refs/tags/".count)) : nil
    }

    /// A repository URL without its scheme, credentials and `.git`, for comparing two spellings of one repository.
    static func normalisedRepository(_ url: String) -> String {
        var text = Substring(url.lowercased())
        if let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") { text = text[text.index(colon, offsetBy: 3)...] }
        if let at = text.firstIndex(of: "@") { text = text[text.index(after: at)...] }
        var result = String(text.map { $0 == ":" ? "/" : $0 })
        if result.hasSuffix(".git") { result.removeLast(4) }
        return result
    }
}

/// Reads variables, treating empty values as missing and remembering which expected ones were absent.
struct VariableReader {
    let environment: [String: String]
    private(set) var missing: [String] = []

    init(environment: [String: String]) { self.environment = environment }

    subscript(name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// A variable the provider always sets; its absence is reported with what was assumed.
    mutating func required(_ name: String, assumed: String?) -> String? {
        if let value = self[name] { return value }
        missing.append(name + (assumed.map { $0.isEmpty ? "" : " (assumed: \($0))" } ?? ""))
        return assumed.flatMap { $0.isEmpty || $0.contains(" ") ? nil : $0 }
    }

    /// Records a fact the environment could not give.
    mutating func note(_ text: String) { missing.append(text) }
}
