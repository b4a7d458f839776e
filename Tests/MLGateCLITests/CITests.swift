import Foundation
import MLGateTestSupport
import Testing

@Suite("mlgate ci")
struct CITests {
    @Test("a push to main from a depth-1 clone registers, promotes, deploys and pushes; a worse pull request is refused and reports only")
    func mainThenPullRequest() throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        let main = try project.checkout()
        let push = try project.ci(in: main, try project.githubPush("main", sha: try project.fixture.head(in: main), work: project.fixture.base + "/gh1"))
        #expect(push.status == 0, "\(push)")
        #expect(try project.originTags().contains("m@v1.0.0"))
        #expect(try project.fixture.git(["--git-dir", project.origin, "show-ref", "refs/notes/mlgate"], in: project.fixture.base, check: false).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: project.served + "/current") == "versions/m-v1")
        let outputs = keyValues(project.fixture.read(project.fixture.base + "/gh1/output"))
        #expect(outputs["passed"] == "true" && outputs["version"] == "1" && outputs["model"] == "m", "\(outputs)")
        let summary = project.fixture.read(project.fixture.base + "/gh1/summary.md") ?? ""
        #expect(summary.contains("registered models:/m/1") && summary.contains("promoted to staging → production"), "\(summary)")
        #expect(push.stdout.contains("::notice title=mlgate m::"))
        // mlgate's own files do not make the run dirty, and stay out of git status.
        let status = try project.fixture.git(["status", "--porcelain", "--ignored"], in: main).stdout
        #expect(!status.contains(".mlgate") || status.contains("!! .mlgate/"), "\(status)")
        #expect(!status.contains("?? mlgate-reports"), "\(status)")

