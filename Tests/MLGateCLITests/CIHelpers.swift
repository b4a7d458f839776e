import Foundation
import MLGateTestSupport
import Testing

/// A small project for `mlgate ci`: a "model" whose quality is a parameter, an evaluate command that scores
/// 400 rows with it (higher quality → higher AUC), a directory deploy target, and a bare `origin`.
struct CIProject {
    let fixture: GitFixture
    var origin: String { fixture.base + "/origin.git" }
    var served: String { fixture.base + "/served" }

    static let train = """
        import sys
        quality = float(open("params.yaml").read().split(":")[1])
        open("model.txt", "w").write(str(quality) + "\\n")
        """
    static let predict = """
        import sys
        model, out = sys.argv[1], sys.argv[2]
        quality = float(open(model).read())
        with open(out, "w") as f:
            f.write("id,label,score\\n")
            for i in range(400):
                label = i % 2
                noise = ((i * 7919) % 400) / 400.0
                f.write(f"{i},{label},{quality * label + (1 - quality) * noise:.6f}\\n")
        """

    /// The mlgate.yaml; `lifecycle` replaces the default lifecycle lines.
    static func config(lifecycle: String = "stages: [staging, production]", train: String = "python3 train.py") -> String {
        """
        version: 1
        remote: {objects: ../objects}
        stages:
          train:
            cmd: \(train)
            deps: [train.py]
            params: [quality]
            outs: [model.txt]
        models:
          m:
            artifact: model.txt
            evaluate:
              cmd: python3 predict.py {model} {predictions}
              data: [predict.py]
              task: binary
              columns: {id: id, label: label, score: score}
            promotion:
              champion: production
              criteria:
                - {metric: roc_auc, min: 0.6}
                - {metric: roc_auc, vs_champion: {max_drop: 0.01}}
            lifecycle:
              \(lifecycle)
        deploy:
          prod: {type: directory, path: ../served, model: m@production}
        """
    }

    /// The mlgate.yaml of a repository that retrains this project's model `m` on drift: `config()` without the remote
    /// and the deploy target (`header` takes the remote's line), with a monitor of reference.csv against shifted.csv.
    static func retrainingConfig(_ header: String = "") -> String {
        config().replacingOccurrences(of: "remote: {objects: ../objects}\n", with: header)
            .replacingOccurrences(of: "\ndeploy:\n  prod: {type: directory, path: ../served, model: m@production}",
                                  with: "\n    monitor: {reference: reference.csv, current: shifted.csv, columns: {id: ignore}, on_drift: retrain, retrain_cooldown_hours: 0}")
    }

    /// What `retrainingConfig` runs besides the data: the scripts, and the parameters at quality 0.6.
    static let retrainingFiles = ["train.py": train, "predict.py": predict, "params.yaml": "quality: 0.6\n"]

    /// Approves the commands, trains, and takes the first version to production: the champion a retraining must beat.
    static func crownFirstVersion(_ fixture: GitFixture) throws {
        for arguments in [["trust"], ["run"], ["models", "register", "m", "--run", "1"],
                          ["promote", "m", "1", "--to", "staging", "--reason", "t"], ["promote", "m", "1", "--to", "production", "--reason", "t"]] {
            let result = try fixture.mlgate(arguments)
            guard result.status == 0 else { throw TestSupportError("mlgate \(arguments.joined(separator: " ")) failed: \(result)") }
        }
    }

