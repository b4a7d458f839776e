import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateConfig
package import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// One `mlgate ci` invocation: where it runs, what it may do, and the result it reports.
package final class CIJob {
    package let options: CIOptions
    package let context: CIContext
    package let secrets: CISecrets
    package let workspace: Workspace
    package let git: GitCommandLine
    /// The token for the pull request comment, taken before the environment is narrowed.
    package let commentToken: String?
    /// The job's variables without secrets, as they were before commands' environment was narrowed (where
    /// the provider's report files and API addresses are named).
    package let jobEnvironment: [String: String]
    package var result: CIResult
    package var verdicts: [Verdict] = []
    /// Each gated model's HTML report, by model (`gate-MODEL.html` in the reports folder).
    package var pages: [String: String] = [:]
    /// Versions to deploy after the registry is published: (model, artifact).
    package var pendingDeploys: [(String, String)] = []

    /// Where progress, warnings and the CI system's log commands go.
    package var reporter: any Reporter { workspace.reporter }

    /// A job for this process's CI environment and the worktree around the current directory, reporting to `reporter`.
    package init(options: CIOptions, reporter: any Reporter) throws {
        let environment = ProcessInfo.processInfo.environment
        let forced = options.provider.flatMap(CIProvider.init(rawValue:))
        let provider = forced ?? CIContext.provider(in: environment)
        var context = CIContext.detect(environment: environment, provider: provider,
                                       githubEvent: provider == .github ? Self.githubEvent(environment["GITHUB_EVENT_PATH"]) : nil)
        workspace = try Workspace.current(reporter: reporter)
        // git keeps the job's whole environment (credential helpers, SSH agents, GIT_CONFIG_*), even after the
        // environment commands inherit is narrowed.
        git = GitCommandLine(directory: workspace.root, environment: environment)
        if context.commit == nil || context.commit == "HEAD", let head = try? git.run(["rev-parse", "HEAD"]), head.status == 0 { context.commit = head.output }
        if context.branch == nil, context.event == .push, let head = try? git.run(["symbolic-ref", "--short", "HEAD"]), head.status == 0 {
            context.branch = head.output
        }
        self.context = context
        self.options = options
        secrets = CISecrets(environment: environment)
        jobEnvironment = environment.filter { !CISecrets.looksSecret($0.key, value: $0.value) }
        commentToken = context.isFork ? nil : Self.token(for: provider, environment)
        result = CIResult(context: context, mode: options.release ? "release" : "gate")
    }

    /// Runs the job; reports are written whatever happens. Returns whether the gate or the release passed
    /// (`mlgate ci` exits 1 when it did not).
    package func execute() throws -> Bool {
        say(context.summary)
        for missing in context.missing { warn("\(context.provider.displayName) did not set \(missing)") }
        do {
            if context.isFork { try Self.dropSecretsByRestarting() }
            excludeOwnFiles()
            let configuration = try prepareConfiguration()
            narrowEnvironment(configuration)
            let registry = try RegistryContext(workspace: workspace, store: workspace.openStore())
            let remote = try remoteName(configuration)
            if let remote { try fetchRegistry(registry, remote: remote, configuration: configuration) }
            else { warn("this repository has no git remote: the registry is read from and written to local refs only") }
            let defaultBranch = resolvedDefaultBranch(configuration)
            result.defaultBranch = defaultBranch
            if options.release {
                try CIRelease(job: self, registry: registry, configuration: configuration, remote: remote).run()
            } else {
                try gate(registry: registry, configuration: configuration, defaultBranch: defaultBranch, remote: remote)
            }
            // The registry goes out before anything is deployed: a version number is final only once its tag is
            // on the remote, and a deployment must name the final one.
            if result.changedRegistry, let remote, !options.noPush { try publish(registry, remote: remote, configuration: configuration) }
            if try runPendingDeploys(registry, configuration: configuration), let remote, !options.noPush {
                try publish(registry, remote: remote, configuration: configuration)
            }
        } catch {
            let text = secrets.redact(String(describing: error))
            result.error = text
            finish()
            // What reaches the terminal is redacted too (git's messages may quote a URL with a token).
            if let failure = error as? any MLGateError { throw RedactedFailure(category: failure.category, description: text) }
            throw error
        }
        finish()
        return result.passed
    }

    // MARK: - Steps

    /// The configuration the job runs: on a fork's pull request, the base branch's mlgate.yaml.
    private func prepareConfiguration() throws -> MLGateConfiguration {
        guard context.isFork else { return try workspace.configuration() }
        // The base: the commit the provider names, else the tip of the target branch (else the default branch).
        // Not the pull request's remote.git: a fork must not choose where its base comes from.
        let name = options.remote ?? "origin"
        let branch = context.baseBranch ?? options.defaultBranch ?? context.defaultBranch ?? "main"
        let base: String
        if let sha = context.baseCommit {
            base = sha
            if !git.hasCommit(sha) { try? git.fetch(remote: name, refspecs: [sha]) }
        } else {
            base = "refs/remotes/\(name)/\(branch)"
            try? git.fetch(remote: name, refspecs: ["+refs/heads/\(branch):\(base)"])
        }
        let repository = try GitRepository.open(at: workspace.root)
        guard let commit = try? repository.resolve(base), let text = try repository.fileText(at: commit, path: ConfigLoader.fileName) else {
            throw EnvironmentError("this pull request comes from a fork: mlgate runs the base branch's mlgate.yaml, but could not read it at \(base). Fetch the base branch (\(context.provider.fullHistoryFix)) and run again.")
        }
        let path = workspace.layout.directory + "/ci/base-mlgate.yaml"
        try FileAccess.createDirectory(workspace.layout.directory + "/ci")
        try AtomicFile.write(text, to: path)
        Workspace.configurationOverride = path
        say("pull request from a fork: running the commands of mlgate.yaml at \(commit.hex.prefix(10)) (the base branch), without secrets")
        result.warnings.append("pull request from a fork: the base branch's mlgate.yaml was used and no secrets were passed")
        return try workspace.configuration()
    }

    /// Restarts mlgate without secret-looking variables, so no child can read them from this process either.
    private static func dropSecretsByRestarting() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MLGATE_CI_RESTARTED"] == nil else { return }
        var kept = environment.filter { !CISecrets.looksSecret($0.key, value: $0.value) }
        kept["MLGATE_CI_RESTARTED"] = "1"
        let arguments = CommandLine.arguments
        let cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = kept.map { strdup("\($0.key)=\($0.value)") } + [nil]
        fflush(nil)
        #if os(Linux)
        let executable = "/proc/self/exe"
        #else
        let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
        #endif
        execve(executable, cArguments, cEnvironment)
        throw EnvironmentError("could not restart mlgate without the job's secrets (\(String(cString: strerror(errno)))); refusing to run a fork's commands with them.")
    }

    /// Keeps `.mlgate/` and the reports out of `git status` in the job's checkout, so runs are not recorded as
    /// dirty because of mlgate's own files (`.git/info/exclude`, which is never committed).
    private func excludeOwnFiles() {
        guard let gitDirectory = try? git.run(["rev-parse", "--git-common-dir"]), gitDirectory.status == 0 else { return }
        let directory = gitDirectory.output.hasPrefix("/") ? gitDirectory.output : workspace.root + "/" + gitDirectory.output
        let path = directory + "/info/exclude"
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let reports = Files.absolute(options.reports ?? "mlgate-reports")
        var wanted = ["/.mlgate/"]
        if reports.hasPrefix(workspace.root + "/") { wanted.append("/" + reports.dropFirst(workspace.root.count + 1) + "/") }
        let missing = wanted.filter { !existing.split(separator: "\n").contains(Substring($0)) }
        guard !missing.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: directory + "/info", withIntermediateDirectories: true)
        try? AtomicFile.write(existing + (existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n") + missing.joined(separator: "\n") + "\n", to: path)
    }

    /// Leaves only what commands may see in this process's environment, so every child inherits that.
    private func narrowEnvironment(_ configuration: MLGateConfiguration) {
        let current = ProcessInfo.processInfo.environment
        let allowed = CISecrets.commandEnvironment(current, untrusted: context.isFork, pass: configuration.ci.passEnvironment)
        for name in current.keys where allowed[name] == nil { unsetenv(name) }
    }

    /// The remote to fetch and push the registry with, or nil when the repository has none.
    private func remoteName(_ configuration: MLGateConfiguration) throws -> String? {
        let name = options.remote ?? configuration.remote.git ?? "origin"
        let found = try git.run(["remote"]).output.split(separator: "\n").map(String.init)
        if found.contains(name) { return name }
        if options.remote != nil || configuration.remote.git != nil {
            throw UsageError("there is no git remote '\(name)' (the remotes are \(found.isEmpty ? "none" : found.joined(separator: ", "))); fix --remote or 'remote.git'.")
        }
        return nil
    }

    /// The default branch: --default-branch, 'ci.default_branch', the provider's, origin's HEAD, else main.
    package func resolvedDefaultBranch(_ configuration: MLGateConfiguration) -> String {
        if let branch = options.defaultBranch ?? configuration.ci.defaultBranch ?? context.defaultBranch { return branch }
        let remote = configuration.remote.git ?? "origin"
        if let head = try? git.run(["symbolic-ref", "--short", "refs/remotes/\(remote)/HEAD"]), head.status == 0 {
            return String(head.output.dropFirst(remote.count + 1))
        }
        return "main"
    }

    // MARK: - Reports

    /// Writes every report and the comment; a failure here is a warning, never a different verdict.
    private func finish() {
        let writer = CIReportWriter(job: self, verdicts: verdicts)
        writer.writeAll()
        if options.comment { writer.comment(token: commentToken) }
    }

    package func say(_ text: String) { reporter.progress("mlgate ci: " + secrets.redact(text)) }

    package func warn(_ text: String) {
        let clean = secrets.redact(text)
        result.warnings.append(clean)
        reporter.warning(clean)
    }

    // MARK: - Environment

    /// The facts of GitHub's event payload, or nil when there is none.
    package static func githubEvent(_ path: String?) -> GitHubEventFacts? {
        guard let path, let data = FileManager.default.contents(atPath: path),
              let payload = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        let pull = payload["pull_request"] as? [String: Any]
        let head = pull?["head"] as? [String: Any]
        let base = pull?["base"] as? [String: Any]
        func repository(_ side: [String: Any]?) -> String? { (side?["repo"] as? [String: Any])?["full_name"] as? String }
        return GitHubEventFacts(pullRequestNumber: (pull?["number"] as? Int) ?? (payload["number"] as? Int), headSHA: head?["sha"] as? String,
                                headRef: head?["ref"] as? String, headRepository: repository(head) ?? (head == nil ? nil : "(deleted fork)"),
                                baseSHA: base?["sha"] as? String, baseRef: base?["ref"] as? String, baseRepository: repository(base),
                                defaultBranch: (payload["repository"] as? [String: Any])?["default_branch"] as? String,
                                before: payload["before"] as? String)
    }

    /// The API token for the pull request comment.
    package static func token(for provider: CIProvider, _ environment: [String: String]) -> String? {
        let names = provider == .gitlab ? ["MLGATE_GITLAB_TOKEN", "GITLAB_TOKEN"] : ["GITHUB_TOKEN", "MLGATE_GITHUB_TOKEN"]
        return names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
    }
}
