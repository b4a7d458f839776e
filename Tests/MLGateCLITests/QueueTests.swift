import Foundation
import MLGateTestSupport
import Testing

/// A pipeline repository with a bare remote as `origin`.
func repositoryWithRemote(_ config: String = twoStagePipeline, files: [String: String] = defaultFiles) throws -> GitFixture {
    let fixture = try pipelineRepository(config, files: files)
    try fixture.git(["init", "-q", "--bare", fixture.base + "/remote.git"], in: fixture.base)
    try fixture.git(["remote", "add", "origin", fixture.base + "/remote.git"])
    return fixture
}

/// `mlgate queue --all --json`'s jobs, newest first.
func jobs(_ fixture: GitFixture) throws -> [[String: Any]] {
    let result = try fixture.mlgate(["queue", "--all", "--json"])
    guard result.status == 0 else { throw TestSupportError("queue failed: \(result)") }
    return try jsonObject(result.stdout)["jobs"] as? [[String: Any]] ?? []
}

@Suite("training triggered by git push: queue, worker, trust")
struct QueueTests {
    static let noWorker = twoStagePipeline.replacingOccurrences(of: "version: 1\n", with: "version: 1\nhooks: {start_worker: false}\n")

    @Test("a push that touches a stage's inputs queues a job; unapproved commands wait for 'mlgate trust'; the worker runs it")
    func pushQueuesAndWorkerRuns() throws {
        let fixture = try repositoryWithRemote(Self.noWorker)
        defer { fixture.remove() }
        try fixture.write("raw.txt", "a,b\n3,4\n")
        try fixture.git(["commit", "-q", "-am", "new data"])
        let pushed = try fixture.git(["push", "-q", "origin", "main"], extraEnvironment: ["CI": ""])
        #expect(pushed.stderr.contains("not approved") && pushed.stderr.contains("mlgate trust"), "\(pushed)")
        var queued = try jobs(fixture)
        #expect(queued.count == 1)
        #expect(queued.first?["status"] as? String == "untrusted")
        #expect(queued.first?["commit"] as? String == (try fixture.head()))
        #expect(queued.first?["stages"] as? [String] == ["prepare", "train"])  // the first push carries mlgate.yaml itself

        // The worker refuses nothing it was not asked to run: an untrusted job stays untouched.
        #expect(try fixture.mlgate(["worker"]).status == 0)
        #expect(try jobs(fixture).first?["status"] as? String == "untrusted")

        let trusted = try fixture.mlgate(["trust"])
        #expect(trusted.status == 0 && trusted.stdout.contains("1 waiting job queued again"), "\(trusted)")
        let worker = try fixture.mlgate(["worker"])
        #expect(worker.status == 0 && worker.stderr.contains("job 1: succeeded"), "\(worker)")
        queued = try jobs(fixture)
        #expect(queued.first?["status"] as? String == "succeeded")
        let run = try #require(try runs(fixture).first)
        #expect(run["trigger"] as? String == "worker")
        #expect((run["source"] as? [String: Any])?["commit"] as? String == (try fixture.head()))
        #expect((run["source"] as? [String: Any])?["dirty"] as? Bool == false)
        // The developer's worktree was not touched by the worker.
        #expect(fixture.read("model.bin") == nil && fixture.read("mlgate.lock") == nil)

        // A push that changes nothing a stage reads queues nothing.
        try fixture.write("README.md", "notes\n")
        try fixture.git(["add", "README.md"])
        try fixture.git(["commit", "-q", "-m", "notes"])
        let quiet = try fixture.git(["push", "-q", "origin", "main"], extraEnvironment: ["CI": ""])
        #expect(!quiet.stderr.contains("queued"), "\(quiet)")
        #expect(try jobs(fixture).count == 1)
    }

    @Test("strict mode blocks a push whose commands are not approved; the remote keeps its ref")
    func strictBlocks() throws {
        let fixture = try repositoryWithRemote(Self.noWorker.replacingOccurrences(of: "hooks: {start_worker: false}", with: "hooks: {start_worker: false, pre_push: strict}"))
        defer { fixture.remove() }
        try fixture.write("params.yaml", "lr: 0.3\n")
        try fixture.git(["commit", "-q", "-am", "lr"])
        let blocked = try fixture.git(["push", "-q", "origin", "main"], check: false, extraEnvironment: ["CI": ""])
        #expect(blocked.status != 0 && blocked.stderr.contains("error: job"), "\(blocked)")
        let remoteHead = try fixture.git(["--git-dir", fixture.base + "/remote.git", "rev-parse", "--verify", "-q", "refs/heads/main"], check: false)
        #expect(remoteHead.status != 0)
        #expect(try fixture.mlgate(["trust"]).status == 0)
        #expect(try fixture.git(["push", "-q", "origin", "main"], check: false, extraEnvironment: ["CI": ""]).status == 0)
        #expect(try fixture.mlgate(["queue", "cancel", "1"]).stdout.contains("cancelled job 1"))
        #expect(try jobs(fixture).first?["status"] as? String == "cancelled")
    }

    @Test("a push starts a detached worker that runs the job (the demo's loop)")
    func detachedWorker() throws {
        let fixture = try repositoryWithRemote()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["trust"]).status == 0)
        try fixture.write("params.yaml", "lr: 0.4\n")
        try fixture.git(["commit", "-q", "-am", "lr"])
        let pushed = try fixture.git(["push", "-q", "origin", "main"], extraEnvironment: ["CI": ""])
        #expect(pushed.stderr.contains("queued training job 1"), "\(pushed)")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try jobs(fixture).first?["status"] as? String) != "succeeded" { usleep(100_000) }
        #expect(try jobs(fixture).first?["status"] as? String == "succeeded")
        #expect(fixture.read(".mlgate/logs/worker.log")?.contains("job 1: succeeded") == true)
    }

    @Test("a worker killed with kill -9 mid-job leaves the job to the next worker; a live lease is never shared")
    func leaseSurvivesKill() throws {
        let config = """
            version: 1
            hooks: {start_worker: false}
            stages:
              slow: {cmd: sh slow.sh, deps: [slow.sh], outs: [out.txt]}
            """
        let fixture = try repositoryWithRemote(config, files: ["slow.sh": "echo started\nsleep 2\necho done > out.txt\n"])
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["trust"]).status == 0)
        try fixture.write("slow.sh", "echo started\nsleep 2\necho done again > out.txt\n")
        try fixture.git(["commit", "-q", "-am", "slower"])
        #expect(try fixture.git(["push", "-q", "origin", "main"], extraEnvironment: ["CI": ""]).status == 0)
        #expect(try fixture.mlgate(["trust"]).status == 0)

        let first = try fixture.startMlgate(["worker"])
        #expect(first.waitUntil { first.stderr.contains("[slow] started") })
        // While the first worker holds the lease, a second one finds nothing to take.
        let second = try fixture.mlgate(["worker", "--max-jobs", "1"])
        #expect(second.status == 0 && second.stderr.contains("0 jobs run"), "\(second)")
        first.send(SIGKILL)
        _ = first.wait()
        #expect(try jobs(fixture).first?["status"] as? String == "running")

        let third = try fixture.mlgate(["worker"])
        #expect(third.status == 0 && third.stderr.contains("job 1: succeeded"), "\(third)")
        let job = try #require(try jobs(fixture).first)
        #expect(job["status"] as? String == "succeeded" && job["attempts"] as? Int == 2)
        let statuses = try runs(fixture).compactMap { $0["status"] as? String }
        #expect(statuses == ["succeeded", "abandoned"])
    }
}
