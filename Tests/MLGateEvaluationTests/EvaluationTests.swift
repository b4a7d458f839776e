import Foundation
import MLGateCore
@testable import MLGateEvaluation
import MLGateRegistry
import MLGateServiceTestSupport
import Testing
import MLGateWorkspace
import MLGateEval

/// Predictions where the candidate ranks every positive above every negative and the champion does not.
private func predictions(rows: Int, perfect: Bool) -> String {
    var text = "id,label,score\n"
    for row in 0..<rows {
        let label = row % 2
        let score = perfect ? (label == 1 ? 0.9 : 0.1) - Double(row) * 1e-5 : Double((row * 37) % 100) / 100
        text += "r\(row),\(label),\(score)\n"
    }
    return text
}

@Suite("MLGateEvaluation: eval inputs, metrics, reports and the gate, in process")
struct EvaluationTests {
    static let configuration = """
        version: 1
        models:
          toy:
            evaluate:
              cmd: cp {model} {predictions}
              task: binary
              columns: {id: id, label: label, score: score}
            promotion:
              champion: production
              criteria:
                - {metric: roc_auc, min: 0.8}
                - {metric: roc_auc, test: {name: delong, alpha: 0.05, kind: superiority}}
        """

    @Test("inputs, metrics and the report: a perfect ranking has AUC 1 and every requested part is present")
    func report() throws {
        let fixture = try ServiceFixture(configuration: "version: 1\n", files: ["p.csv": predictions(rows: 200, perfect: true)])
        defer { fixture.remove() }
        let inputs = try EvalInputs(.init(task: .binary, predictions: fixture.root + "/p.csv", label: "label", scores: ["score"], id: nil, weight: nil,
                                          baselineScores: [], baselineFile: nil, slice: nil, positiveLabel: nil))
        #expect(inputs.rowCount == 200)
        let metrics = try ModelMetrics.compute(task: .binary, inputs: inputs, scores: inputs.candidate, threshold: 0.5)
        #expect(metrics.values["roc_auc"]?.number == 1)
        #expect(metrics.values["accuracy"]?.number == 1)
        let report = try EvalReportBuilder(options: .init(predictions: "p.csv", bootstrap: 50, curves: true), task: .binary,
                                           names: ["roc_auc", "accuracy"], inputs: inputs)
            .report(candidate: metrics, baseline: nil)
        #expect(report.rows == 200)
        #expect(report.bootstrap.value?.resamples == 50)
        #expect(report.curves.value != nil)
        #expect(report.comparison.value == nil)
    }

    @Test("a ragged predictions file is refused naming the file and line")
    func refusal() throws {
        let fixture = try ServiceFixture(configuration: "version: 1\n", files: ["p.csv": "label,score\n1,0.5\n0\n"])
        defer { fixture.remove() }
        do {
            _ = try EvalInputs(.init(task: .binary, predictions: fixture.root + "/p.csv", label: "label", scores: ["score"], id: nil, weight: nil,
                                     baselineScores: [], baselineFile: nil, slice: nil, positiveLabel: nil))
            Issue.record("a ragged file was read")
        } catch {
            #expect("\(error)".contains("p.csv:3"))
        }
    }

    @Test("the gate judges a candidate against a champion from predictions files: each criterion with its evidence")
    func gate() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration, files: [
            "candidate.csv": predictions(rows: 400, perfect: true), "champion.csv": predictions(rows: 400, perfect: false),
        ])
        defer { fixture.remove() }
        let registry = RegistryContext(workspace: fixture.workspace, store: try fixture.store())
        let gate = try GateContext(model: "toy", registry: registry)
        let verdict = try gate.judge(candidateRun: nil, candidatePredictions: fixture.root + "/candidate.csv", championURI: nil,
                                     championPredictions: fixture.root + "/champion.csv")
        #expect(verdict.passed)
        #expect(verdict.rows == 400)
        #expect(verdict.criteria.count == 2)
        #expect(verdict.criteria[1].test?.test == "delong")
        #expect(verdict.reproduce.contains("--candidate-predictions"))
        let reversed = try gate.judge(candidateRun: nil, candidatePredictions: fixture.root + "/champion.csv", championURI: nil,
                                      championPredictions: fixture.root + "/candidate.csv")
        #expect(!reversed.passed)
        #expect(VerdictReport.markdown(reversed).contains("failed"))
        #expect(VerdictReport.junit([reversed]).contains("<failure"))
    }

    @Test("a model the configuration does not declare is refused by name")
    func unknownModel() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration)
        defer { fixture.remove() }
        let registry = RegistryContext(workspace: fixture.workspace, store: try fixture.store())
        #expect(throws: UsageError.self) { _ = try GateContext(model: "other", registry: registry) }
    }
}
