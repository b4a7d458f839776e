import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateEvaluation
import MLGateWorkspace
import MLGateSystem
import MLGateStore

/// `mlgate compare`: two models' metrics side by side on the same rows, with deltas, intervals and p-values.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two models on the same rows: metrics, differences, intervals and p-values.",
        discussion: """
            CANDIDATE and BASELINE are each a run number (its output is the model), a model URI \
            (models:/churn/3, churn@champion) or a predictions file. Runs and versions are scored with the \
            model's 'evaluate' command from mlgate.yaml (cached by model and data hash), so both sides are \
            scored on the same rows; their ids and labels must match. BASELINE defaults to the champion. The report \
            is 'mlgate eval' with a baseline: DeLong and McNemar for binary tasks, and bootstrap intervals \
            with --bootstrap.
            """
    )

    @Argument(help: "The candidate: a run number, a model URI or a predictions file.")
    var candidate: String

    @Argument(help: "The baseline (default: the champion of the model's promotion).")
    var baseline: String?

    @Option(help: "The model whose 'evaluate' scores runs and versions (default: the URI's model, or the only model declared).")
    var model: String?

    @Option(help: "Paired bootstrap resamples for intervals (0 for none).")
    var bootstrap: Int = 1000

    @Flag(help: "Print JSON (the shape of 'mlgate eval --json', docs/json.md).")
    var json = false

    func run() throws {
        let name = try modelName()
        let context = try GateContext(model: name, registry: try RegistryContext.current())
        let candidateFile = try context.predictionsFile(for: candidate)
        let baselineFile: String
        if let baseline {
            baselineFile = try context.predictionsFile(for: baseline)
        } else {
            guard let champion = try context.champion() else {
                throw UsageError("model '\(name)' has no champion ('\(context.spec.promotion.champion)' holds no version); name a BASELINE.")
            }
            baselineFile = try context.predictionsFile(for: champion.uri)
        }
        let evaluation = context.evaluation
        var arguments = ["--task", evaluation.task, "--predictions", candidateFile, "--label", evaluation.label]
        arguments += evaluation.scores.flatMap { ["--score", $0] }
        arguments += ["--id", evaluation.id, "--baseline", baselineFile, "--bootstrap", String(bootstrap), "--same-labels"]
        if json { arguments.append("--json") }
        let eval = try EvalCommand.parse(arguments)
        try eval.run()
    }

    private func modelName() throws -> String {
        if let model { return model }
        if !FileManager.default.fileExists(atPath: candidate), Int(candidate) == nil, let uri = try? ModelURI(parsing: candidate) { return uri.name }
        let models = try RegistryContext.current().workspace.configuration().models
        guard models.count == 1, let only = models.first else {
            throw UsageError("say which model scores these with --model NAME (mlgate.yaml declares \(models.count == 0 ? "none" : models.map(\.name).joined(separator: ", "))).")
        }
        return only.name
    }
}

