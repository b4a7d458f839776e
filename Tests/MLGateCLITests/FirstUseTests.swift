import Foundation
import MLGateTestSupport
import Testing

/// What a person meets the first time through: defaults, metric names, the starter config, the gate's reports.
@Suite("a first use")
struct FirstUseTests {
    /// A binary predictions file with the default column names.
    private static let binary = "label,score\n1,0.9\n0,0.2\n1,0.6\n0,0.4\n1,0.3\n0,0.7\n"

    @Test("eval defaults --label and --score to label and score, and shows every metric the gate accepts")
    func evalDefaults() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        try fixture.write("binary.csv", Self.binary)
        let binary = try fixture.mlgate(["eval", "--task", "binary", "--predictions", "binary.csv"])
        #expect(binary.status == 0, "\(binary)")
        for metric in ["roc_auc", "specificity", "balanced_accuracy", "matthews_corrcoef"] {
            #expect(binary.stdout.contains(metric), "\(metric) missing: \(binary)")
        }
        try fixture.write("regression.csv", "label,score\n1.0,1.1\n2.0,1.8\n3.0,3.3\n4.0,3.9\n")
        let regression = try fixture.mlgate(["eval", "--task", "regression", "--predictions", "regression.csv", "--json"])
        #expect(regression.status == 0, "\(regression)")
        let metrics = try #require(try jsonObject(regression.stdout)["metrics"] as? [String: Any])
        #expect(metrics["median_absolute_error"] is Double && metrics["mape"] is Double, "\(metrics)")
    }

    @Test("eval --score p0,p1,p2 names a multiclass model's columns in one option")
    func multiclassColumns() throws {
        let fixture = try initialisedRepository()
        defer { fixture.remove() }
        try fixture.write("multi.csv", "label,p0,p1,p2\n0,0.7,0.2,0.1\n1,0.1,0.8,0.1\n2,0.2,0.2,0.6\n1,0.3,0.4,0.3\n")
        let listed = try fixture.mlgate(["eval", "--task", "multiclass", "--predictions", "multi.csv", "--score", "p0,p1,p2", "--json"])
        #expect(listed.status == 0, "\(listed)")
        let repeated = try fixture.mlgate(["eval", "--task", "multiclass", "--predictions", "multi.csv", "--score", "p0", "--score", "p1", "--score", "p2", "--json"])
        #expect(try jsonObject(listed.stdout)["metrics"] as? NSDictionary == jsonObject(repeated.stdout)["metrics"] as? NSDictionary)
        let single = try fixture.mlgate(["eval", "--task", "multiclass", "--predictions", "multi.csv"])
        #expect(single.status == 2 && single.stderr.contains("--score p0,p1,p2"), "\(single)")
    }

    @Test("an unknown metric gets a did-you-mean, in eval's options and in mlgate.yaml's criteria")
    func didYouMean() throws {
        let fixture = try gateRepository()
        defer { fixture.remove() }
        // init refuses a bad config, as it should: the typo comes after.
        let config = try #require(fixture.read("mlgate.yaml"))
        try replaceConfig(fixture, config.replacingOccurrences(of: "- {metric: roc_auc, min: 0.55}", with: "- {metric: roc_acu, min: 0.55}"))
        try fixture.write("binary.csv", Self.binary)
        let eval = try fixture.mlgate(["eval", "--task", "binary", "--predictions", "binary.csv", "--metrics", "roc_acu,f1"])
        #expect(eval.status == 2 && eval.stderr.contains("unknown metric 'roc_acu' for binary (did you mean 'roc_auc'?)"), "\(eval)")
        let before = try snapshot(of: fixture.base)
        let gate = try fixture.mlgate(["gate", "toy"])
        #expect(gate.status == 2, "\(gate)")
        #expect(gate.stderr.contains("mlgate.yaml:15:20:") && gate.stderr.contains("'roc_acu' is not a metric mlgate computes (did you mean 'roc_auc'?)"), "\(gate)")
        #expect(try snapshot(of: fixture.base) == before)
    }

    @Test("the starter config says nothing of deploy coming later, and its examples are valid when uncommented")
    func starterConfig() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit("first")
        #expect(try fixture.mlgate(["init"]).status == 0)
        let starter = try #require(fixture.read("mlgate.yaml"))
        #expect(!starter.lowercased().contains("later") && starter.contains("# deploy:"), "\(starter)")
        // Uncomment the example sections and their indented lines: the result must be a valid mlgate.yaml.
        let uncommented = starter.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            let body = line.dropFirst(2)
            guard line.hasPrefix("# ") else { return line }
            if body.hasPrefix("  ") || ["projects:", "stages:", "models:", "deploy:", "ci:"].contains(where: { body.hasPrefix($0) }) { return body }
            return line
        }.joined(separator: "\n")
        #expect(uncommented.contains("\ndeploy:\n") && uncommented.contains("\nmodels:\n"), "\(uncommented)")
        try fixture.write("mlgate.yaml", uncommented)
        let read = try fixture.mlgate(["lineage"])
        #expect(read.status == 0, "\(read)\n\(uncommented)")
    }

    @Test("the gate's reports: placeholders filled, a reproduce line that runs, the same p-value everywhere, models show says the gate passed")
    func gateReports() throws {
        let fixture = try gateRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(try fixture.mlgate(["gate", "toy", "--candidate", "1"]).status == 0)
        #expect(try fixture.mlgate(["models", "register", "toy", "--run", "1"]).status == 0)
        let shown = try fixture.mlgate(["models", "show", "toy/1"])
        #expect(shown.stdout.contains("gate       passed (verdict "), "\(shown)")
        #expect(try fixture.mlgate(["promote", "toy", "1", "--to", "staging", "--reason", "first"]).status == 0)
        #expect(try fixture.mlgate(["promote", "toy", "1", "--to", "production", "--reason", "first"]).status == 0)
        try fixture.write("skill.txt", "0.45\n")
        #expect(try fixture.mlgate(["run"]).status == 0)

        let junit = fixture.base + "/gate.xml", markdown = fixture.base + "/gate.md"
        let gate = try fixture.mlgate(["gate", "toy", "--candidate", "2", "--junit", junit, "--markdown", markdown])
        #expect(!gate.stderr.contains("{model}") && !gate.stderr.contains("{predictions}"), "\(gate)")
        #expect(gate.stderr.contains("predictions.csv"), "\(gate)")
        let reproduce = try #require(gate.stdout.split(separator: "\n").first { $0.hasPrefix("reproduce: ") })
        #expect(reproduce == "reproduce: mlgate gate toy --candidate 2 --champion models:/toy/1", "\(gate)")
        #expect(fixture.read(markdown)?.contains("Reproduce: `mlgate gate toy --candidate 2 --champion models:/toy/1`") == true)
        let again = try fixture.mlgate(reproduce.split(separator: " ").dropFirst(2).map(String.init))
        #expect(again.status == gate.status && again.stdout == gate.stdout, "\(again)")

        // One p-value, written one way: the text, Markdown, JUnit and the JSON's reasons.
        let line = try #require(gate.stdout.split(separator: "\n").first { $0.contains("one-sided p ") })
        let p = try #require(line.range(of: #"p (= [0-9.e+-]+|< 1e-16)"#, options: .regularExpression).map { String(line[$0]) })
        #expect(fixture.read(markdown)?.contains(p) == true, "\(p) not in \(fixture.read(markdown) ?? "")")
        #expect(fixture.read(junit)?.contains(p) == true, "\(p) not in \(fixture.read(junit) ?? "")")
        let json = try fixture.mlgate(["gate", "toy", "--candidate", "2", "--json"])
        let verdict = try jsonObject(json.stdout)
        let reasons = (verdict["criteria"] as? [[String: Any]] ?? []).flatMap { $0["reasons"] as? [String] ?? [] }
        #expect(reasons.contains { $0.contains(p) }, "\(reasons)")
        #expect(verdict["reproduce"] as? String == "mlgate gate toy --candidate 2 --champion models:/toy/1")

        try fixture.write("other.bin", "x")
        #expect(try fixture.mlgate(["models", "register", "toy", "--path", "other.bin"]).status == 0)
        let ungated = try fixture.mlgate(["models", "show", "toy/2"])
        #expect(ungated.stdout.contains("gate       not gated"), "\(ungated)")
    }

    @Test("a test alone names its metric in the criterion's description")
    func bootstrapNamesMetric() throws {
        let fixture = try gateRepository(criteria: "            - {metric: accuracy, test: {name: bootstrap, resamples: 100}}")
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        let gate = try fixture.mlgate(["gate", "toy", "--candidate", "1", "--json"])
        let criteria = try jsonObject(gate.stdout)["criteria"] as? [[String: Any]] ?? []
        #expect(criteria.first?["criterion"] as? String == "accuracy: bootstrap superiority at α = 0.05", "\(criteria)")
    }

    @Test("'parameters changed' names the key that changed inside a mapping")
    func parameterKey() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              train: {cmd: cp params.yaml model.bin, deps: [], params: [train], outs: [model.bin]}
            """, files: ["params.yaml": "train:\n  C: 1.0\n  gamma: 0.1\n"])
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        try fixture.write("params.yaml", "train:\n  C: 2.0\n  gamma: 0.1\n")
        let changed = try fixture.mlgate(["run"])
        #expect(changed.status == 0 && changed.stderr.contains("because parameters changed: train.C"), "\(changed)")
        #expect(!changed.stderr.contains("train.gamma"), "\(changed)")
    }
}

/// `mlgate ci` for a first team: every model's result in the outputs, and no advice to force anything.
@Suite("mlgate ci for a first team")
struct CIFirstUseTests {
    @Test("a monorepo's dotenv and GITHUB_OUTPUT carry every model's result")
    func everyModel() throws {
        let second = """
              n:
                artifact: model.txt
                evaluate:
                  cmd: python3 predict.py {model} {predictions}
                  data: [predict.py]
                  task: binary
                promotion:
                  champion: production
                  criteria: [{metric: roc_auc, max: 0.5}]
            deploy:
            """
        let config = CIProject.config().replacingOccurrences(of: "deploy:", with: second)
        let project = try CIProject(config: config)
        defer { project.fixture.remove() }
        let main = try project.checkout()
        let push = try project.ci(in: main, try project.githubPush("main", sha: try project.fixture.head(in: main), work: project.fixture.base + "/gh"))
        #expect(push.status == 1, "n fails its ceiling: \(push)")
        let outputs = keyValues(project.fixture.read(project.fixture.base + "/gh/output"))
        #expect(outputs["models"] == "m n", "\(outputs)")
        #expect(outputs["m_passed"] == "true" && outputs["m_version"] == "1" && outputs["m_registered"] == "models:/m/1", "\(outputs)")
        #expect(outputs["n_passed"] == "false" && outputs["n_version"] == "", "\(outputs)")
        let dotenv = keyValues(project.fixture.read(main + "/mlgate-reports/mlgate.env"))
        #expect(dotenv["MLGATE_M_PASSED"] == "true" && dotenv["MLGATE_N_PASSED"] == "false" && dotenv["MLGATE_MODELS"] == "m n", "\(dotenv)")
        let json = try jsonObject(project.fixture.read(main + "/mlgate-reports/gate.json") ?? "")
        #expect((json["models"] as? [[String: Any]])?.compactMap { $0["model"] as? String } == ["m", "n"], "\(json)")
    }

    @Test("a version short of an approval: the CI job says how to approve it, never to --force")
    func noForce() throws {
        let project = try CIProject(config: CIProject.config(lifecycle: """
            stages: [staging, production]
                  production: {requires: {approvals: 1}}
            """))
        defer { project.fixture.remove() }
        let main = try project.checkout()
        let push = try project.ci(in: main, try project.githubPush("main", sha: try project.fixture.head(in: main), work: project.fixture.base + "/gh"))
        #expect(push.status == 0, "\(push)")
        #expect(!push.stderr.contains("--force") && !push.stdout.contains("--force"), "\(push)")
        let report = (project.fixture.read(main + "/mlgate-reports/gate.md") ?? "") + (project.fixture.read(main + "/mlgate-reports/gate.json") ?? "")
        #expect(!report.contains("--force"), "\(report)")
        #expect(report.contains("mlgate approve m 1 --stage production"), "\(report)")
    }
}