        // A worse model on a branch: the pull request's gate fails against version 1, and nothing is registered.
        try project.change(quality: 0.3, on: "worse")
        let pr = try project.checkout("worse")
        let base = try project.fixture.git(["--git-dir", project.origin, "rev-parse", "main"], in: project.fixture.base).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let variables = try project.githubPullRequest(5, branch: "worse", head: try project.fixture.head(in: pr), base: base, work: project.fixture.base + "/gh2")
        let refused = try project.ci(in: pr, variables)
        #expect(refused.status == 1, "\(refused)")
        #expect(try project.originTags().filter { $0.hasPrefix("m@") } == ["m@v1.0.0"])
        let json = try jsonObject(project.fixture.read(pr + "/mlgate-reports/gate.json") ?? "")
        #expect(json["passed"] as? Bool == false && json["action"] as? String == "report" && json["event"] as? String == "pull_request")
        #expect(json["pull_request"] as? Int == 5 && json["provider"] as? String == "github")
        let junit = project.fixture.read(pr + "/mlgate-reports/junit.xml") ?? ""
        #expect(junit.contains("<failure") && junit.contains("classname=\"mlgate.gate.m\""), "\(junit)")
        let prSummary = project.fixture.read(project.fixture.base + "/gh2/summary.md") ?? ""
        #expect(prSummary.contains("❌") && prSummary.contains("models:/m/1") && prSummary.contains("reported only (pull request)"), "\(prSummary)")
        // The HTML report beside the others, named by the summary: both models' curves and the failed evidence.
        let page = project.fixture.read(pr + "/mlgate-reports/gate-m.html") ?? ""
        #expect(page.contains("FAILED") && page.components(separatedBy: "<polyline").count - 1 == 4 && page.contains("models:/m/1"), "\(page.prefix(300))")
        #expect(prSummary.contains("mlgate-reports/gate-m.html"), "\(prSummary)")
        #expect(refused.stdout.contains("::error title=mlgate m::"))
        #expect(keyValues(project.fixture.read(pr + "/mlgate-reports/mlgate.env"))["MLGATE_PASSED"] == "false")
    }

    @Test("--retrain in a scheduled job on main registers what passes, with the reason in the audit log; a schedule without it, or a pull request with it, registers nothing")
    func retrainOnSchedule() throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        let main = try project.checkout()
        let head = try project.fixture.head(in: main)
        var scheduled = try project.githubPush("main", sha: head, work: project.fixture.base + "/gh-schedule")
        scheduled["GITHUB_EVENT_NAME"] = "schedule"
        let reportOnly = try project.ci(in: main, scheduled)
        #expect(reportOnly.status == 0, "\(reportOnly)")
        #expect(try jsonObject(project.fixture.read(main + "/mlgate-reports/gate.json") ?? "")["action"] as? String == "report")
        #expect(try project.originTags().filter { $0.hasPrefix("m@") }.isEmpty)

        // The same scheduled job on a pull request's checkout: refused before anything runs, exit 2, nothing registered.
        try project.change(quality: 0.7, on: "better")
        let pr = try project.checkout("better")
        let variables = try project.githubPullRequest(6, branch: "better", head: try project.fixture.head(in: pr), base: head, work: project.fixture.base + "/gh-pr")
        let refused = try project.ci(["--retrain", "drift in m"], in: pr, variables)
        #expect(refused.status == 2 && refused.stderr.contains("--retrain registers the retrained model"), "\(refused)")
        #expect(try project.originTags().filter { $0.hasPrefix("m@") }.isEmpty)

        let retrained = try project.ci(["--retrain", "drift in m (scheduled check)"], in: main, scheduled)
        #expect(retrained.status == 0, "\(retrained)")
        let json = try jsonObject(project.fixture.read(main + "/mlgate-reports/gate.json") ?? "")
        #expect(json["action"] as? String == "retrain" && json["event"] as? String == "manual", "\(json)")
        #expect(try project.originTags().contains("m@v1.0.0"))
        let audit = try jsonObject(try project.fixture.mlgate(["audit", "log", "--json"], in: main).stdout)["audit"] as? [[String: Any]] ?? []
        let registration = try #require(audit.first { $0["action"] as? String == "register" })
        #expect((registration["reason"] as? String)?.contains("retrained (drift in m (scheduled check)); passed its gate in CI") == true, "\(registration)")
    }

    @Test("a push of three commits to a depth-1 clone: history deepened until the previous commit, each commit's lineage and the run in refs/notes/mlgate on origin")
    func lineageInNotes() throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        let before = try project.fixture.head()
        var pushed: [String] = []
        for quality in [0.61, 0.62, 0.63] {
            try project.fixture.write("params.yaml", "quality: \(quality)\n")
            try project.fixture.git(["commit", "-q", "-am", "quality \(quality)"])
            pushed.append(try project.fixture.head())
        }
        try project.fixture.git(["push", "-q", "origin", "main"])
        let main = try project.checkout()
        let work = project.fixture.base + "/gh"
        var variables = try project.githubPush("main", sha: try project.fixture.head(in: main), work: work)
        try #"{"ref":"refs/heads/main","before":"\#(before)","repository":{"default_branch":"main"}}"#.write(toFile: work + "/event.json", atomically: true, encoding: .utf8)
        variables["GITHUB_EVENT_PATH"] = work + "/event.json"
        let result = try project.ci(in: main, variables)
        #expect(result.status == 0 && result.stderr.contains("deepened the clone by 50 commits"), "\(result)")
        for commit in pushed {
            let note = try project.fixture.git(["--git-dir", project.origin, "notes", "--ref=mlgate", "show", commit], in: project.fixture.base, check: false).stdout
            let expected = commit == pushed.last ? "\"action\":\"ci-run\"" : "\"action\":\"lineage\""
            #expect(note.contains(expected) && note.contains("\"provider\":\"github\""), "\(commit): \(note)")
        }
    }

    @Test("a shallow clone whose champion is in no object store fetches it from git; with it gone from git too: exit 3 naming the champion, where it looked and the fix")
    func championUnreachable() throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        let main = try project.checkout()
        #expect(try project.ci(in: main, try project.githubPush("main", sha: try project.fixture.head(in: main), work: project.fixture.base + "/gh1")).status == 0)
        // The shared object store loses its objects (a wiped volume); a pull request's fresh clone has no cache.
        try FileManager.default.removeItem(atPath: project.fixture.base + "/objects")
        try FileManager.default.createDirectory(atPath: project.fixture.base + "/objects", withIntermediateDirectories: true)
        try project.change(quality: 0.62, on: "next")
        let pr = try project.checkout("next")
        let head = try project.fixture.head(in: pr)
        let found = try project.ci(in: pr, try project.githubPullRequest(8, branch: "next", head: head, base: head, work: project.fixture.base + "/gh2"))
        #expect(found.status == 0 && found.stderr.contains("fetched from origin (refs/mlgate/objects/"), "\(found)")

        // Without the artifact refs on the remote either, the job cannot judge against the champion.
        let refs = try project.fixture.git(["--git-dir", project.origin, "for-each-ref", "--format=%(refname)", "refs/mlgate/objects/"], in: project.fixture.base)
            .stdout.split(separator: "\n").map(String.init)
        #expect(!refs.isEmpty)
        for ref in refs { try project.fixture.git(["--git-dir", project.origin, "update-ref", "-d", ref], in: project.fixture.base) }
        let again = try project.checkout("next")
        let tagsBefore = try project.originTags()
        let result = try project.ci(in: again, try project.githubPullRequest(8, branch: "next", head: head, base: head, work: project.fixture.base + "/gh3"))
        for part in ["models:/m/1", "the champion in production", "looked in .mlgate/objects", "remote.objects (../objects)", "refs/mlgate/objects/",
                     "mlgate models push", "docs/ci.md#artifacts"] {
            #expect(result.status == 3 && result.stderr.contains(part), "\(part): \(result)")
        }
        let json = try jsonObject(project.fixture.read(again + "/mlgate-reports/gate.json") ?? "")
        #expect((json["error"] as? String)?.contains("is not on this runner") == true, "\(json)")
        #expect(try project.originTags() == tagsBefore)
        // The link in the message leads somewhere.
        let guide = try String(contentsOfFile: repositoryRoot() + "/docs/ci.md", encoding: .utf8)
        #expect(guide.contains("\n## Artifacts"), "docs/ci.md has no Artifacts section for the #artifacts link")
    }

    @Test("the first pull request on a fresh runner: a champion registered and pushed from a laptop, with no shared object store, is judged against")
    func firstPullRequestOnAFreshRunner() throws {
        let project = try CIProject(config: CIProject.config().replacingOccurrences(of: "remote: {objects: ../objects}\n", with: ""))
        defer { project.fixture.remove() }
        let laptop = project.fixture
        #expect(try laptop.mlgate(["run"]).status == 0)
        #expect(try laptop.mlgate(["gate", "m", "--candidate", "1"]).status == 0)
        #expect(try laptop.mlgate(["models", "register", "m", "--run", "1"]).status == 0)
        #expect(try laptop.mlgate(["promote", "m", "1", "--to", "staging", "--reason", "first"]).status == 0)
        #expect(try laptop.mlgate(["promote", "m", "1", "--to", "production", "--reason", "first"]).status == 0)
        #expect(try laptop.mlgate(["models", "push"]).status == 0)
        try project.change(quality: 0.2, on: "worse")
        let pr = try project.checkout("worse")
        let head = try project.fixture.head(in: pr)
        let result = try project.ci(in: pr, try project.githubPullRequest(11, branch: "worse", head: head, base: head, work: project.fixture.base + "/gh"))
        // Judged against the champion (and found worse), not stopped for want of it.
        #expect(result.status == 1, "\(result)")
        let json = try jsonObject(project.fixture.read(pr + "/mlgate-reports/gate.json") ?? "")
        let verdict = (json["verdicts"] as? [[String: Any]])?.first
        #expect(((verdict?["champion"] as? [String: Any])?["name"] as? String)?.contains("models:/m/1") == true, "\(json)")
    }

    @Test("a deeper shallow clone keeps its history: a registry tag on a commit it already has is fetched without a new shallow boundary")
    func shallowHistoryKept() throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        for quality in [0.61, 0.62] {
            try project.fixture.write("params.yaml", "quality: \(quality)\n")
            try project.fixture.git(["commit", "-q", "-am", "quality \(quality)"])
        }
        try project.fixture.git(["push", "-q", "origin", "main"])
        let first = try project.checkout()
        #expect(try project.ci(in: first, try project.githubPush("main", sha: try project.fixture.head(in: first), work: project.fixture.base + "/gh1")).status == 0)
        for quality in [0.63, 0.64] {
            try project.fixture.write("params.yaml", "quality: \(quality)\n")
            try project.fixture.git(["commit", "-q", "-am", "quality \(quality)"])
        }
        try project.fixture.git(["push", "-q", "origin", "main"])
        // Four commits deep: the registration tag's commit is the third of them.
        let deep = project.fixture.base + "/ci-deep"
        try project.fixture.git(["clone", "-q", "--depth", "4", "file://" + project.origin, deep], in: project.fixture.base)
        let head = try project.fixture.head(in: deep)
        let result = try project.ci(in: deep, try project.githubPullRequest(4, branch: "main", head: head, base: head, work: project.fixture.base + "/gh2"))
        #expect(result.status == 0, "\(result)")
        let count = try project.fixture.git(["rev-list", "--count", "HEAD"], in: deep).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(count == "4", "the clone's history was cut to \(count) commits")
    }

    @Test("release gate: a version waiting for an approval is refused until it is approved elsewhere, then promoted and deployed")
    func releaseGate() throws {
        let project = try CIProject(config: CIProject.config(lifecycle: """
            stages: [staging, production]
                  production: {requires: {gate: passed, approvals: 1, branch: main}}
            """))
        defer { project.fixture.remove() }
        let main = try project.checkout()
        let push = try project.ci(in: main, try project.githubPush("main", sha: try project.fixture.head(in: main), work: project.fixture.base + "/gh1"))
        #expect(push.status == 0, "\(push)")
        let first = try jsonObject(project.fixture.read(main + "/mlgate-reports/gate.json") ?? "")
        let model = (first["models"] as? [[String: Any]])?.first ?? [:]
        #expect(model["stages"] as? [String] == ["staging"] && (model["waiting"] as? String)?.contains("approval") == true, "\(first)")
        #expect(!FileManager.default.fileExists(atPath: project.served + "/current"))

        let release = try project.checkout(name: "release")
        let variables = ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_REF": "refs/heads/main",
                         "GITHUB_SHA": try project.fixture.head(in: release)]
        let refused = try project.ci(["--release", "--stage", "production"], in: release, variables)
        #expect(refused.status == 1 && refused.stderr.contains("approval"), "\(refused)")

        // Someone forces the version into production and pushes the stage tag: the release job's sync refuses a
        // forced move from an unsigned tag, so a release on that tag releases nothing.
        try project.fixture.git(["fetch", "-q", "origin", "+refs/tags/*:refs/tags/*", "+refs/notes/mlgate:refs/notes/mlgate"])
        #expect(try project.fixture.mlgate(["models", "sync"]).status == 0)
        #expect(try project.fixture.mlgate(["promote", "m", "1", "--to", "production", "--force", "--reason", "hurry"]).status == 0)
        #expect(try project.fixture.mlgate(["models", "push"]).status == 0)
        let stageTag = try #require(try project.originTags().first { $0.hasPrefix("m#production#") })
        let tagged = try project.checkout(name: "tagged")
        let onTag = try project.ci(["--release"], in: tagged, ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/\(stageTag)",
                                                             "GITHUB_SHA": try project.fixture.head(in: tagged)])
        #expect(onTag.status == 1 && onTag.stderr.contains("forced promotion") && onTag.stderr.contains("refused by the registry's sync"), "\(onTag)")
        #expect(!FileManager.default.fileExists(atPath: project.served + "/current"))

        // A reviewer approves from their own clone; the approval travels in refs/notes/mlgate.
        #expect(try project.fixture.mlgate(["approve", "m", "1", "--stage", "production"]).status == 0)
        #expect(try project.fixture.mlgate(["models", "push"]).status == 0)

        let again = try project.checkout(name: "release2")
        let released = try project.ci(["--release", "--stage", "production"], in: again,
                                      variables.merging(["GITHUB_SHA": try project.fixture.head(in: again)]) { $1 })
        #expect(released.status == 0, "\(released)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: project.served + "/current") == "versions/m-v1")
        #expect(try project.originTags().contains { $0.hasPrefix("m#production#") })
    }

    @Test("a fork's pull request runs the base branch's commands without secrets: the canary is nowhere")
    func forkCanary() throws {
        let canary = "canary-" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        // The base branch's train command dumps its environment, to prove the secret is not in it.
        let project = try CIProject(config: CIProject.config(train: "sh -c 'env > env-dump.txt; cat /proc/$PPID/environ >> env-dump.txt; python3 train.py'"))
        defer { project.fixture.remove() }
        // The fork changes the command to leak the secret.
        try project.change(quality: 0.6, on: "evil", config: CIProject.config(train: "sh -c 'echo LEAK $SECRET_TOKEN > leak.txt; python3 train.py'"))
        let pr = try project.checkout("evil")
        let base = try project.fixture.git(["--git-dir", project.origin, "rev-parse", "main"], in: project.fixture.base).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var variables = try project.githubPullRequest(9, branch: "evil", head: try project.fixture.head(in: pr), base: base, fork: true,
                                                      work: project.fixture.base + "/gh")
        variables["SECRET_TOKEN"] = canary
        variables["GITHUB_TOKEN"] = canary + "-gh"
        let result = try project.ci(["--comment"], in: pr, variables)
        #expect(result.status == 0, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: pr + "/leak.txt"), "the fork's command ran")
        #expect(FileManager.default.fileExists(atPath: pr + "/env-dump.txt"), "the base branch's command did not run")
        #expect(result.stderr.contains("from a fork") && result.stderr.contains("without secrets"), "\(result)")
        // Nothing the step wrote holds the canary in any common encoding.
        let forms = [canary, Data(canary.utf8).base64EncodedString(), Data(canary.utf8).map { String(format: "%02x", $0) }.joined()]
        var leaks: [String] = []
        for (path, bytes) in try allFiles(under: project.fixture.base) {
            let text = String(decoding: bytes, as: UTF8.self)
            for form in forms where text.contains(form) && !path.hasSuffix("/event.json") { leaks.append(path) }
        }
        for form in forms where result.stdout.contains(form) || result.stderr.contains(form) { leaks.append("output") }
        #expect(leaks.isEmpty, "the canary leaked into \(leaks)")
    }

    @Test("with no remote and no provider variables: generic mode says what it assumed and works on local refs")
    func genericWithoutRemote() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.write("mlgate.yaml", CIProject.config().replacingOccurrences(of: "remote: {objects: ../objects}\n", with: ""))
        try fixture.write("train.py", CIProject.train)
        try fixture.write("predict.py", CIProject.predict)
        try fixture.write("params.yaml", "quality: 0.6\n")
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "model"])
        let result = try fixture.mlgate(["ci"], extraEnvironment: ["CI": "true"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("MLGATE_CI_EVENT") && result.stderr.contains("no git remote"), "\(result)")
        let json = try jsonObject(fixture.read("mlgate-reports/gate.json") ?? "")
        #expect(json["provider"] as? String == "generic" && json["branch"] as? String == "main")
        #expect((json["missing_variables"] as? [String])?.contains { $0.hasPrefix("MLGATE_CI_EVENT") } == true)
        // A push to main in generic mode registers locally.
        #expect(try fixture.git(["tag", "-l"]).stdout.contains("m@v1.0.0"))
    }

    @Test("--comment without a token goes on without the comment and says so; bad input exits 2 and writes the error into the report")
    func commentWithoutTokenAndBadInput() throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        let main = try project.checkout()
        let head = try project.fixture.head(in: main)
        let variables = try project.githubPullRequest(3, branch: "main", head: head, base: head, work: project.fixture.base + "/gh")
        let result = try project.ci(["--comment"], in: main, variables)
        #expect(result.status == 0 && result.stderr.contains("GITHUB_TOKEN is not set"), "\(result)")
        let bad = try project.ci(["--model", "nope"], in: main, variables)
        #expect(bad.status == 2 && bad.stderr.contains("no model 'nope'"), "\(bad)")
        let json = try jsonObject(project.fixture.read(main + "/mlgate-reports/gate.json") ?? "")
        #expect((json["error"] as? String)?.contains("no model 'nope'") == true)
        // Outside any repository: exit 2 or 3 with the reason, and gate.json still says why.
        let outside = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let nowhere = try project.ci([], in: outside, variables)
        #expect(nowhere.status != 0 && nowhere.status != 1, "\(nowhere)")
        let startup = try jsonObject(project.fixture.read(outside + "/mlgate-reports/gate.json") ?? "")
        #expect(startup["passed"] as? Bool == false && (startup["error"] as? String)?.isEmpty == false, "\(startup)")
        let unknown = try project.ci(["--provider", "teamcity"], in: main, [:])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown provider"), "\(unknown)")
    }
}

