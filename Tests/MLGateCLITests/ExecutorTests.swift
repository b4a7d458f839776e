import Foundation
import MLGateTestSupport
import Testing

/// The fakes under Fixtures/executors.
private enum ExecutorFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/executors").path
}

/// A pipeline repository with a bare `origin`, its commands approved and `executor` declared, and one job queued by a
/// push of a commit that touches a stage's input.
private func dispatchingRepository(executor: String) throws -> GitFixture {
    let config = twoStagePipeline.replacingOccurrences(of: "version: 1\n", with: "version: 1\nhooks: {start_worker: false}\nexecutor: \(executor)\n")
    let fixture = try repositoryWithRemote(config)
    #expect(try fixture.mlgate(["trust"]).status == 0)
    try fixture.write("raw.txt", "a,b\n5,6\n")
    try fixture.git(["commit", "-q", "-am", "new data"])
    let pushed = try fixture.git(["push", "-q", "origin", "main"], extraEnvironment: ["CI": ""])
    #expect(pushed.stderr.contains("queued training job 1"), "\(pushed)")
    return fixture
}

/// A running `fake_ci_api.py` (GitHub Actions and GitLab pipelines) on a free loopback port, with its request log.
private final class FakeCIAPI {
    let log = NSTemporaryDirectory() + "mlgate-fake-ci-\(UUID().uuidString).jsonl"
    let server: LoopbackScript
    /// `http://127.0.0.1:PORT`
    var base: String { "http://127.0.0.1:\(server.port)" }

    /// Starts it with the script's `options`.
    init(_ options: [String] = []) throws {
        server = try LoopbackScript(ExecutorFixtures.folder + "/fake_ci_api.py", [log] + options)
    }

    /// The requests it saw, in order.
    func requests() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try jsonObject(String($0)) }
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(atPath: log)
    }
}

/// A fake kubectl under a new state folder (see fake_kubectl.py), with the built mlgate on the PATH of what it runs.
private func fakeKubectl(executing: Bool = false) throws -> (kubectl: String, state: String) {
    let state = NSTemporaryDirectory() + "mlgate-fake-kubectl-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    if executing { _ = FileManager.default.createFile(atPath: state + "/execute", contents: nil) }
    let bin = (try MLGateBinary.path as NSString).deletingLastPathComponent
    let kubectl = state + "/kubectl"
    try "#!/bin/sh\nPATH='\(bin)':\"$PATH\" exec python3 '\(ExecutorFixtures.folder)/fake_kubectl.py' '\(state)' \"$@\"\n"
        .write(toFile: kubectl, atomically: true, encoding: .utf8)
    chmod(kubectl, 0o755)
    return (kubectl, state)
}

@Suite("executors: the queue's jobs dispatched to GitHub Actions, GitLab and Kubernetes, followed until they finish")
struct ExecutorTests {
    static let environment = ["MLGATE_DISPATCH_POLL_MS": "20", "MLGATE_HTTP_BACKOFF_MS": "10"]

