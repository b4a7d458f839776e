import Foundation
import MLGateConfig
import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// The `pre-push` hook: queues a training job for each pushed ref whose new commits touch a stage's inputs,
/// and starts a detached worker when none runs. It never blocks the push unless `hooks.pre_push: strict`,
/// and then only for a policy reason (a broken pipeline or unapproved commands), never for its own failures.
package struct PrePushHook {
    /// git's arguments: the remote's name and URL.
    let arguments: [String]
    /// Where the hook's lines go (git shows the hook's standard error to the person pushing).
    let reporter: any Reporter

    /// The hook for git's `arguments`, reporting to `reporter`.
    package init(arguments: [String], reporter: any Reporter) {
        self.arguments = arguments
        self.reporter = reporter
    }
    /// Commits inspected per ref at most; older history was pushed before.
    static let commitLimit = 2_000

    /// Runs the hook; returns the exit status for git (1 blocks the push).
    package func run() -> Int32 {
        let input = Files.readAll(0).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if HookRecorder.switchedOff { return 0 }
        var layout: StoreLayout?
        var strict = false
        do {
            let repository = try GitRepository.open(at: Files.currentDirectory())
            let root = try repository.mainWorktreeRoot()
            layout = StoreLayout(repositoryRoot: root)
            let configuration = (try? ConfigLoader.load(path: (repository.workingDirectory ?? root) + "/" + ConfigLoader.fileName)) ?? nil
            let mode = configuration?.hooks.prePush ?? .warn
            strict = mode == .strict
            guard mode != .off else { return 0 }
            var problems: [String] = []
            var queued = 0
            try layout?.create()
            let store = try Store(path: StoreLayout(repositoryRoot: root).database)
            for update in PushedRef.parse(input) {
                switch try queue(update, repository: repository, root: root, store: store) {
                case .queued(let message): queued += 1; say(message)
                case .nothing: break
                case .refused(let message): problems.append(message)
                }
            }
            for problem in problems { say((strict ? "error: " : "warning: ") + problem) }
            if queued > 0, configuration?.hooks.startWorker ?? true, !ContinuousIntegration.isActive {
                WorkerLauncher.startIfIdle(layout: StoreLayout(repositoryRoot: root))
            }
            return strict && !problems.isEmpty ? 1 : 0
        } catch {
            // The hook's own failure never blocks a push.
            _ = HookRecorder.failure("pre-push: \(error)", layout: layout)
            return 0
        }
    }

    enum Outcome {
        case queued(String), nothing, refused(String)
    }

    private func queue(_ update: PushedRef, repository: GitRepository, root: String, store: Store) throws -> Outcome {
        let remote = arguments.first
        let text: String?
        do { text = try repository.fileText(at: update.local, path: ConfigLoader.fileName) } catch { return .nothing }
        guard let text else { return .nothing }
        let configuration: MLGateConfiguration
        do {
            configuration = try ConfigLoader.parse(text, file: "\(ConfigLoader.fileName) at \(update.local.short)")
        } catch {
            return .refused("\(update.localRef) was not queued for training: \(error.description)")
        }
        let stages = configuration.stages
        guard !stages.isEmpty else { return .nothing }
        let hidden = update.remote.map { [$0] } ?? []
        let commits = try repository.commits(from: update.local, hiding: hidden,
                                             hidingRefs: remote.map { "refs/remotes/\($0)/*" }, limit: Self.commitLimit)
        var watched = Set([ConfigLoader.fileName])
        for stage in stages {
            watched.formUnion(stage.dependencies.map(\.path))
            watched.formUnion(stage.parameters.map(\.file))
            if let environment = stage.environment { watched.insert(environment.file) }
        }
        var touched = Set<String>()
        for commit in commits { touched.formUnion(try repository.changedPaths(commit, among: watched.sorted())) }
        guard !touched.isEmpty else { return .nothing }
        let affected = touched.contains(ConfigLoader.fileName) ? stages.map(\.name) : stages.filter { stage in
            let inputs = stage.dependencies.map(\.path) + stage.parameters.map(\.file) + (stage.environment.map { [$0.file] } ?? [])
            return inputs.contains(where: touched.contains)
        }.map(\.name)
        let hash = TrustStore.hash(stages)
        let trusted = TrustStore().isTrusted(hash, repository: root + "/.mlgate")
        let now = Store.nowMilliseconds
        let job = Job(ref: update.localRef, commit: update.local.hex, remote: remote, stages: affected,
                      status: trusted ? .queued : .untrusted, trustHash: hash, createdAt: now, updatedAt: now,
                      message: trusted ? nil : "its stage commands are not approved; run 'mlgate trust' after reading them")
        let (id, added) = try store.enqueue(job)
        guard trusted else {
            return .refused("job \(id) for \(update.localRef) waits: the stage commands at \(update.local.short) are not approved. Read them with 'mlgate trust --show', then run 'mlgate trust'.")
        }
        return .queued(added ? "mlgate: queued training job \(id) for \(update.localRef) at \(update.local.short) (stages: \(affected.joined(separator: ", ")))"
                             : "mlgate: training job \(id) for \(update.localRef) at \(update.local.short) is already queued")
    }

    private func say(_ line: String) { reporter.progress(line) }
}

/// One line of pre-push's standard input: `<local ref> <local sha> <remote ref> <remote sha>`.
package struct PushedRef: Equatable {
    var localRef: String
    var local: CommitID
    var remoteRef: String
    /// The remote's current commit, nil when the remote ref is new.
    var remote: CommitID?

    /// The updates in `input`, without deletions.
    static func parse(_ input: String) -> [PushedRef] {
        input.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 4, let local = CommitID(hex: String(fields[1])), !local.isZero else { return nil }
            let remote = CommitID(hex: String(fields[3])).flatMap { $0.isZero ? nil : $0 }
            return PushedRef(localRef: String(fields[0]), local: local, remoteRef: String(fields[2]), remote: remote)
        }
    }
}