/// Every regular file under `directory` (git's object store excluded: its contents are compressed).
func allFiles(under directory: String) throws -> [(String, Data)] {
    var files: [(String, Data)] = []
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
    for case let relative as String in enumerator where !relative.contains(".git/objects") {
        let path = directory + "/" + relative
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else { continue }
        files.append((path, data))
    }
    return files
}

/// The fake GitHub/GitLab API of MLGateNotifyTests, run for end-to-end comment tests.
final class FakeForgeServer {
    let server: LoopbackScript
    let log: String

    /// The port it listens on.
    var port: Int { server.port }

    init(_ arguments: [String]) throws {
        log = try GitFixture.makeTemporaryDirectory() + "/requests.jsonl"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MLGateNotifyTests/fake_forge.py").path
        server = try LoopbackScript(script, [log] + arguments)
    }

    /// Each request as (method, path, body).
    func requests() -> [(method: String, path: String, body: String)] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
            return (object["method"] as? String ?? "", object["path"] as? String ?? "", object["body"] as? String ?? "")
        }
    }

    /// Stops the server.
    func stop() { server.stop() }
}

@Suite("mlgate ci --comment")
struct CICommentTests {
    @Test("posts one sticky comment through the API (after 5xx retries), edits it on the next run; a 403 never changes the verdict")
    func stickyComment() throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        let server = try FakeForgeServer(["--fail-first", "2", "--token", "token-abcdefgh-123"])
        defer { server.stop() }
        let main = try project.checkout()
        let head = try project.fixture.head(in: main)
        var variables = try project.githubPullRequest(7, branch: "main", head: head, base: head, work: project.fixture.base + "/gh")
        variables["GITHUB_API_URL"] = "http://127.0.0.1:\(server.port)"
        variables["GITHUB_TOKEN"] = "token-abcdefgh-123"
        variables["MLGATE_HTTP_BACKOFF_MS"] = "10"
        let first = try project.ci(["--comment"], in: main, variables)
        #expect(first.status == 0 && first.stderr.contains("posted comment"), "\(first)")
        let second = try project.ci(["--comment"], in: main, variables)
        #expect(second.status == 0 && second.stderr.contains("updated comment"), "\(second)")
        let writes = server.requests().filter { $0.method != "GET" }
        #expect(writes.map(\.method).suffix(2) == ["POST", "PATCH"], "\(writes.map(\.method))")
        #expect(writes.last?.path.hasPrefix("/repos/acme/churn/issues/comments/") == true)
        #expect(writes.last?.body.contains("mlgate:gate") == true && writes.last?.body.contains("mlgate gate") == true)
        let json = try jsonObject(project.fixture.read(main + "/mlgate-reports/gate.json") ?? "")
        #expect((json["comment"] as? String)?.contains("updated comment") == true, "\(json)")
        for (path, data) in try allFiles(under: main + "/mlgate-reports") {
            #expect(!String(decoding: data, as: UTF8.self).contains("token-abcdefgh-123"), "token in \(path)")
        }

