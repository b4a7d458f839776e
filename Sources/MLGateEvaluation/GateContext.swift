import Foundation
import MLGateConfig
package import MLGateCore
import MLGateEval
import MLGatePipeline
package import MLGateRegistry
import MLGateStore
import MLGateSystem
import MLGateWorkspace

/// Everything a gate needs: the model's spec, the store, the workspace; and the judging itself.
package struct GateContext {
    package let registry: RegistryContext
    package let spec: ModelSpec
    package let evaluation: EvaluationSpec

    /// The gate of `model`, as mlgate.yaml declares it, judged with `registry`'s store and workspace.
    package init(model: String, registry: RegistryContext) throws {
        self.registry = registry
        guard let spec = try registry.workspace.configuration().models.first(where: { $0.name == model }) else {
            throw UsageError("model '\(model)' is not declared under 'models:' in mlgate.yaml; the gate needs its 'evaluate' and 'promotion' (docs/registry.md).")
        }
        guard let evaluation = spec.evaluation else {
            throw UsageError("model '\(model)' has no 'evaluate' section in mlgate.yaml saying how its predictions are made.")
        }
        self.spec = spec
        self.evaluation = evaluation
    }

    package func judge(candidateRun: Int?, candidatePredictions: String?, championURI: String?, championPredictions: String?) throws -> Verdict {
        try judgeWithCurves(candidateRun: candidateRun, candidatePredictions: candidatePredictions, championURI: championURI,
                            championPredictions: championPredictions, drawing: false).verdict
    }

    /// The verdict and, when `drawing`, the candidate's and the champion's ROC and precision–recall curves on the rows
    /// it judged (a binary model's; none for other tasks, or when the rows hold one class only), for the HTML report.
    package func judgeWithCurves(candidateRun: Int?, candidatePredictions: String?, championURI: String?,
                                 championPredictions: String?, drawing: Bool = true) throws -> (verdict: Verdict, curves: [RankingCurves]) {
        let (verdict, inputs) = try evaluate(candidateRun: candidateRun, candidatePredictions: candidatePredictions, championURI: championURI,
                                             championPredictions: championPredictions)
        guard drawing, try task() == .binary else { return (verdict, []) }
        var curves = [RankingCurves(role: "candidate", name: verdict.candidate.name, inputs: inputs, scores: inputs.candidate.columns[0])]
        if let champion = inputs.baseline {
            curves.append(RankingCurves(role: "champion", name: verdict.champion?.name ?? "champion", inputs: inputs, scores: champion.columns[0]))
        }
        return (verdict, curves.compactMap { $0 })
    }

    /// Judges the candidate; returns the verdict and the rows it was judged on.
    private func evaluate(candidateRun: Int?, candidatePredictions: String?, championURI: String?,
                          championPredictions: String?) throws -> (verdict: Verdict, inputs: EvalInputs) {
        // The candidate.
        var candidateArtifact: String?
        var candidateMetricsFromRun: [String: Double] = [:]
        let candidateFile: String
        if let file = candidatePredictions {
            candidateFile = file
        } else {
            let artifact = try candidateArtifactHash(run: candidateRun, metrics: &candidateMetricsFromRun)
            candidateArtifact = artifact
            candidateFile = try predictions(for: artifact, label: "candidate")
        }
        // The champion: an explicit URI, else the promotion's stage or alias.
        let champion = try championURI.map { try registry.store.resolve(try ModelURI(parsing: $0)) } ?? self.champion()
        if champion == nil, championURI == nil, championPredictions == nil, !spec.lifecycle.stages.contains(spec.promotion.champion),
           try !registry.store.versions(model: spec.name).isEmpty {
            throw UsageError("promotion.champion of model '\(spec.name)' is '\(spec.promotion.champion)', which is neither one of its lifecycle stages (\(spec.lifecycle.stages.joined(separator: ", "))) nor one of its aliases; fix mlgate.yaml.")
        }
        let championFile: String? = try championPredictions ?? champion.map { try predictions(for: $0.artifact, label: "champion \($0.uri)") }
        let inputs = try self.inputs(candidate: candidateFile, champion: championFile)
        let task = try self.task()
        let candidateMetrics = try ModelMetrics.compute(task: task, inputs: inputs, scores: inputs.candidate, threshold: 0.5).values
        let championMetrics = try inputs.baseline.map { try ModelMetrics.compute(task: task, inputs: inputs, scores: $0, threshold: 0.5).values }
        var results: [CriterionResult] = []
        for (index, criterion) in spec.promotion.criteria.enumerated() {
            let before = results.count
            if let source = criterion.source {
                let value = candidateMetricsFromRun[criterion.metric] ?? (try? MetricsReader.numbers(file: source, root: registry.workspace.root))?
                    .first { $0.name == criterion.metric }?.value
                let championValue = champion?.run.flatMap { try? registry.store.run($0) }??.metrics[criterion.metric]
                results.append(GateRules.judge(criterion, candidate: value, champion: championValue, test: nil, n: inputs.rowCount))
            } else if let column = criterion.slice {
                results += try sliceResults(criterion, column: column, candidateFile: candidateFile, championFile: championFile, task: task)
            } else {
                // A test that cannot be computed on these rows fails its criterion (GateRules says so); it does not stop the gate.
                let test = criterion.test.flatMap { spec in
                    inputs.baseline.flatMap { _ in try? evidence(spec, metric: criterion.metric, higherIsBetter: criterion.higherIsBetter, inputs: inputs, task: task) } ?? nil
                }
                results.append(GateRules.judge(criterion, candidate: candidateMetrics[criterion.metric]?.number,
                                               champion: championMetrics?[criterion.metric]?.number, test: test, n: inputs.rowCount))
            }
            if results.count == before {
                // A per-slice criterion with no slice large enough cannot be judged: it fails, saying why.
                results.append(CriterionResult(criterion: criterion.summary, metric: criterion.metric, passed: false, candidate: nil, champion: nil,
                                               difference: nil, test: nil, n: inputs.rowCount,
                                               reasons: ["no \(criterion.slice ?? "slice") value has the \(criterion.minimumRows) rows needed to judge it"]))
            }
            for position in before..<results.count { results[position].index = index }
        }
        let passed = GateRules.overall(results, requireAll: spec.promotion.requireAll)
        let firstModel = championFile == nil
        func side(_ name: String, _ artifact: String?, _ file: String, _ metrics: [String: MetricValue]) -> Verdict.Side {
            Verdict.Side(name: name, artifact: artifact, predictions: file, metrics: metrics.mapValues { $0.number })
        }
        let verdict = Verdict(
            model: spec.name, passed: passed, require: spec.promotion.requireAll ? "all" : "any", firstModel: firstModel,
            note: firstModel ? "no champion yet ('\(spec.promotion.champion)' holds no version): judged on its floors and ceilings alone" : nil,
            candidate: side(candidateRun.map { "run \($0)" } ?? (candidatePredictions == nil ? "worktree" : "predictions"), candidateArtifact, candidateFile, candidateMetrics),
            champion: championFile.map { file in
                championPredictions == nil ? side(champion?.uri ?? "predictions", champion?.artifact, file, championMetrics ?? [:])
                                           : side("predictions", nil, file, championMetrics ?? [:])
            },
            rows: inputs.rowCount, criteria: results,
            reproduce: Self.reproduceCommand(model: spec.name, candidateRun: candidateRun, candidatePredictions: candidatePredictions,
                                             champion: championPredictions == nil ? champion?.uri : nil, championPredictions: championPredictions))
        return (verdict, inputs)
    }

    /// `mlgate gate` with the candidate and the champion this verdict judged, by run, version or file: the
    /// champion pinned to its version (not the stage, which moves), so the line judges the same pair later.
    package static func reproduceCommand(model: String, candidateRun: Int?, candidatePredictions: String?, champion: String?,
                                 championPredictions: String?) -> String {
        var words = ["mlgate", "gate", model]
        if let candidateRun { words += ["--candidate", String(candidateRun)] }
        if let candidatePredictions { words += ["--candidate-predictions", candidatePredictions] }
        if let champion { words += ["--champion", champion] }
        if let championPredictions { words += ["--champion-predictions", championPredictions] }
        return StageCommand.arguments(words).display
    }

    private func task() throws -> EvalTask {
        guard let task = EvalTask(rawValue: evaluation.task) else { throw UsageError("unknown task '\(evaluation.task)'.") }
        return task
    }

    /// The candidate artifact's object hash: a run's output, or the worktree's artifact stored now.
    package func candidateArtifactHash(run: Int?, metrics: inout [String: Double]) throws -> String {
        guard let artifact = spec.artifact else {
            throw UsageError("model '\(spec.name)' has no 'artifact' in mlgate.yaml; give --candidate-predictions, or declare which output is the model.")
        }
        if let run {
            let version = try registry.versionFromRun(run, model: spec.name, artifact: artifact.path)
            metrics = (try registry.store.run(run))?.metrics ?? [:]
            return version.artifact
        }
        let full = registry.workspace.root + "/" + artifact.path
        guard FileManager.default.fileExists(atPath: full) else {
            throw UsageError("the artifact \(artifact.path) does not exist; run the pipeline ('mlgate run') or give --candidate RUN.")
        }
        return try registry.versionFromPath(full).artifact
    }

    /// Predictions for an artifact, made with the model's `evaluate` command on its data and cached by
    /// (artifact hash, data and command hash) under `.mlgate/cache/predictions/`.
    package func predictions(for artifact: String, label: String) throws -> String {
        let root = registry.workspace.root
        var key = "command \(evaluation.command.display)\nwdir \(evaluation.workingDirectory)\n"
        for data in evaluation.data {
            guard let hashed = try FileHasher(store: registry.store).hash(data, root: root) else {
                throw UsageError("the evaluation data \(data.path) of model '\(spec.name)' does not exist.")
            }
            key += "data \(hashed.path) \(hashed.hash)\n"
        }
        let cacheDirectory = registry.workspace.layout.directory + "/cache/predictions"
        try FileAccess.createDirectory(cacheDirectory)
        let cached = cacheDirectory + "/\(artifact.prefix(16))-\(ContentHash.of(Array(key.utf8)).prefix(16)).csv"
        if FileManager.default.fileExists(atPath: cached) { return cached }
        let name = (spec.artifact?.path as NSString?)?.lastPathComponent ?? "model"
        try registry.withCheckout(artifact, named: name) { work, modelPath in
            let output = work + "/predictions.csv"
            let command = evaluation.command.substituting(["model": modelPath, "predictions": output])
            let directory = evaluation.workingDirectory.isEmpty ? root : root + "/" + evaluation.workingDirectory
            registry.reporter.progress("evaluating the \(label) (\(artifact.prefix(12))): \(command.display)")
            let status = try LocalExecutor().execute(argv: command.argv, directory: directory, environment: ProcessInfo.processInfo.environment,
                                                     interruption: Interruption()) { registry.reporter.progress("[evaluate] \($0)") }
            guard status == 0, FileManager.default.fileExists(atPath: output) else {
                throw EnvironmentError("the evaluate command of model '\(spec.name)' \(status == 0 ? "did not write {predictions}" : "exited with status \(status)") for the \(label); fix it and run the gate again.")
            }
            try AtomicFile.write(try FileAccess.readText(output), to: cached)
        }
        return cached
    }

    /// The paired test of a criterion, oriented so that positive means the candidate is better.
    private func evidence(_ test: StatisticalTest, metric: String, higherIsBetter: Bool, inputs: EvalInputs, task: EvalTask) throws -> TestEvidence? {
        guard let baseline = inputs.baseline else { return nil }
        let level = 1 - 2 * test.alpha
        let shift = test.kind == .nonInferiority ? test.margin : 0
        switch test.name {
        case "delong":
            guard let result = try? inputs.delong(level: level) else { return nil }
            var p: Double?
            if let z = result.z, z != 0 {
                let standardError = result.estimate / z
                p = 0.5 * erfc(((result.estimate + shift) / standardError) / 2.0.squareRoot())
            }
            return TestEvidence(test: "delong", estimate: result.estimate, lower: result.confidenceInterval.lowerBound,
                                upper: result.confidenceInterval.upperBound, level: level, pValue: p, n: result.count)
        case "mcnemar":
            let result = try McNemarTest(labels: inputs.labels.map { UInt8($0) }, candidate: inputs.candidate.columns[0], baseline: baseline.columns[0])
            let n = Double(result.count)
            let b = Double(result.candidateOnlyCorrect), c = Double(result.baselineOnlyCorrect)
            let estimate = (b - c) / n
            let standardError = ((b + c) - (b - c) * (b - c) / n).squareRoot() / n
            let z = Normal.quantile(1 - test.alpha)
            let oneSided = b > c ? result.pValue / 2 : 1 - result.pValue / 2
            // The decision follows the exact or corrected test: the bound is moved to zero when the p-value says so.
            var lower = estimate - z * standardError
            if oneSided < test.alpha { lower = max(lower, Double.ulpOfOne) } else { lower = min(lower, 0) }
            return TestEvidence(test: "mcnemar", estimate: estimate, lower: lower, upper: estimate + z * standardError, level: level,
                                pValue: oneSided, n: result.count)
        default:
            let intervals = try BootstrapIntervals(task: task, inputs: inputs, metrics: [metric], threshold: 0.5, resamples: test.resamples,
                                                   seed: 0, level: level)
            guard let difference = intervals.difference[metric] else { return nil }
            let candidateValue = try ModelMetrics.compute(task: task, inputs: inputs, scores: inputs.candidate, threshold: 0.5).values[metric]?.number
            let baselineValue = try ModelMetrics.compute(task: task, inputs: inputs, scores: baseline, threshold: 0.5).values[metric]?.number
            guard let candidateValue, let baselineValue else { return nil }
            let estimate = higherIsBetter ? candidateValue - baselineValue : baselineValue - candidateValue
            let lower = higherIsBetter ? difference.lowerBound : -difference.upperBound
            let upper = higherIsBetter ? difference.upperBound : -difference.lowerBound
            return TestEvidence(test: "bootstrap", estimate: estimate, lower: lower, upper: upper, level: level, pValue: nil, n: inputs.rowCount)
        }
    }

    /// A criterion judged on every slice with enough rows.
    private func sliceResults(_ criterion: Criterion, column: String, candidateFile: String, championFile: String?, task: EvalTask) throws -> [CriterionResult] {
        let inputs = try self.inputs(candidate: candidateFile, champion: championFile, slice: column)
        guard let values = inputs.slices else { return [] }
        var rowsByValue: [String: [Int]] = [:]
        for (row, value) in values.enumerated() { rowsByValue[value, default: []].append(row) }
        var results: [CriterionResult] = []
        for (value, rows) in rowsByValue.sorted(by: { $0.key < $1.key }) where rows.count >= criterion.minimumRows {
            let candidate = try ModelMetrics.compute(task: task, inputs: inputs, scores: inputs.candidate, threshold: 0.5, subset: rows).values
            let champion = try inputs.baseline.map { try ModelMetrics.compute(task: task, inputs: inputs, scores: $0, threshold: 0.5, subset: rows).values }
            var withoutTest = criterion
            withoutTest.test = nil
            var result = GateRules.judge(withoutTest, candidate: candidate[criterion.metric]?.number, champion: champion?[criterion.metric]?.number,
                                         test: nil, n: rows.count, slice: "\(column)=\(value)")
            result.criterion = criterion.summary
            results.append(result)
        }
        return results
    }
}

