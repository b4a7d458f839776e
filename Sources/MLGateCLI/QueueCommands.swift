import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import MLGateEvaluation
import MLGateCI
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateStore

/// `mlgate queue`: the training jobs `git push` queued.
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List or cancel the training jobs queued by git push.",
        discussion: """
            The pre-push hook queues a job for each pushed branch whose new commits change a stage's \
            dependencies, parameters, environment file or mlgate.yaml; 'mlgate worker' runs them. A job \
            waiting for 'mlgate trust' shows as untrusted.
            """,
        subcommands: [List.self, Cancel.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs, newest first (the default of 'mlgate queue').")

        @Flag(help: "Include finished and cancelled jobs.")
        var all = false

        @Option(help: "Show at most this many jobs.")
        var limit: Int = 50

        @Flag(help: "Print JSON (shape in docs/json.md) instead of a table.")
        var json = false

        func run() throws {
            let workspace = try Workspace.current()
            let statuses: [JobStatus] = all ? [] : [.queued, .running, .untrusted]
            let jobs = try workspace.openStore().jobs(statuses: statuses, limit: limit)
            if json { return try Output.json(QueueJSON(jobs: jobs, workerRunning: WorkerLauncher.isRunning(workspace.layout))) }
            guard !jobs.isEmpty else {
                return print(all ? "No jobs yet: a git push that changes a stage's inputs queues one." : "No pending jobs ('--all' shows finished ones).")
            }
            var rows = [["JOB", "STATUS", "REF", "COMMIT", "STAGES", "TRIES", "RUN", "QUEUED", "NOTE"]]
            for job in jobs {
                rows.append([String(job.id), job.status.rawValue, job.ref, String(job.commit.prefix(10)), job.stages.joined(separator: ","),
                             String(job.attempts), job.run.map(String.init) ?? "-", RunsCommand.date(job.createdAt), job.message ?? ""])
            }
            Output.table(rows)
            print(WorkerLauncher.isRunning(workspace.layout) ? "A worker is running." : "No worker is running; 'mlgate worker' runs the queue.")
        }
    }

    /// `mlgate queue --json`.
    struct QueueJSON: Encodable {
        let jobs: [Job]
        let workerRunning: Bool

        enum CodingKeys: String, CodingKey { case jobs, workerRunning = "worker_running" }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a queued or running job.")

        @Argument(help: "The job number (from 'mlgate queue').")
        var job: Int

        func run() throws {
            guard let found = try Workspace.current().openStore().cancelJob(job, now: Store.nowMilliseconds) else {
                throw UsageError("there is no job \(job); 'mlgate queue --all' lists them.")
            }
            switch found.status {
            case .queued, .untrusted: print("cancelled job \(job).")
            case .running: print("cancelled job \(job); its worker stops the run at its next lease renewal (within \(Worker.renewSeconds) s).")
            default: print("job \(job) had already finished (\(found.status.rawValue)); nothing changed.")
            }
        }
    }
}

/// `mlgate worker`: runs queued training jobs.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run the queued training jobs.",
        discussion: """
            Takes jobs from the queue one at a time under a lease, checks out each job's commit into \
            .mlgate/work/ (your worktree is not touched) and runs the pipeline there with this repository's \
            store, so the run cache is shared. Only commands approved with 'mlgate trust' run. A worker that \
            is killed leaves its job to the next worker. By default it exits when the queue is empty; the \
            pre-push hook starts one in the background (output in .mlgate/logs/worker.log) when none runs. \
            With 'executor:' in mlgate.yaml (github, gitlab or kubernetes), each job is dispatched to that engine \
            instead, recorded, and followed until it ends (docs/team.md).
            """
    )

    @Flag(help: "Start in the background, detached from the terminal, logging to .mlgate/logs/worker.log.")
    var detach = false

    @Flag(help: "Keep waiting for new jobs instead of exiting when the queue is empty.")
    var wait = false

    @Option(help: "Stop after this many jobs.")
    var maxJobs: Int?

    func run() throws {
        let context = try RepositoryContext.current()
        if detach {
            let passed = (wait ? ["--wait"] : []) + (maxJobs.map { ["--max-jobs", String($0)] } ?? [])
            let pid = try WorkerLauncher.start(layout: context.layout, arguments: passed)
            return print("worker started (pid \(pid)); its log is \(WorkerLauncher.logPath(context.layout)).")
        }
        let store = try context.openStore()
        let worker = Worker(repository: context.repository, layout: context.layout, store: store, interruption: Interruption(), reporter: TerminalReporter())
        // A retraining job's model meets its gate in the job's checkout, and is registered here only when it passes.
        let registering = RegistryContext(workspace: try Workspace.current(reporter: TerminalReporter()), store: store)
        worker.afterTraining = { job, run, workspace in
            guard let model = job.gateModel else { return "" }
            do {
                return try RetrainingGate(judging: RegistryContext(workspace: workspace, store: store), registering: registering)
                    .judge(model: model, run: run, reason: job.reason ?? "retrain \(model)")
            } catch {
                return "gate of \(model) not run: \(error)"
            }
        }
        // With an executor, jobs are dispatched to it and followed instead of trained here.
        worker.dispatcher = try Dispatchers.make(try registering.workspace.configuration().executor)
        let done = try worker.run(wait: wait, limit: maxJobs)
        printError("worker \(worker.owner): \(done) job\(done == 1 ? "" : "s") run; the queue is \(done == 0 ? "empty" : "done").")
    }
}
