import Foundation
import MLGateSystem
package import MLGateCore
package import MLGatePipeline
package import MLGateRegistry
import MLGateStore
import MLGateWorkspace
import Synchronization

/// `mlgate score`: scores files of rows with a registered version, partition by partition, in parallel, by the
/// model's own `score` command. Resumable: a partition's output appears under its final name only once it is
/// complete and checked, so after a crash, a kill or Ctrl-C the same command scores only what is missing.
package struct BatchScoring {
    /// What to score and how.
    package struct Options: Sendable {
        /// The version: `NAME/N`, `NAME@ALIAS`, `NAME@STAGE` or a `models:/` URI.
        package var model: String
        /// A file, or a folder of files.
        package var input: String
        /// The folder outputs go to.
        package var output: String
        /// Partitions scored at once.
        package var workers: Int = 2
        /// Rows per partition.
        package var rowsPerPartition: Int = 10_000
        /// Further attempts of a partition whose command fails.
        package var retries: Int = 2

        /// Options scoring `input` with `model` into `output`; the rest as `mlgate score` defaults them.
        package init(model: String, input: String, output: String) {
            self.model = model
            self.input = input
            self.output = output
        }
    }

    /// The registry the version comes from.
    package let registry: RegistryContext

    /// A scorer over `registry`.
    package init(registry: RegistryContext) { self.registry = registry }

    /// Scores every partition not already scored in `options.output`; stops early (leaving what is done) when
    /// `interruption` fires. A failed partition is retried, then reported in the summary by name.
    package func run(_ options: Options, interruption: Interruption) throws -> BatchSummary {
        let version = try registry.store.resolve(try ModelURI(parsing: options.model))
        guard version.status == "active" else { throw RegistryError(.refused, "\(version.uri) is \(version.status); only an active version scores batches.") }
        guard let spec = try registry.workspace.configuration().models.first(where: { $0.name == version.model })?.scoring else {
            throw UsageError("model '\(version.model)' has no 'score' section in mlgate.yaml saying how a version scores a file: add score: {cmd: [python3, predict.py, --model, '{model}', --data, '{input}', --out, '{output}']} (docs/serving.md#batch-scoring).")
        }
        let input = Files.absolute(options.input), output = Files.absolute(options.output)
        let files = try ScorePartitioner.inputFiles(input)
        let partitions = try ScorePartitioner.partitions(of: files, rows: options.rowsPerPartition)
        let job = try ScoreJob(version: version, spec: spec, files: files, input: input, output: output, rowsPerPartition: options.rowsPerPartition)
        try job.claim()
        let started = Date()
        let name = version.artifactName
        var results: [BatchSummary.PartitionResult] = []
        try registry.withCheckout(version.artifact, named: name) { _, modelPath in
            results = run(partitions, job: job, spec: spec, modelPath: modelPath, version: version, options: options, interruption: interruption)
        }
        let summary = BatchSummary(version: version, input: input, output: output, partitions: results, interrupted: interruption.happened,
                                   seconds: Date().timeIntervalSince(started))
        try AtomicFile.write(try JSONDocument.text(summary) + "\n", to: output + "/score.json")
        if summary.failed.isEmpty, !summary.interrupted { job.cleanUp() }
        return summary
    }

    /// Runs the partitions on `options.workers` threads, each taking the next one not done.
    private func run(_ partitions: [ScorePartition], job: ScoreJob, spec: ScoringSpec, modelPath: String, version: ModelVersion,
                     options: Options, interruption: Interruption) -> [BatchSummary.PartitionResult] {
        let next = Shared(0)
        let results = Shared([BatchSummary.PartitionResult?](repeating: nil, count: partitions.count))
        let children = Shared(Set<pid_t>())
        interruption.onInterrupt {
            for pid in children.withLock({ $0 }) { kill(-pid, SIGTERM) }
        }
        defer { interruption.onInterrupt(nil) }
        let total = partitions.count
        let done = Shared(0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.workers, total))) { _ in
            while !interruption.happened {
                let index = next.withLock { value -> Int in defer { value += 1 }; return value }
                guard index < total else { return }
                let partition = partitions[index]
                let result = score(partition, job: job, spec: spec, modelPath: modelPath, version: version, retries: options.retries,
                                   interruption: interruption, children: children)
                results.withLock { $0[index] = result }
                let finished = done.withLock { value -> Int in value += 1; return value }
                registry.reporter.progress("score: \(partition.name) \(result.status.rawValue) (\(finished)/\(total))\(result.reason.map { ": " + $0 } ?? "")")
            }
        }
        return results.withLock { $0 }.enumerated().map { index, result in
            result ?? BatchSummary.PartitionResult(partitions[index], output: job.outputPath(partitions[index]), status: .pending, attempts: 0, seconds: 0,
                                                   reason: nil)
        }
    }

    /// Scores one partition: skipped when its output is there, refused when its rows are bad, else run and
    /// checked (as many output rows as input rows), with `retries` more attempts on failure.
    private func score(_ partition: ScorePartition, job: ScoreJob, spec: ScoringSpec, modelPath: String, version: ModelVersion, retries: Int,
                       interruption: Interruption, children: Shared<Set<pid_t>>) -> BatchSummary.PartitionResult {
        let final = job.outputPath(partition)
        func result(_ status: BatchSummary.Status, attempts: Int, seconds: Double, reason: String?) -> BatchSummary.PartitionResult {
            BatchSummary.PartitionResult(partition, output: final, status: status, attempts: attempts, seconds: seconds, reason: reason)
        }
        if FileManager.default.fileExists(atPath: final) { return result(.skipped, attempts: 0, seconds: 0, reason: nil) }
        if let problem = partition.problem { return result(.failed, attempts: 0, seconds: 0, reason: problem) }
        var reason = ""
        for attempt in 1...(1 + retries) {
            guard !interruption.happened else { return result(.pending, attempts: attempt - 1, seconds: 0, reason: nil) }
            let started = Date()
            do {
                let inputPart = try job.writeInput(partition)
                let outputPart = job.scratch + "/out/\(partition.name).\(partition.format.fileExtension)"
                try? FileManager.default.removeItem(atPath: outputPart)
                let command = spec.command.substituting(["model": modelPath, "input": inputPart, "output": outputPart])
                let directory = spec.workingDirectory.isEmpty ? registry.workspace.root : registry.workspace.root + "/" + spec.workingDirectory
                var environment = ProcessInfo.processInfo.environment
                environment["MLGATE_MODEL_URI"] = version.uri
                environment["MLGATE_MODEL_VERSION"] = String(version.version)
                environment["MLGATE_PARTITION"] = partition.name
                let child = try ChildProcess(argv: command.argv, directory: directory, environment: environment.map { "\($0.key)=\($0.value)" }.sorted())
                children.withLock { _ = $0.insert(child.pid) }
                var tail: [String] = []
                child.readLines { line in
                    tail.append(line)
                    if tail.count > 5 { tail.removeFirst() }
                }
                let status = child.wait()
                children.withLock { _ = $0.remove(child.pid) }
                if interruption.happened { return result(.pending, attempts: attempt, seconds: 0, reason: nil) }
                guard status == 0 else {
                    throw EnvironmentError("the score command exited with status \(status)\(tail.isEmpty ? "" : ": " + tail.joined(separator: " | "))")
                }
                try job.publish(outputPart, as: final, partition: partition, uri: version.uri)
                try? FileManager.default.removeItem(atPath: inputPart)
                return result(.scored, attempts: attempt, seconds: Date().timeIntervalSince(started), reason: nil)
            } catch {
                reason = String(describing: error)
            }
        }
        return result(.failed, attempts: 1 + retries, seconds: 0, reason: "\(partition.file) rows from line \(partition.firstLine): \(reason)")
    }

}

/// A value several threads read and change under a lock.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ initial: Value) { value = Mutex(initial) }

    /// Runs `body` with the value, holding the lock.
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { value.withLock { body(&$0) } }
}

// The workers share the scorer only to read the workspace's root and reporter and to start processes; the
// registry's store is not touched from them.
extension BatchScoring: @unchecked Sendable {}
