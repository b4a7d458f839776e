import MLGateCore
import Testing

@Suite("CI detection from the environment")
struct CIEnvironmentTests {
    @Test("GitHub: only 'push' pushes; other events are manual; a pull request without its payload is treated as a fork")
    func githubEvents() {
        let push = CIContext.detect(environment: ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": "a"])
        #expect(push.provider == .github && push.event == .push && push.branch == "main" && push.isPush(to: "main"))
        let tag = CIContext.detect(environment: ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/churn#production#3", "GITHUB_SHA": "a"])
        #expect(tag.event == .tag && tag.tag == "churn#production#3" && !tag.isPush(to: "main"))
        let comment = CIContext.detect(environment: ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "issue_comment", "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": "a"])
        #expect(comment.event == .manual && !comment.isPush(to: "main"))
        let pull = CIContext.detect(environment: ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/12/merge", "GITHUB_SHA": "a"])
        #expect(pull.event == .pullRequest && pull.pullRequest == 12 && pull.isFork)
        #expect(pull.missing.contains { $0.hasPrefix("GITHUB_EVENT_PATH") })
        let payload = GitHubEventFacts(pullRequestNumber: 12, headSHA: "h", headRef: "x", headRepository: "acme/m", baseSHA: "b", baseRef: "main", baseRepository: "acme/m")
        let trusted = CIContext.detect(environment: ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/12/merge", "GITHUB_SHA": "m"],
                                       githubEvent: payload)
        #expect(!trusted.isFork && trusted.headCommit == "h" && trusted.baseCommit == "b" && trusted.baseBranch == "main")
    }

    @Test("GitLab merge requests, Azure pull requests, Jenkins primary branches, Buildkite forks by owner and name")
    func otherProviders() {
        let gitlab = CIContext.detect(environment: ["GITLAB_CI": "true", "CI_COMMIT_SHA": "m", "CI_MERGE_REQUEST_IID": "42", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "",
                                                    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "7", "CI_MERGE_REQUEST_PROJECT_ID": "8"])
        #expect(gitlab.event == .pullRequest && gitlab.pullRequest == 42 && gitlab.headCommit == "m" && gitlab.isFork)
        let azure = CIContext.detect(environment: ["TF_BUILD": "True", "BUILD_SOURCEVERSION": "m", "BUILD_REASON": "PullRequest", "BUILD_SOURCEBRANCH": "refs/pull/3/merge",
                                                   "SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/main", "SYSTEM_PULLREQUEST_PULLREQUESTID": "3"])
        #expect(azure.provider == .azure && azure.event == .pullRequest && azure.baseBranch == "main" && azure.pullRequest == 3 && !azure.isFork)
        let jenkins = CIContext.detect(environment: ["JENKINS_URL": "https://ci", "GIT_COMMIT": "m", "BRANCH_NAME": "trunk", "BRANCH_IS_PRIMARY": "true"])
        #expect(jenkins.isPush(to: jenkins.defaultBranch ?? "main") && jenkins.defaultBranch == "trunk")
        let buildkite = CIContext.detect(environment: ["BUILDKITE": "true", "BUILDKITE_COMMIT": "m", "BUILDKITE_PULL_REQUEST": "5",
                                                       "BUILDKITE_PULL_REQUEST_REPO": "git://github.com/acme/churn.git", "BUILDKITE_REPO": "git@github.com:acme/churn.git"])
        #expect(buildkite.event == .pullRequest && !buildkite.isFork)
        let generic = CIContext.detect(environment: ["CI": "true"])
        #expect(generic.provider == .generic && generic.missing.contains { $0.hasPrefix("MLGATE_CI_EVENT") })
    }
}
