import Foundation
import MLGateTestSupport
import Testing

/// A temporary directory with files, and the environment to run mlgate in it.
private struct Workspace {
    let fixture: GitFixture
    var directory: String { fixture.base }

    init() throws { fixture = try GitFixture() }

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func eval(_ arguments: [String]) throws -> ProcessResult {
        try fixture.mlgate(["eval"] + arguments, in: directory)
    }

    func evalJSON(_ arguments: [String]) throws -> [String: Any] {
        let result = try eval(arguments + ["--json"])
        guard result.status == 0 else { throw TestSupportError("eval failed: \(result)") }
        return try jsonObject(result.stdout)
    }
}

private func metric(_ report: [String: Any], _ name: String, _ key: String = "metrics") -> Double? {
    (report[key] as? [String: Any])?[name] as? Double
}

@Suite("mlgate eval end to end")
struct EvalTests {
    @Test("binary: scikit-learn's documented example, undefined metrics named, exit 0")
    func binaryExample() throws {
        let space = try Workspace()
        defer { space.fixture.remove() }
        _ = try space.write("p.csv", "label,score\n0,0.1\n0,0.4\n1,0.35\n1,0.8\n")
        let report = try space.evalJSON(["--task", "binary", "--predictions", "p.csv", "--label", "label", "--score", "score",
                                         "--metrics", "roc_auc,average_precision,accuracy,precision"])
        #expect(metric(report, "roc_auc") == 0.75)
        #expect(abs((metric(report, "average_precision") ?? 0) - 0.8333333333333333) < 1e-15)
        #expect(metric(report, "accuracy") == 0.75)
        #expect(report["rows"] as? Int == 4)
        let table = try space.eval(["--task", "binary", "--predictions", "p.csv", "--label", "label", "--score", "score"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("roc_auc") && table.stdout.contains("0.75"))
    }

    @Test("a baseline column and a baseline file joined on ids agree; DeLong and McNemar are reported")
    func baselines() throws {
        let space = try Workspace()
        defer { space.fixture.remove() }
        var rows = ["id,label,score,champion"], baselineRows = ["id,champion"]
        var random = SystemRandomNumberGenerator()
        var generated: [(Int, Int, Double, Double)] = []
        for id in 0..<300 {
            let label = Int.random(in: 0...1, using: &random)
            let score = min(1, max(0, 0.3 + 0.4 * Double(label) + Double.random(in: -0.3...0.3, using: &random)))
            let champion = min(1, max(0, 0.4 + 0.2 * Double(label) + Double.random(in: -0.3...0.3, using: &random)))
            generated.append((id, label, score, champion))
            rows.append("\(id),\(label),\(score),\(champion)")
        }
        for (id, _, _, champion) in generated.reversed() { baselineRows.append("r\(id),\(champion)") }
        _ = try space.write("p.csv", rows.joined(separator: "\n") + "\n")
        _ = try space.write("ids.csv", (["id,label,score"] + generated.map { "r\($0.0),\($0.1),\($0.2)" }).joined(separator: "\n") + "\n")
        _ = try space.write("champion.csv", baselineRows.joined(separator: "\n") + "\n")
        let sameFile = try space.evalJSON(["--task", "binary", "--predictions", "p.csv", "--label", "label", "--score", "score", "--baseline-score", "champion"])
        let joined = try space.evalJSON(["--task", "binary", "--predictions", "ids.csv", "--label", "label", "--score", "score",
                                         "--baseline", "champion.csv", "--baseline-score", "champion", "--id", "id"])
        let comparison = try #require(sameFile["comparison"] as? [String: Any])
        let delong = try #require(comparison["delong"] as? [String: Any])
        #expect(delong["p_value"] is Double && (delong["ci"] as? [Double])?.count == 2)
        #expect(abs((delong["estimate"] as? Double ?? 0) - ((metric(sameFile, "roc_auc") ?? 0) - (metric(sameFile, "roc_auc", "baseline_metrics") ?? 0))) < 1e-15)
        #expect((comparison["mcnemar"] as? [String: Any])?["p_value"] is Double)
        #expect(metric(joined, "roc_auc", "baseline_metrics") == metric(sameFile, "roc_auc", "baseline_metrics"))
        #expect(((joined["comparison"] as? [String: Any])?["delong"] as? [String: Any])?["p_value"] as? Double == delong["p_value"] as? Double)
    }

    @Test("the bootstrap is deterministic for a seed")
    func bootstrapSeed() throws {
        let space = try Workspace()
        defer { space.fixture.remove() }
        let lines = (0..<200).map { "\($0 % 2),\(Double(($0 * 37) % 101) / 100)" }
        _ = try space.write("p.csv", "label,score\n" + lines.joined(separator: "\n") + "\n")
        let arguments = ["--task", "binary", "--predictions", "p.csv", "--label", "label", "--score", "score", "--bootstrap", "100", "--metrics", "roc_auc,f1"]
        let first = try space.evalJSON(arguments + ["--seed", "7"])
        let again = try space.evalJSON(arguments + ["--seed", "7"])
        let other = try space.evalJSON(arguments + ["--seed", "8"])
        let intervals = { (report: [String: Any]) in ((report["bootstrap"] as? [String: Any])?["intervals"] as? [String: [Double]]) }
        #expect(intervals(first) != nil)
        #expect(intervals(first) == intervals(again))
        #expect(intervals(first) != intervals(other))
    }

    @Test("multiclass from JSON Lines and regression from a directory of .npy columns")
    func multiclassAndRegression() throws {
        let space = try Workspace()
        defer { space.fixture.remove() }
        _ = try space.write("m.jsonl", """
            {"y": 0, "p0": 0.7, "p1": 0.2, "p2": 0.1}
            {"y": 1, "p0": 0.1, "p1": 0.8, "p2": 0.1}
            {"y": 2, "p0": 0.2, "p1": 0.2, "p2": 0.6}
            {"y": 1, "p0": 0.5, "p1": 0.3, "p2": 0.2}

            """)
        let multi = try space.evalJSON(["--task", "multiclass", "--predictions", "m.jsonl", "--label", "y", "--score", "p0", "--score", "p1", "--score", "p2"])
        #expect(metric(multi, "accuracy") == 0.75)
        #expect(metric(multi, "roc_auc_ovr") != nil)
        let directory = space.directory + "/cols"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func npy(_ values: [Double]) -> Data {
            var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(values.count),), }"
            while (11 + header.utf8.count) % 64 != 0 { header += " " }
            header += "\n"
            var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8))
            values.withUnsafeBytes { data.append(contentsOf: $0) }
            return data
        }
        try npy([1, 2, 3, 4]).write(to: URL(fileURLWithPath: directory + "/y.npy"))
        try npy([1, 2, 3, 5]).write(to: URL(fileURLWithPath: directory + "/yhat.npy"))
        let regression = try space.evalJSON(["--task", "regression", "--predictions", "cols", "--label", "y", "--score", "yhat"])
        #expect(metric(regression, "mse") == 0.25)
        #expect(metric(regression, "mae") == 0.25)
        #expect(metric(regression, "r2") == 0.8)
    }

    @Test("bad input: exit 2 with the file, line and column, and nothing written", arguments: [
        ("label,score\n0,0.1\n1,nan\n", [String](), "p.csv:3: column 'score': score is nan"),
        ("label,score\n0,0.1\n2,0.4\n", [], "p.csv:3: column 'label': label '2' is not 0 or 1"),
        ("label,prob\n0,0.1\n", [], "column 'score': no such column; the file has: label, prob."),
        ("label,score\n0,0.1\n1\n", [], "p.csv:3: this row has 1 field; the header has 2."),
        ("", [], "p.csv: the file is empty."),
        ("label,score\n0,1.5\n1,0.4\n", ["--metrics", "log_loss"], "log_loss cannot be computed: scores are not probabilities"),
        ("label,score\nyes,0.1\nno,0.4\n", [], "for text labels, say which one is positive with --pos-label"),
        ("label,score,id\n0,0.1,a\n1,0.4,a\n", ["--id", "id", "--baseline", "b.csv"], "p.csv:3: column 'id': id 'a' repeats"),
        ("label,score,id\n0,0.1,a\n1,0.4,z\n", ["--id", "id", "--baseline", "b.csv"], "p.csv:3: column 'id': id 'z' has no row in b.csv"),
    ])
    func refusals(text: String, extra: [String], message: String) throws {
        let space = try Workspace()
        defer { space.fixture.remove() }
        _ = try space.write("p.csv", text)
        _ = try space.write("b.csv", "id,score\na,0.2\nb,0.3\n")
        let before = try snapshot(of: space.directory)
        let result = try space.eval(["--task", "binary", "--predictions", "p.csv", "--label", "label", "--score", "score"] + extra)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try snapshot(of: space.directory) == before)
    }

    @Test("text labels with --pos-label; probabilities outside [0, 1] leave log loss undefined, with the reason")
    func textLabelsAndUndefined() throws {
        let space = try Workspace()
        defer { space.fixture.remove() }
        _ = try space.write("p.csv", "label,score\nyes,2.0\nno,-1\nyes,0.5\nno,0.1\n")
        let report = try space.evalJSON(["--task", "binary", "--predictions", "p.csv", "--label", "label", "--score", "score", "--pos-label", "yes"])
        #expect(metric(report, "roc_auc") == 1)
        #expect((report["metrics"] as? [String: Any])?["log_loss"] is NSNull)
        #expect(((report["undefined"] as? [String: String])?["log_loss"])?.contains("not probabilities") == true)
    }
}

