import Foundation
import MLGateTestSupport
import Testing

/// A repository whose model is a file `skill S`; `predict.sh` scores 600 fixed rows with AUC rising with S.
func gateRepository(criteria: String = defaultCriteria) throws -> GitFixture {
    let predict = #"""
        skill=$(awk '{print $2}' "$1")
        awk -v s="$skill" 'BEGIN { print "id,label,score,region";
          for (i = 1; i <= 600; i++) { label = (i * 7) % 10 < 3 ? 1 : 0; noise = ((i * 37) % 101) / 101;
            printf "r%d,%d,%.6f,%s\n", i, label, (label * s + noise) / (1 + s), (i % 2 ? "east" : "west") } }' > "$2"
        """#
    return try pipelineRepository("""
        version: 1
        stages:
          train: {cmd: 'printf "skill %s\\n" "$(cat skill.txt)" > model.txt', deps: [skill.txt], outs: [model.txt]}
        models:
          toy:
            artifact: model.txt
            evaluate:
              cmd: [sh, predict.sh, '{model}', '{predictions}']
              data: [predict.sh]
              task: binary
              columns: {id: id, label: label, score: score, slice: [region]}
            promotion:
              champion: production
              criteria:
        \(criteria)
            lifecycle:
              stages: [staging, production]
              production: {requires: {gate: passed}}
        """, files: ["skill.txt": "0.5\n", "predict.sh": predict + "\n"])
}

let defaultCriteria = """
            - {metric: roc_auc, min: 0.55}
            - {metric: roc_auc, test: {name: delong, alpha: 0.05, kind: non_inferiority, margin: 0.01}}
            - {metric: roc_auc, slice: region, min_rows: 100, min: 0.5}
    """

@Suite("mlgate gate")
struct GateTests {
    @Test("first model on floors alone; a worse candidate refused with its evidence; a better one passes and is promoted")
    func gateLoop() throws {
        let fixture = try gateRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        let junit = fixture.base + "/gate.xml", markdown = fixture.base + "/gate.md"
        let first = try fixture.mlgate(["gate", "toy", "--candidate", "1", "--json", "--junit", junit, "--markdown", markdown])
        #expect(first.status == 0, "\(first)")
        let verdict = try jsonObject(first.stdout)
        #expect(verdict["passed"] as? Bool == true && verdict["first_model"] as? Bool == true)
        #expect((verdict["note"] as? String)?.contains("no champion yet") == true)
        #expect((verdict["criteria"] as? [[String: Any]])?.count == 4)  // one floor, one test, two slices
        #expect(fixture.read(junit)?.components(separatedBy: "<testcase").count == 5)
        #expect(fixture.read(markdown)?.contains("✅ passed") == true)

        #expect(try fixture.mlgate(["models", "register", "toy", "--run", "1"]).status == 0)
        #expect(try fixture.mlgate(["promote", "toy", "1", "--to", "staging", "--reason", "first"]).status == 0)
        #expect(try fixture.mlgate(["promote", "toy", "1", "--to", "production", "--reason", "first"]).status == 0)

        try fixture.write("skill.txt", "0.1\n")
        #expect(try fixture.mlgate(["run"]).status == 0)
        let worse = try fixture.mlgate(["gate", "toy", "--candidate", "2", "--json", "--junit", junit])
        #expect(worse.status == 1, "\(worse)")
        let refused = try jsonObject(worse.stdout)
        #expect(refused["passed"] as? Bool == false && (refused["champion"] as? [String: Any])?["name"] as? String == "models:/toy/1")
        let tested = try #require((refused["criteria"] as? [[String: Any]])?.first { $0["test"] is [String: Any] })
        let test = try #require(tested["test"] as? [String: Any])
        #expect(tested["passed"] as? Bool == false && test["test"] as? String == "delong" && (test["estimate"] as? Double ?? 0) < 0)
        #expect((test["p_value"] as? Double).map { $0 > 0.05 } == true && test["n"] as? Int == 600)
        #expect(fixture.read(junit)?.contains("<failure") == true)
        // A failed verdict travels with the version: the lifecycle refuses production.
        #expect(try fixture.mlgate(["models", "register", "toy", "--run", "2"]).status == 0)
        #expect(try fixture.mlgate(["promote", "toy", "2", "--to", "staging", "--reason", "try"]).status == 0)
        let blocked = try fixture.mlgate(["promote", "toy", "2", "--to", "production", "--reason", "try"])
        #expect(blocked.status == 1 && blocked.stderr.contains("its gate verdict is 'failed'"), "\(blocked)")

        try fixture.write("skill.txt", "2.0\n")
        #expect(try fixture.mlgate(["run"]).status == 0)
        let better = try fixture.mlgate(["gate", "toy", "--candidate", "3"])
        #expect(better.status == 0 && better.stdout.contains("PASSED"), "\(better)")
        #expect(try fixture.mlgate(["models", "register", "toy", "--run", "3"]).status == 0)
        #expect(try fixture.mlgate(["promote", "toy", "3", "--to", "staging", "--reason", "better"]).status == 0)
        #expect(try fixture.mlgate(["promote", "toy", "3", "--to", "production", "--reason", "better"]).status == 0)
        let history = try jsonObject(try fixture.mlgate(["models", "history", "toy", "--json"]).stdout)["history"] as? [[String: Any]] ?? []
        #expect(history.filter { $0["action"] as? String == "promote" }.count == 5)
        // compare: a run against a version, and against the champion by default, on the same rows.
        let compared = try jsonObject(try fixture.mlgate(["compare", "2", "toy/3", "--bootstrap", "0", "--json"]).stdout)
        let delong = (compared["comparison"] as? [String: Any])?["delong"] as? [String: Any]
        #expect((delong?["estimate"] as? Double).map { $0 < 0 } == true && compared["rows"] as? Int == 600)
        let againstChampion = try fixture.mlgate(["compare", "1", "--bootstrap", "0"])
        #expect(againstChampion.status == 0 && againstChampion.stdout.contains("DeLong"), "\(againstChampion)")
        #expect(try fixture.mlgate(["audit", "verify"]).status == 0)
    }

    @Test("--html: one self-contained page with both models' ROC and PR curves, the evidence and the slices, rendered by headless Chromium")
    func htmlReport() throws {
        let fixture = try gateRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["gate", "toy", "--candidate", "1"]).status == 0)  // production requires a passed gate
        #expect(try fixture.mlgate(["models", "register", "toy", "--run", "1"]).status == 0)
        #expect(try fixture.mlgate(["promote", "toy", "1", "--to", "staging", "--reason", "first"]).status == 0)
        #expect(try fixture.mlgate(["promote", "toy", "1", "--to", "production", "--reason", "first"]).status == 0)
        try fixture.write("skill.txt", "2.0\n")
        #expect(try fixture.mlgate(["run"]).status == 0)
        let gate = try fixture.mlgate(["gate", "toy", "--candidate", "2", "--html", "gate.html"])
        #expect(gate.status == 0, "\(gate)")
        let page = try #require(fixture.read("gate.html"))
        #expect(page.hasPrefix("<!doctype html>") && !page.contains("<script") && !page.contains("http://") && !page.contains("https://"),
                "self-contained: nothing to fetch, nothing to run")
        #expect(page.contains("PASSED") && page.contains("candidate run 2") && page.contains("champion models:/toy/1"))
        #expect(page.components(separatedBy: "<polyline").count - 1 == 4, "ROC and PR, candidate and champion")
        #expect(page.contains("region=east") && page.contains("region=west") && page.contains("class=\"interval\""))
        #expect(page.contains("mlgate gate toy --candidate 2 --champion models:/toy/1"))
        guard let rendered = try renderInChromium("gate.html", fixture: fixture) else { return }
        #expect(rendered.renderedCleanly, "a rendered page, not a blank one (\(rendered.png.count) bytes), and no console error: \(rendered.log)")
        #expect(rendered.dom.components(separatedBy: "<polyline").count - 1 == 4 && rendered.dom.contains("<table"))
    }

    @Test("predictions whose labels differ for the same ids are refused (exit 2)")
    func differentLabels() throws {
        let fixture = try gateRepository()
        defer { fixture.remove() }
        try fixture.write("a.csv", "id,label,score,region\nr1,1,0.9,east\nr2,0,0.2,west\nr3,1,0.7,east\n")
        try fixture.write("b.csv", "id,label,score,region\nr3,1,0.6,east\nr2,1,0.3,west\nr1,1,0.8,east\n")
        let result = try fixture.mlgate(["gate", "toy", "--candidate-predictions", "a.csv", "--champion-predictions", "b.csv"])
        #expect(result.status == 2 && result.stderr.contains("differs from '0'") && result.stderr.contains("same rows"), "\(result)")
        try fixture.write("c.csv", "id,label,score,region\nr1,1,0.8,east\nr2,0,0.3,west\nr9,1,0.6,east\n")
        let compared = try fixture.mlgate(["compare", "a.csv", "b.csv", "--bootstrap", "0"])
        #expect(compared.status == 2 && compared.stderr.contains("differs from '0'"), "\(compared)")
        let ids = try fixture.mlgate(["gate", "toy", "--candidate-predictions", "a.csv", "--champion-predictions", "c.csv"])
        #expect(ids.status == 2 && ids.stderr.contains("'r3' has no row"), "\(ids)")
    }

    @Test("bad criteria are refused at their line, and the registry is untouched", arguments: [
        ("        - {metric: rmse, min: 1}", "'rmse' is not a binary metric"),
        ("        - {metric: latency_ms, source: latency.json, max: 50}", "needs 'source: FILE' and 'direction"),
        ("        - {metric: roc_auc, test: {name: delong, alpha: 1.5}}", "alpha must be between 0 and 1"),
        ("        - {metric: accuracy, test: {name: delong}}", "delong tests roc_auc only"),
        ("        - {metric: roc_aux, min: 0.5}", "'roc_aux' is not a metric mlgate computes"),
        ("        - {metric: roc_auc, vs_champion: {max_dorp: 0.1}}", "'max_dorp' is not a bound"),
    ])
    func badCriteria(_ line: String, message: String) throws {
        let fixture = try gateRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["models", "register", "toy", "--path", "skill.txt"]).status == 0)
        let config = try #require(fixture.read("mlgate.yaml"))
        try fixture.write("mlgate.yaml", config.replacingOccurrences(of: "        - {metric: roc_auc, min: 0.55}", with: line))
        let audit = try fixture.mlgate(["audit", "log", "--json"]).stdout
        let result = try fixture.mlgate(["gate", "toy", "--candidate-predictions", "x.csv"])
        #expect(result.status == 2 && result.stderr.contains(message) && result.stderr.contains("mlgate.yaml:"), "\(result)")
        #expect(try fixture.mlgate(["audit", "log", "--json"]).stdout == audit)
    }

    @Test("a multiclass model is gated on its per-class score columns, with a bootstrap test")
    func multiclass() throws {
        let fixture = try pipelineRepository("""
            version: 1
            models:
              iris:
                evaluate:
                  cmd: cp {model} {predictions}
                  task: multiclass
                  columns: {id: id, label: label, score: [p0, p1, p2]}
                promotion:
                  criteria:
                    - {metric: accuracy, min: 0.5}
                    - {metric: f1_macro, test: {name: bootstrap, alpha: 0.05, kind: non_inferiority, margin: 0.2, resamples: 200}}
            """, files: [:])
        defer { fixture.remove() }
        var candidate = "id,label,p0,p1,p2\n", champion = "id,label,p0,p1,p2\n"
        for row in 0..<90 {
            let label = row % 3
            let good = (0..<3).map { $0 == label ? "0.8" : "0.1" }.joined(separator: ",")
            let noisy = (0..<3).map { $0 == (row % 9 == 0 ? (label + 1) % 3 : label) ? "0.6" : "0.2" }.joined(separator: ",")
            candidate += "r\(row),\(label),\(good)\n"
            champion += "r\(row),\(label),\(noisy)\n"
        }
        try fixture.write("candidate.csv", candidate)
        try fixture.write("champion.csv", champion)
        let result = try fixture.mlgate(["gate", "iris", "--candidate-predictions", "candidate.csv", "--champion-predictions", "champion.csv", "--json"])
        #expect(result.status == 0, "\(result)")
        let verdict = try jsonObject(result.stdout)
        let tested = (verdict["criteria"] as? [[String: Any]])?.last
        #expect((tested?["test"] as? [String: Any])?["test"] as? String == "bootstrap" && tested?["passed"] as? Bool == true)
        #expect(((verdict["candidate"] as? [String: Any])?["metrics"] as? [String: Any])?["accuracy"] as? Double == 1)
    }
}

