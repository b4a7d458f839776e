import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateConfig
import MLGateCore
import MLGateEvaluation
import MLGateEvaluation
import MLGateWorkspace
import MLGateEval
import MLGateSystem
import MLGateHooks
import MLGateStore

/// `mlgate gate`: judge a candidate against the model's promotion criteria and its champion.
struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Judge a candidate model against its promotion criteria and the champion, on the same rows.",
        discussion: """
            The model's 'evaluate' in mlgate.yaml says how predictions are made for any artifact and which \
            columns hold the id, label and score; 'promotion' lists the criteria and names the champion (a \
            lifecycle stage or an alias). The candidate is a run's output (--candidate RUN), or the artifact in \
            the worktree. The champion's predictions are made with the same command on the same data (cached by \
            model and data hash); predictions whose ids or labels differ are refused. With no champion yet, the \
            candidate is judged on its floors and ceilings alone, and the verdict says so. Exit 0 when the gate \
            passes, 1 when it does not. Registering the candidate afterwards ('mlgate models register --run') \
            attaches the verdict.
            """
    )

    @Argument(help: "The model, as declared under 'models:' in mlgate.yaml.")
    var model: String

    @Option(help: "The run whose output is the candidate (default: the artifact in the worktree).")
    var candidate: Int?

    @Option(help: "Use these predictions for the candidate instead of running 'evaluate'.")
    var candidatePredictions: String?

    @Option(help: "The champion (a models:/ URI, NAME/N or NAME@ALIAS; default: the 'champion' of the model's promotion).")
    var champion: String?

    @Option(help: "Use these predictions for the champion instead of running 'evaluate'.")
    var championPredictions: String?

    @Flag(help: "Print the verdict as JSON (shape in docs/json.md).")
    var json = false

    @Option(help: "Also write the verdict as JUnit XML, one test case per criterion.")
    var junit: String?

    @Option(help: "Also write the verdict as a Markdown summary.")
    var markdown: String?

    @Option(help: ArgumentHelp("Also write the verdict as one self-contained HTML page: the candidate's and the champion's ROC and precision–recall curves, each criterion's evidence and interval, the slices.", valueName: "file"))
    var html: String?

    func run() throws {
        let context = try GateContext(model: model, registry: try RegistryContext.current())
        let (verdict, curves) = try context.judgeWithCurves(candidateRun: candidate, candidatePredictions: candidatePredictions,
                                                            championURI: champion, championPredictions: championPredictions, drawing: html != nil)
        let text = try Output.jsonText(verdict)
        try context.registry.store.recordVerdict(model: model, candidateArtifact: verdict.candidate.artifact ?? "", champion: verdict.champion?.name,
                                                 passed: verdict.passed, json: text)
        if let junit { try AtomicFile.write(VerdictReport.junit([verdict]), to: junit) }
        if let markdown { try AtomicFile.write(VerdictReport.markdown(verdict), to: markdown) }
        if let html { try AtomicFile.write(VerdictPage.html(verdict, curves: curves), to: html) }
        if json { print(text) } else { print(VerdictReport.text(verdict)) }
        if !verdict.passed { throw ExitCode(1) }
    }
}