    @Test("github: one workflow_dispatch with the job's key and commit, followed to its conclusion; the job records the run's page and no local run")
    func github() throws {
        let api = try FakeCIAPI()
        let fixture = try dispatchingRepository(executor: "{type: github, repository: acme/churn, workflow: mlgate-train.yml, api: '\(api.base)'}")
        defer { fixture.remove() }

        let unset = try fixture.mlgate(["worker"], extraEnvironment: Self.environment.merging(["GITHUB_TOKEN": ""]) { $1 })
        #expect(unset.status == 2 && unset.stderr.contains("$GITHUB_TOKEN, which is not set"), "\(unset)")
        #expect(try jobs(fixture).first?["status"] as? String == "queued", "nothing was taken")

        let worker = try fixture.mlgate(["worker"], extraEnvironment: Self.environment.merging(["GITHUB_TOKEN": "t0ken"]) { $1 })
        #expect(worker.status == 0 && worker.stderr.contains("dispatched to github: \(api.base)/acme/churn/actions/runs/5001"), "\(worker)")
        #expect(worker.stderr.contains("is running") && worker.stderr.contains("job 1: succeeded"), "\(worker.stderr)")
        let job = try #require(try jobs(fixture).first)
        #expect(job["executor"] as? String == "github" && job["remote_id"] as? String == "5001" && job["run"] is NSNull, "\(job)")
        #expect((job["message"] as? String ?? "").hasPrefix("trained on github: http://127.0.0.1:"), "\(job)")
        #expect(try runs(fixture).isEmpty, "nothing trained here")

        let seen = try api.requests()
        let dispatches = seen.filter { $0["method"] as? String == "POST" }
        #expect(dispatches.count == 1 && dispatches.first?["path"] as? String == "/repos/acme/churn/actions/workflows/mlgate-train.yml/dispatches")
        let body = try jsonObject(dispatches.first?["body"] as? String ?? "")
        let inputs = body["inputs"] as? [String: Any] ?? [:]
        let head = try fixture.head()
        #expect(body["ref"] as? String == "main" && body["return_run_details"] as? Bool == true && inputs["commit"] as? String == head)
        #expect((inputs["mlgate_job"] as? String ?? "").range(of: "^mlgate-job-[0-9a-f]{8}-1-\(head.prefix(8))$", options: .regularExpression) != nil, "\(inputs)")
        let listed = try fixture.mlgate(["queue", "--all", "--json"]).stdout
        #expect(!worker.stderr.contains("t0ken") && !listed.contains("t0ken"), "the token is never printed or stored")
    }

    @Test("github: a dispatch whose answer is lost is found by its key, not dispatched again; a failed run fails the job")
    func githubLostAnswer() throws {
        let api = try FakeCIAPI(["--lose-first-dispatch", "--conclusion", "failure"])
        let fixture = try dispatchingRepository(executor: "{type: github, repository: acme/churn, workflow: mlgate-train.yml, api: '\(api.base)', token_env: CI_DISPATCH_TOKEN}")
        defer { fixture.remove() }
        let worker = try fixture.mlgate(["worker"], extraEnvironment: Self.environment.merging(["CI_DISPATCH_TOKEN": "t0ken"]) { $1 })
        #expect(worker.stderr.contains("the dispatch's answer was lost") && worker.stderr.contains("found its run"), "\(worker.stderr)")
        #expect(try api.requests().filter { $0["method"] as? String == "POST" }.count == 1, "dispatched once")
        let job = try #require(try jobs(fixture).first)
        #expect(job["status"] as? String == "failed" && (job["message"] as? String ?? "").hasSuffix("ended: failure"), "\(job)")
    }

    @Test("gitlab: a pipeline trigger with the trigger token and the job's variables, followed with an API token; without one it is dispatched and not followed")
    func gitlab() throws {
        let api = try FakeCIAPI()
        let fixture = try dispatchingRepository(executor: "{type: gitlab, project: acme/churn, api: '\(api.base)/api/v4'}")
        defer { fixture.remove() }
        let followed = try fixture.mlgate(["worker"], extraEnvironment: Self.environment.merging(["GITLAB_TRIGGER_TOKEN": "tr1gger", "GITLAB_TOKEN": "t0ken"]) { $1 })
        #expect(followed.stderr.contains("dispatched to gitlab: \(api.base)/acme%2Fchurn/-/pipelines/5001") || followed.stderr.contains("dispatched to gitlab: \(api.base)/acme/churn/-/pipelines/5001"), "\(followed.stderr)")
        #expect(followed.stderr.contains("job 1: succeeded"), "\(followed.stderr)")
        let trigger = try #require(try api.requests().first { $0["method"] as? String == "POST" })
        #expect(trigger["path"] as? String == "/api/v4/projects/acme%2Fchurn/trigger/pipeline", "\(trigger)")
        let form = trigger["body"] as? String ?? ""
        let head = try fixture.head()
        #expect(form.contains("token=tr1gger") && form.contains("ref=main") && form.contains("variables%5BMLGATE_COMMIT%5D=\(head)"), "\(form)")

        // A second job, dispatched without an API token: recorded as dispatched, with how to follow it.
        try fixture.write("raw.txt", "a,b\n7,8\n")
        try fixture.git(["commit", "-q", "-am", "more data"])
        try fixture.git(["push", "-q", "origin", "main"], extraEnvironment: ["CI": ""])
        let unfollowed = try fixture.mlgate(["worker"], extraEnvironment: Self.environment.merging(["GITLAB_TRIGGER_TOKEN": "tr1gger", "GITLAB_TOKEN": ""]) { $1 })
        #expect(unfollowed.status == 0, "\(unfollowed)")
        let job = try #require(try jobs(fixture).first { $0["id"] as? Int == 2 })
        #expect(job["status"] as? String == "succeeded" && (job["message"] as? String ?? "").contains("not followed: set $GITLAB_TOKEN"), "\(job)")
    }

