import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import MLGateEvents
import Foundation
import MLGateCI
import MLGateCore
import MLGateWorkspace

/// `mlgate ci`: the one step a CI pipeline calls — train, evaluate, gate, report; on the default branch,
/// register, promote and deploy the winner; in release mode, check a version's verdict and approvals and deploy it.
struct CICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ci",
        abstract: "Train, gate and report in a CI job; on the default branch register, promote and deploy the winner.",
        discussion: """
            mlgate ci reads the CI system from its environment (GitHub Actions, GitLab CI, Azure Pipelines, \
            Jenkins, CircleCI, Buildkite, Bitbucket Pipelines; otherwise a generic mode driven by MLGATE_CI_* \
            variables) and what started the job: a pull request, a push, a tag, a manual job.

            It fetches the registry's tags and refs/notes/mlgate from the remote by refspec (a depth-1 checkout \
            is enough), rebuilds the registry from them, runs the pipeline, and gates every model that has \
            'promotion' criteria against its champion. On a pull request it only reports. On a push to the \
            default branch whose gate passes it registers the version, promotes it stage by stage towards \
            'ci.promote_to' as far as the lifecycle allows, deploys it to the targets that serve that stage, \
            and pushes the registry (fetch, merge, retry; never forced).

            With --release (a manual or approval job, or a pushed stage tag) it checks that the version's gate \
            passed and the lifecycle's approvals are there, promotes it to --stage and deploys it.

            With --retrain REASON (a scheduled or manual job on the default branch, after 'mlgate monitor check' \
            found drift) it trains, gates and registers as a push to the default branch would: the new model \
            replaces the champion only as far as the promotion criteria and the lifecycle allow.

            With --dispatch the training runs on the executor mlgate.yaml names (a GPU node through Kubernetes, \
            another CI's runners): the commit is dispatched once, followed to its end, and its outputs come back \
            through remote.objects, so this runner only gates.

            Reports go where the CI shows them: a Markdown summary (GITHUB_STEP_SUMMARY, Azure's summary tab, \
            a Buildkite annotation), JUnit XML with one test case per criterion, a JSON verdict, a dotenv file, \
            and GITHUB_OUTPUT. Pull requests from forks run the base branch's commands without secrets. \
            Exit codes: 0 passed, 1 the gate or the release was refused, 2 bad config or input, 3 environment. \
            docs/ci.md has the guide per CI system.
            """
    )

    @Option(name: .customLong("model"), help: "Gate only this model (repeat for more; default: every model with 'promotion' criteria).")
    var models: [String] = []

    @Flag(help: "Release-gate mode: check the version's verdict and approvals for --stage, promote it there and deploy it.")
    var release = false

    @Option(help: "The lifecycle stage to promote towards (default: 'ci.promote_to', else the stage holding the champion).")
    var stage: String?

    @Option(help: "With --release: the version to release (default: the tag pushed, else the version built from this commit, else the newest that passed its gate).")
    var version: Int?

    @Option(name: .customLong("target"), help: "A deploy target to update (repeat for more; default: 'ci.deploy', else the targets serving the stage).")
    var targets: [String] = []

    @Flag(help: "Post or update one comment on the pull request with the verdict (GitHub: GITHUB_TOKEN; GitLab: MLGATE_GITLAB_TOKEN).")
    var comment = false

    @Option(help: "The folder for reports (default: 'ci.reports', else mlgate-reports).")
    var reports: String?

    @Option(help: "Where to write the JUnit XML (default: REPORTS/junit.xml; on Bitbucket test-results/mlgate/junit.xml).")
    var junit: String?

    @Option(help: "Where to write the Markdown summary (default: REPORTS/gate.md).")
    var markdown: String?

    @Option(help: "Where to write the JSON result (default: REPORTS/gate.json; shape in docs/json.md).")
    var json: String?

    @Option(help: "Take the CI system as this one instead of detecting it: github, gitlab, azure, jenkins, circleci, buildkite, bitbucket, generic.")
    var provider: String?

    @Option(help: "The default branch (default: the CI system's, else 'ci.default_branch', else origin's HEAD, else main).")
    var defaultBranch: String?

    @Option(help: "The git remote for the registry's tags and notes (default: 'remote.git', else origin).")
    var remote: String?

    @Flag(help: "Do not push the registry's tags and notes, or objects, after changing them.")
    var noPush = false

    @Option(help: ArgumentHelp("In a scheduled or manual job on the default branch: retrain and gate as a push would, registering and promoting what passes; the reason (the drift found) goes into the audit log.", valueName: "reason"))
    var retrain: String?

    @Flag(help: "Train on the executor mlgate.yaml names (GitHub Actions, GitLab, Kubernetes) instead of this runner: dispatch the commit, wait for it, pull its outputs through remote.objects, then gate.")
    var dispatch = false

    func validate() throws {
        if dispatch, release { throw ValidationError("--dispatch trains the commit; --release trains nothing. Drop one.") }
        if let provider, CIProvider(rawValue: provider) == nil {
            throw ValidationError("unknown provider '\(provider)'; use one of \(CIProvider.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        if version != nil, !release { throw ValidationError("--version is for --release; a gate judges the commit being built.") }
        if let retrain {
            if release { throw ValidationError("--retrain trains and gates a new model, --release promotes one already registered; run them as two jobs.") }
            if retrain.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--retrain needs a reason, such as --retrain \"drift in churn (scheduled check)\".") }
        }
    }

    /// The job's options, as the CI module reads them.
    private var options: CIOptions {
        var options = CIOptions()
        options.models = models
        options.release = release
        options.stage = stage
        options.version = version
        options.targets = targets
        options.comment = comment
        options.reports = reports
        options.junit = junit
        options.markdown = markdown
        options.json = json
        options.provider = provider
        options.defaultBranch = defaultBranch
        options.remote = remote
        options.noPush = noPush
        options.retrain = retrain
        options.dispatch = dispatch
        return options
    }

    func run() throws {
        let job: CIJob
        do {
            job = try CIJob(options: options, reporter: TerminalReporter())
        } catch {
            // Not even a repository: the JSON result still says why, where the CI system collects reports.
            CIReportWriter.writeStartupFailure(error, options: options)
            throw error
        }
        let passed: Bool
        do { passed = try job.execute() } catch {
            Self.deliverEvents()
            throw error
        }
        Self.deliverEvents()
        if !passed { throw ExitCode(1) }
    }

    /// Delivers the job's events before the runner goes away (one pass; what fails waits in the store for the next
    /// delivery). A delivery problem is a warning: it never changes the job's result.
    static func deliverEvents() {
        guard let workspace = try? Workspace.current(), let subscriptions = try? workspace.configuration().notify, !subscriptions.isEmpty else { return }
        do {
            let report = try EventDelivery(workspace: workspace, store: try workspace.openStore(), subscriptions: subscriptions).deliverDue()
            printError("events: \(report.delivered) delivered, \(report.retrying) to retry, \(report.dead) dead-lettered")
            for problem in report.problems { printError("warning: " + problem) }
        } catch {
            printError("warning: events were not delivered: \(error)")
        }
    }
}
