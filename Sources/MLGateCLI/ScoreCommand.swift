import ArgumentParser
import Foundation
import MLGateBatch
import MLGateCore
import MLGatePipeline
import MLGateRegistry

/// `mlgate score`: batch scoring with a registered version.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score files of rows with a registered model version, in resumable partitions.",
        discussion: """
            Splits the input (a CSV, TSV, JSON Lines or .npy file, or a folder of them) into partitions of --rows \
            rows, and runs the model's 'score' command from mlgate.yaml on each, --workers at a time, with {model} \
            the version's artifact, {input} the partition (a CSV keeps its header) and {output} the file to write: \
            one row per input row, in order. Each output, OUTPUT/part-NNNNN.<ext>, gets a model_uri column and \
            appears only once it is complete, so after a crash, a kill or Ctrl-C the same command scores only what \
            is missing. A partition with a ragged row fails naming its file and line; the others go on. A failed \
            command is retried (--retries), then reported by name. OUTPUT/score.json has the summary.

            Exit codes: 0 every partition scored, 1 some failed, 2 bad input or an OUTPUT holding another job, \
            3 environment, 130 interrupted (run the same command again to resume).

            Examples:
              mlgate score churn@production --input data/today.csv --output scored/today
              mlgate score churn/3 --input exports/ --output scored/ --workers 4 --rows 50000
            """
    )

    @Argument(help: "The version: NAME/N, NAME@ALIAS, NAME@STAGE or a models:/ URI.")
    var model: String

    @Option(help: "A .csv, .tsv, .jsonl or .npy file, or a folder of them.")
    var input: String

    @Option(help: "The folder to write the scored partitions and score.json into (empty, or one this job wrote).")
    var output: String

    @Option(help: "Partitions scored at once.")
    var workers: Int = 2

    @Option(help: "Rows per partition (a .npy file is one partition).")
    var rows: Int = 10_000

    @Option(help: "Further attempts of a partition whose command fails.")
    var retries: Int = 2

    @Flag(help: "Print the summary as JSON (the shape of score.json, docs/json.md).")
    var json = false

    func validate() throws {
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be from 1 to 64.") }
        guard rows >= 1 else { throw ValidationError("--rows must be 1 or more.") }
        guard (0...10).contains(retries) else { throw ValidationError("--retries must be from 0 to 10.") }
    }

    func run() throws {
        var options = BatchScoring.Options(model: model, input: input, output: output)
        options.workers = workers
        options.rowsPerPartition = rows
        options.retries = retries
        let interruption = Interruption()
        interruption.arm()
        let summary = try BatchScoring(registry: try RegistryContext.current()).run(options, interruption: interruption)
        if json {
            try Output.json(summary)
        } else {
            print("\(summary.version.uri): \(summary.count(.scored)) partitions scored, \(summary.count(.skipped)) already scored, "
                  + "\(summary.failed.count) failed, \(summary.count(.pending)) left (\(summary.partitions.compactMap(\.rows).reduce(0, +)) rows) → \(output)")
            for failure in summary.failed { print("failed \(failure.name): \(failure.reason ?? "")") }
        }
        if summary.interrupted { throw ExitCode(130) }
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}