@Suite("mlgate eval on the example project")
struct ExampleEvalTests {
    @Test("examples/churn: train, predict, and evaluate the predictions file it writes")
    func churn() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/churn").path
        let project = fixture.base + "/churn"
        try FileManager.default.copyItem(atPath: examples, toPath: project)
        for step in [["prepare.py"], ["train.py", "--data", "data/train.csv", "--out", "model/"],
                     ["predict.py", "--model", "model/", "--data", "data/test.csv", "--out", "predictions.csv"]] {
            let run = try runProcess("/usr/bin/env", ["python3"] + step, in: project, environment: fixture.environment)
            #expect(run.status == 0, "\(step): \(run)")
        }
        let result = try fixture.mlgate(["eval", "--task", "binary", "--predictions", "predictions.csv", "--label", "label",
                                         "--score", "score", "--slice", "region", "--json"], in: project)
        #expect(result.status == 0, "\(result)")
        let report = try jsonObject(result.stdout)
        let auc = (report["metrics"] as? [String: Any])?["roc_auc"] as? Double ?? 0
        #expect(auc > 0.7 && auc < 0.9)
        #expect(((report["slices"] as? [String: Any])?["groups"] as? [Any])?.count == 4)
    }
}

@Suite("mlgate eval: weights, classes and usage")
struct EvalOptionTests {
    @Test("weights change the metrics as scikit-learn's sample_weight does; zero weights drop rows")
    func weights() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.write(fixture.base + "/w.csv", "label,score,w\n0,0.1,1\n0,0.4,1\n1,0.35,0\n1,0.8,1\n")
        let result = try fixture.mlgate(["eval", "--task", "binary", "--predictions", "w.csv", "--label", "label", "--score", "score",
                                         "--weight", "w", "--metrics", "roc_auc,accuracy", "--json"], in: fixture.base)
        #expect(result.status == 0, "\(result)")
        let metrics = try jsonObject(result.stdout)["metrics"] as? [String: Any]
        #expect(metrics?["roc_auc"] as? Double == 1)  // the mis-ranked positive weighs nothing
        #expect(metrics?["accuracy"] as? Double == 1)
    }

    @Test("usage errors exit 2 before reading anything", arguments: [
        (["--task", "ranking"], "--task must be binary, multiclass or regression"),
        (["--task", "multiclass"], "multiclass needs one --score per class"),
        (["--task", "binary", "--metrics", "roc_auc,nope"], "unknown metric 'nope' for binary"),
        (["--task", "binary", "--ci", "1.5"], "--ci must be between 0 and 1"),
        (["--task", "binary", "--baseline", "other.csv"], "--baseline FILE needs --id COLUMN"),
    ])
    func usage(arguments: [String], message: String) throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        let result = try fixture.mlgate(["eval", "--predictions", "missing.csv", "--label", "y", "--score", "s"] + arguments, in: fixture.base)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("a multiclass label outside the classes names its line")
    func badClass() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.write(fixture.base + "/m.csv", "y,p0,p1\n0,0.6,0.4\n2,0.5,0.5\n")
        let result = try fixture.mlgate(["eval", "--task", "multiclass", "--predictions", "m.csv", "--label", "y", "--score", "p0", "--score", "p1"], in: fixture.base)
        #expect(result.status == 2)
        #expect(result.stderr.contains("m.csv:3: column 'y': label '2' is not a class 0…1"), "\(result.stderr)")
    }
}