    @Test("kubernetes: a Job per queued job (backoffLimit 0, the commit and key in its environment, valid against the Kubernetes SDK), applied once, followed to Complete, its log kept; a worker stopped mid-run leaves it to the next one, which does not apply it again")
    func kubernetes() throws {
        let (kubectl, state) = try fakeKubectl()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let fixture = try dispatchingRepository(executor: "{type: kubernetes, image: 'registry.example.com/churn-train:1', namespace: ml, kubectl: '\(kubectl)', secret: mlgate-remote}")
        defer { fixture.remove() }
        let worker = try fixture.mlgate(["worker"], extraEnvironment: Self.environment)
        #expect(worker.status == 0 && worker.stderr.contains("job 1: succeeded") && worker.stderr.contains("job 1: | run 1 succeeded"), "\(worker.stderr)")
        let job = try #require(try jobs(fixture).first)
        let name = try #require(job["remote_id"] as? String)
        #expect(job["executor"] as? String == "kubernetes" && job["remote_url"] as? String == "ml/\(name)" && name.hasPrefix("mlgate-job-"), "\(job)")

        let stored = try jsonObject(try String(contentsOfFile: "\(state)/jobs/\(name).json", encoding: .utf8))
        let manifest = try #require(stored["manifest"] as? [String: Any])
        let spec = manifest["spec"] as? [String: Any] ?? [:]
        #expect(spec["backoffLimit"] as? Int == 0 && (manifest["metadata"] as? [String: Any])?["namespace"] as? String == "ml")
        let container = (((spec["template"] as? [String: Any])?["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first ?? [:]
        let env = Dictionary(uniqueKeysWithValues: (container["env"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["value"] as? String ?? "") })
        let head = try fixture.head()
        #expect(env["MLGATE_COMMIT"] == head && env["MLGATE_REPOSITORY"] == fixture.base + "/remote.git" && env["MLGATE_JOB"] == name, "\(env)")
        #expect(container["image"] as? String == "registry.example.com/churn-train:1"
                && (container["envFrom"] as? [[String: Any]])?.first?["secretRef"] as? [String: String] == ["name": "mlgate-remote"])
        if SchemaCheck.shouldRun {
            let file = state + "/manifest.json"
            try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: file))
            #expect(try SchemaCheck.problems(format: "kubernetes-job", files: [file]) == [])
            // The check can fail: a count written as text.
            var damaged = manifest
            damaged["spec"] = spec.merging(["backoffLimit": "0"]) { $1 }
            try JSONSerialization.data(withJSONObject: damaged).write(to: URL(fileURLWithPath: file))
            #expect(try !SchemaCheck.problems(format: "kubernetes-job", files: [file]).isEmpty)
        }
        var calls = try String(contentsOfFile: state + "/calls.jsonl", encoding: .utf8)
        #expect(calls.components(separatedBy: "\"apply\"").count - 1 == 1, "\(calls)")

        // A second job whose Job runs on while its worker is stopped: the next worker follows the same Job.
        #expect(FileManager.default.createFile(atPath: state + "/hold", contents: nil))
        try fixture.write("raw.txt", "a,b\n9,9\n")
        try fixture.git(["commit", "-q", "-am", "more data"])
        try fixture.git(["push", "-q", "origin", "main"], extraEnvironment: ["CI": ""])
        let first = try fixture.startMlgate(["worker"], extraEnvironment: Self.environment)
        #expect(first.waitUntil(seconds: 30) { (try? jobs(fixture).first { $0["id"] as? Int == 2 }?["remote_id"] as? String) != nil }, "the Job was not applied")
        first.send(SIGTERM)
        let stopped = first.wait()
        #expect(stopped.stderr.contains("the next worker follows it"), "\(stopped.stderr)")
        #expect(try jobs(fixture).first { $0["id"] as? Int == 2 }?["status"] as? String == "queued")
        try FileManager.default.removeItem(atPath: state + "/hold")
        let second = try fixture.mlgate(["worker"], extraEnvironment: Self.environment)
        #expect(second.stderr.contains("dispatched by an earlier attempt") && second.stderr.contains("job 2: succeeded"), "\(second.stderr)")
        calls = try String(contentsOfFile: state + "/calls.jsonl", encoding: .utf8)
        #expect(calls.components(separatedBy: "\"apply\"").count - 1 == 2, "one apply per queued job: \(calls)")
    }