        let refusing = try FakeForgeServer(["--always", "403"])
        defer { refusing.stop() }
        variables["GITHUB_API_URL"] = "http://127.0.0.1:\(refusing.port)"
        let forbidden = try project.ci(["--comment"], in: main, variables)
        #expect(forbidden.status == 0 && forbidden.stderr.contains("403"), "\(forbidden)")
        #expect(!forbidden.stderr.contains("token-abcdefgh-123") && !forbidden.stdout.contains("token-abcdefgh-123"))
    }

    @Test("GitLab: the merge request note goes to CI_API_V4_URL with MLGATE_GITLAB_TOKEN, under the recorded GitLab environment")
    func gitlabNote() throws {
        let project = try CIProject()
        defer { project.fixture.remove() }
        let server = try FakeForgeServer(["--token", "glpat-abcdefgh12345"])
        defer { server.stop() }
        let (result, _, _) = try CIFixtures.run("gitlab-pr", arguments: ["--comment"], project: project,
                                                extra: ["CI_API_V4_URL": "http://127.0.0.1:\(server.port)/api/v4", "MLGATE_GITLAB_TOKEN": "glpat-abcdefgh12345"])
        #expect(result.status == 0 && result.stderr.contains("posted comment"), "\(result)")
        let posts = server.requests().filter { $0.method == "POST" }
        #expect(posts.map(\.path) == ["/api/v4/projects/50000001/merge_requests/42/notes"], "\(posts.map(\.path))")
        #expect(posts.first?.body.contains("mlgate:gate") == true)
    }
}