extension GateContext {
    /// The rows a gate judges: the candidate's predictions, the champion's joined by id (their labels must match).
    private func inputs(candidate: String, champion: String?, slice: String? = nil) throws -> EvalInputs {
        try EvalInputs(.init(task: try task(), predictions: candidate, label: evaluation.label, scores: evaluation.scores,
                             id: champion == nil ? nil : evaluation.id, weight: nil, baselineScores: [],
                             baselineFile: champion, slice: slice, positiveLabel: nil, baselineLabelsMustMatch: true))
    }

    /// Predictions for a run number, a model URI or a file.
    package func predictionsFile(for reference: String) throws -> String {
        if FileManager.default.fileExists(atPath: reference) { return reference }
        if let run = Int(reference) {
            var metrics: [String: Double] = [:]
            return try predictions(for: try candidateArtifactHash(run: run, metrics: &metrics), label: "run \(run)")
        }
        let version = try registry.store.resolve(try ModelURI(parsing: reference))
        return try predictions(for: version.artifact, label: version.uri)
    }

    /// The champion: the version in the promotion's stage, else the one its alias names.
    package func champion() throws -> ModelVersion? {
        if let inStage = try registry.store.version(model: spec.name, inStage: spec.promotion.champion) { return inStage }
        return try? registry.store.resolve(ModelURI(name: spec.name, selector: .alias(spec.promotion.champion)))
    }
}