    /// The project committed on main and pushed to a bare origin whose HEAD is main.
    init(config: String = CIProject.config(), quality: Double = 0.6) throws {
        fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.base + "/objects", withIntermediateDirectories: true)
        try fixture.write("mlgate.yaml", config)
        try fixture.write("train.py", Self.train)
        try fixture.write("predict.py", Self.predict)
        try fixture.write("params.yaml", "quality: \(quality)\n")
        try fixture.git(["init", "-q", "--bare", "-b", "main", origin], in: fixture.base)
        try fixture.git(["remote", "add", "origin", origin])
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "the model"])
        try fixture.git(["push", "-q", "origin", "main"])
    }

    /// Commits a new quality on `branch` (created from main) and pushes it.
    func change(quality: Double, on branch: String, config: String? = nil) throws {
        try fixture.git(["checkout", "-q", "-B", branch, "origin/main"], check: false)
        try fixture.git(["fetch", "-q", "origin"])
        try fixture.git(["checkout", "-q", "-B", branch, "origin/main"])
        try fixture.write("params.yaml", "quality: \(quality)\n")
        if let config { try fixture.write("mlgate.yaml", config) }
        try fixture.git(["commit", "-q", "-am", "quality \(quality)"])
        try fixture.git(["push", "-q", "-f", "origin", branch])
    }

    /// A depth-1 clone of `branch`, as CI checkouts are; returns its path.
    func checkout(_ branch: String = "main", name: String = UUID().uuidString) throws -> String {
        let path = fixture.base + "/ci-" + name
        try fixture.git(["clone", "-q", "--depth", "1", "-b", branch, "file://" + origin, path], in: fixture.base)
        return path
    }

    /// Runs `mlgate ci` in `directory` with `variables` (plus CI=true), and nothing else from the provider.
    func ci(_ arguments: [String] = [], in directory: String, _ variables: [String: String]) throws -> ProcessResult {
        try fixture.mlgate(["ci"] + arguments, in: directory, extraEnvironment: ["CI": "true"].merging(variables) { $1 })
    }

    /// The variables GitHub Actions sets for a push to `branch`, with files under `work`.
    func githubPush(_ branch: String, sha: String, work: String) throws -> [String: String] {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try #"{"ref":"refs/heads/\#(branch)","repository":{"default_branch":"main"}}"#.write(toFile: work + "/event.json", atomically: true, encoding: .utf8)
        return ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/\(branch)", "GITHUB_REF_NAME": branch,
                "GITHUB_SHA": sha, "GITHUB_EVENT_PATH": work + "/event.json", "GITHUB_STEP_SUMMARY": work + "/summary.md",
                "GITHUB_OUTPUT": work + "/output", "GITHUB_REPOSITORY": "acme/churn", "GITHUB_SERVER_URL": "https://github.com",
                "GITHUB_RUN_ID": "42", "GITHUB_ACTOR": "ada"]
    }

    /// The variables GitHub Actions sets for pull request `number` from `branch` (from a fork when `fork`).
    func githubPullRequest(_ number: Int, branch: String, head: String, base: String, fork: Bool = false, work: String) throws -> [String: String] {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let payload = """
            {"number": \(number), "pull_request": {"number": \(number),
              "head": {"sha": "\(head)", "ref": "\(branch)", "repo": {"full_name": "\(fork ? "mallory/churn" : "acme/churn")"}},
              "base": {"sha": "\(base)", "ref": "main", "repo": {"full_name": "acme/churn"}}},
             "repository": {"default_branch": "main"}}
            """
        try payload.write(toFile: work + "/event.json", atomically: true, encoding: .utf8)
        return ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/\(number)/merge",
                "GITHUB_SHA": head, "GITHUB_HEAD_REF": branch, "GITHUB_BASE_REF": "main", "GITHUB_EVENT_PATH": work + "/event.json",
                "GITHUB_STEP_SUMMARY": work + "/summary.md", "GITHUB_OUTPUT": work + "/output", "GITHUB_REPOSITORY": "acme/churn",
                "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "43", "GITHUB_ACTOR": "ada"]
    }

    /// The tags on origin.
    func originTags() throws -> [String] {
        try fixture.git(["--git-dir", origin, "tag", "-l"], in: fixture.base).stdout.split(separator: "\n").map(String.init)
    }
}

/// `name=value` lines of a GITHUB_OUTPUT or dotenv file.
func keyValues(_ text: String?) -> [String: String] {
    var values: [String: String] = [:]
    for line in (text ?? "").split(separator: "\n") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        values[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return values
}