@Suite("monitor profiles travel with the registry")
struct ProfileTravelTests {
    @Test("a clone that syncs the registry checks against the champion's profile, fetched from remote.objects; before the objects are pushed it warns and reads its files")
    func profileTravels() throws {
        let project = try CIProject(config: CIProject.retrainingConfig("remote: {objects: ../objects}\n"))
        defer { project.fixture.remove() }
        let laptop = project.fixture
        let reference = "id,x\n" + (0..<300).map { "r\($0),\($0 % 30)" }.joined(separator: "\n") + "\n"
        try laptop.write("reference.csv", reference)
        try laptop.write("shifted.csv", reference)
        try laptop.git(["add", "-A"])
        try laptop.git(["commit", "-q", "-m", "monitor data"])
        try laptop.git(["push", "-q", "origin", "main"])
        try CIProject.crownFirstVersion(laptop)
        #expect(try laptop.mlgate(["models", "push"]).status == 0)

        // The clone's reference file moves away from what version 1 was registered with.
        let early = try project.checkout(name: "early")
        try laptop.write(early + "/reference.csv", "id,x\n" + (0..<300).map { "r\($0),\(100 + $0 % 30)" }.joined(separator: "\n") + "\n")
        #expect(try laptop.mlgate(["models", "sync"], in: early).status == 0)
        let unfetched = try laptop.mlgate(["monitor", "check", "m", "--json"], in: early)
        #expect(unfetched.stderr.contains("is not in this object store, so this check reads the monitor's files"), "\(unfetched)")
        #expect(try jsonObject(unfetched.stdout)["reference"] as? String == "reference.csv")

        #expect(try laptop.mlgate(["push"]).status == 0)
        let late = try project.checkout(name: "late")
        try laptop.write(late + "/reference.csv", "id,x\n" + (0..<300).map { "r\($0),\(100 + $0 % 30)" }.joined(separator: "\n") + "\n")
        #expect(try laptop.mlgate(["models", "sync"], in: late).status == 0)
        let fetched = try laptop.mlgate(["monitor", "check", "m", "--json"], in: late)
        #expect(fetched.status == 0, "the registered reference, not the moved file: \(fetched)")
        #expect(try jsonObject(fetched.stdout)["reference"] as? String == "profile of models:/m/1 (reference.csv)", "\(fetched)")
    }
}