    @Test("mlgate ci --dispatch: the Job's own command trains the commit and pushes to remote.objects; the CI runner pulls it, restores every stage and gates; without an executor it exits 2")
    func ciDispatch() throws {
        let (kubectl, state) = try fakeKubectl(executing: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let executor = "executor: {type: kubernetes, image: 'churn-train:1', kubectl: '\(kubectl)'}\n"
        let project = try CIProject()
        defer { project.fixture.remove() }
        // The pod and the runner share remote.objects (a bucket in a real cluster; a folder both see here).
        let shared = CIProject.config().replacingOccurrences(of: "version: 1\n", with: "version: 1\n" + executor)
            .replacingOccurrences(of: "remote: {objects: ../objects}", with: "remote: {objects: '\(project.fixture.base)/objects'}")
        try project.change(quality: 0.7, on: "main", config: shared)
        // The pod clones the repository's URL as the CI names it (GITHUB_SERVER_URL/GITHUB_REPOSITORY): here, the
        // bare origin under that name.
        let named = project.fixture.base + "/acme/churn-model"
        try FileManager.default.createDirectory(atPath: project.fixture.base + "/acme", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: named, withDestinationPath: project.origin)
        let environment = Self.environment.merging(["GITHUB_SERVER_URL": "file://" + project.fixture.base]) { $1 }
        let (result, checkout, _) = try CIFixtures.run("github-pr", arguments: ["--dispatch"], project: project, extra: environment)
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("dispatched to kubernetes: default/mlgate-ci-github-") && result.stderr.contains("is done"), "\(result.stderr)")
        #expect(result.stderr.contains("| ") && result.stderr.contains("run-cache entries"), "the pod's log, then the pull: \(result.stderr)")
        // The pod trained (its mlgate run executed the stage); the runner's own run restored it from the run cache.
        let pods = try FileManager.default.contentsOfDirectory(atPath: state + "/pods")
        #expect(pods.count == 1 && FileManager.default.fileExists(atPath: "\(state)/pods/\(pods[0])/mlgate-job/model.txt"), "\(pods)")
        #expect(result.stderr.contains("train restored from the run cache") && result.stderr.contains("\nrun 1 succeeded: 1 restored"), "\(result.stderr)")
        // Each run names where it ran: the pod's, the job it trained; the runner's, its CI job's page.
        let podRun = try jsonObject(try project.fixture.mlgate(["runs", "show", "1", "--json"], in: "\(state)/pods/\(pods[0])/mlgate-job").stdout)
        #expect((podRun["environment"] as? [String: Any])?["dispatch_key"] as? String == pods[0], "\(podRun)")
        let ciRun = try jsonObject(try project.fixture.mlgate(["runs", "show", "1", "--json"], in: checkout).stdout)
        #expect(((ciRun["environment"] as? [String: Any])?["ci_run_url"] as? String ?? "").hasPrefix("file://\(project.fixture.base)/acme/churn-model/actions/runs/"), "\(ciRun)")

        let bare = try CIProject()
        defer { bare.fixture.remove() }
        let refused = try CIFixtures.run("github-pr", arguments: ["--dispatch"], project: bare).result
        #expect(refused.status == 2 && refused.stderr.contains("--dispatch trains on the executor mlgate.yaml names, and it names none"), "\(refused)")
    }
}

@Suite("executors and retraining")
struct ExecutorRetrainingTests {
    @Test("a retraining on drift trained on Kubernetes still meets its gate here: the outputs come back through remote.objects and the better model is registered and promoted")
    func retrainOnExecutor() throws {
        let (kubectl, state) = try fakeKubectl(executing: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let reference = "id,x\n" + (0..<300).map { "r\($0),\($0 % 30)" }.joined(separator: "\n") + "\n"
        let shifted = "id,x\n" + (0..<300).map { "s\($0),\(50 + $0 % 30)" }.joined(separator: "\n") + "\n"
        let fixture = try repositoryWithRemote(CIProject.retrainingConfig("executor: {type: kubernetes, image: 'churn-train:1', kubectl: '\(kubectl)'}\n"),
                                               files: CIProject.retrainingFiles.merging(["reference.csv": reference, "shifted.csv": shifted]) { $1 })
        defer { fixture.remove() }
        // The pod and this machine share remote.objects (a bucket in a real cluster).
        let config = try #require(fixture.read("mlgate.yaml"))
        try fixture.write("mlgate.yaml", config.replacingOccurrences(of: "version: 1\n", with: "version: 1\nremote: {objects: '\(fixture.base)/objects'}\n"))
        try FileManager.default.createDirectory(atPath: fixture.base + "/objects", withIntermediateDirectories: true)
        try fixture.git(["commit", "-q", "-am", "shared objects"])
        try CIProject.crownFirstVersion(fixture)

        try fixture.write("params.yaml", "quality: 0.8\n")
        try fixture.git(["commit", "-q", "-am", "quality 0.8"])
        try fixture.git(["push", "-q", "origin", "main"], extraEnvironment: ["CI": "true"])  // pushed, so the pod can clone it
        let environment = ["MLGATE_EVENTS_BACKGROUND": "off", "MLGATE_DISPATCH_POLL_MS": "20"]
        let check = try fixture.mlgate(["monitor", "check", "m"], extraEnvironment: environment)
        // The push queued job 1 for this commit; the retraining is folded into it: once trained, it is gated.
        #expect(check.stderr.contains("training job 1 at") && check.stderr.contains("already queued; once trained, its model meets the gate"), "\(check)")
        let id = 1
        #expect(try jobs(fixture).first?["gate_model"] as? String == "m")
        // The check started a worker in the background; run one here too if it has not taken the job yet.
        var job: [String: Any] = [:]
        var output = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            // A read that fails while the worker writes the store is tried again.
            guard let listed = try? jobs(fixture) else { usleep(200_000); continue }
            job = listed.first { $0["id"] as? Int == id } ?? [:]
            if ["succeeded", "failed"].contains(job["status"] as? String ?? "") { break }
            if job["status"] as? String == "queued" { output += try fixture.mlgate(["worker"], extraEnvironment: environment).stderr }
            usleep(200_000)
        }
        let worker = output + ((try? String(contentsOfFile: fixture.root + "/.mlgate/logs/worker.log", encoding: .utf8)) ?? "")
        let message = job["message"] as? String ?? ""
        #expect(job["status"] as? String == "succeeded" && job["executor"] as? String == "kubernetes", "\(job) \(worker)")
        #expect(message.hasPrefix("trained on kubernetes: default/mlgate-job-") && message.contains("gate passed against models:/m/1; registered models:/m/2"), "\(message)")
        #expect(worker.contains("train restored from the run cache"), "trained by the pod, restored here: \(worker)")
        let pods = try FileManager.default.contentsOfDirectory(atPath: state + "/pods")
        #expect(pods.count == 1, "\(pods)")
        let versions = try registeredVersions(fixture)
        #expect(versions.first { $0["version"] as? Int == 2 }?["stage"] as? String == "production", "\(versions)")
    }
}
