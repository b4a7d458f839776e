import Foundation
import MLGateTestSupport
import Testing

/// What a run record says about runs that were killed, stages that did not run, and the lock mlgate wrote.
@Suite("run records")
struct RunRecordTests {
    /// A `python3` on PATH that answers the environment probe slowly while `SLOW_PROBE` names a marker file
    /// (touched when the probe starts), and runs nothing: each call exits once its caller has gone.
    private func slowPython(_ fixture: GitFixture) throws -> String {
        let folder = fixture.base + "/fakebin"
        try fixture.write(folder + "/python3", """
            #!/bin/sh
            if [ "$1" = "--version" ] && [ -n "$SLOW_PROBE" ]; then
              touch "$SLOW_PROBE"
              while kill -0 $PPID 2>/dev/null; do sleep 0.05; done
              exit 1
            fi
            [ "$1" = "--version" ] && echo "Python 3.99.0"
            [ "$1" = "train.py" ] && echo trained > model.txt
            exit 0

            """, mode: 0o755)
        return folder
    }

    @Test("a run killed with SIGKILL before its first stage ends is recorded, and the next run marks it abandoned")
    func killedBeforeFirstStage() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              train: {cmd: python3 train.py, outs: [model.txt]}
            """)
        defer { fixture.remove() }
        let fakes = try slowPython(fixture)
        let marker = fixture.base + "/probe-started"
        let path = fakes + ":" + (fixture.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try fixture.startMlgate(["run"], extraEnvironment: ["PATH": path, "SLOW_PROBE": marker])
        #expect(run.waitUntil { FileManager.default.fileExists(atPath: marker) }, "the probe never started: \(run.stderr)")
        run.send(SIGKILL)
        #expect(run.wait().status == 128 + SIGKILL)
        let killed = try runs(fixture)
        #expect(killed.count == 1 && killed.first?["status"] as? String == "running", "\(killed)")

        let next = try fixture.mlgate(["run"], extraEnvironment: ["PATH": path])
        #expect(next.status == 0, "\(next)")
        let recorded = try runs(fixture)
        #expect(recorded.map { $0["run"] as? Int } == [2, 1])
        #expect(recorded.map { $0["status"] as? String } == ["succeeded", "abandoned"])
        #expect((recorded.last?["message"] as? String)?.contains("ended without finishing") == true)
        // The run's facts found after it was recorded are in its record.
        #expect((recorded.first?["environment"] as? [String: Any])?["python"] as? String == "Python 3.99.0")
        #expect((recorded.first?["tags"] as? [String: String])?["mlflow.source.git.commit"] == (try fixture.head()))

        // A no-op run still records nothing.
        let idle = try fixture.mlgate(["run"], extraEnvironment: ["PATH": path])
        #expect(idle.status == 0 && idle.stderr.contains("Everything is up to date."), "\(idle)")
        #expect(try runs(fixture).count == 2)
    }
}

/// A run record's metrics: every stage's, marked with where they come from.
@Suite("metrics of stages that did not run")
struct CarriedMetricsTests {
    /// `twoStagePipeline` plus an independent stage, so a run can do work while `train` stays up to date.
    static let pipeline = twoStagePipeline + """

          other:
            cmd: cp other.txt other.out
            deps: [other.txt]
            outs: [other.out]
        """

    /// The metric `name` of a run as `runs --json` prints it: its value and its source.
    private func metric(_ run: [String: Any], _ name: String) -> (value: Double?, source: String?) {
        ((run["metrics"] as? [String: Double])?[name], (run["metric_sources"] as? [String: String])?[name])
    }

    @Test("an up-to-date stage's metrics come from mlgate.lock, a restored one's from the run cache, marked in JSON and tables")
    func carried() throws {
        let fixture = try pipelineRepository(Self.pipeline, files: defaultFiles.merging(["other.txt": "1\n"]) { $1 })
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        #expect(metric(try runs(fixture)[0], "score") == (0.9, "ran"))

        try fixture.write("other.txt", "2\n")
        #expect(try fixture.mlgate(["run"]).status == 0)
        let second = try runs(fixture)[0]
        #expect(outcomes(second) == ["prepare": "skipped", "train": "skipped", "other": "ran"])
        #expect(metric(second, "score") == (0.9, "mlgate.lock"))
        let train = try #require((second["stages"] as? [[String: Any]])?.first { $0["stage"] as? String == "train" })
        let carried = try #require((train["metrics"] as? [[String: Any]])?.first { $0["name"] as? String == "score" })
        #expect(carried["source"] as? String == "mlgate.lock" && carried["file"] as? String == "metrics.json")
        // runs diff no longer sees the metric vanish.
        let difference = try jsonObject(try fixture.mlgate(["runs", "diff", "1", "2", "--json"]).stdout)
        #expect((difference["metrics"] as? [[String: Any]])?.isEmpty == true, "\(difference)")

        try fixture.write("params.yaml", "lr: 0.25\n")
        #expect(try fixture.mlgate(["run"]).status == 0)
        try fixture.write("params.yaml", "lr: 0.1\n")
        #expect(try fixture.mlgate(["run"]).status == 0)
        let restored = try runs(fixture)[0]
        #expect(outcomes(restored)["train"] == "restored")
        #expect(metric(restored, "score") == (0.9, "run cache"))

        let changed = try jsonObject(try fixture.mlgate(["runs", "diff", "3", "4", "--json"]).stdout)
        let size = try #require((changed["metrics"] as? [[String: Any]])?.first { $0["name"] as? String == "size" })
        #expect(size["old_source"] as? String == "ran" && size["new_source"] as? String == "run cache", "\(size)")
        let table = try fixture.mlgate(["runs", "diff", "3", "4"])
        #expect(table.stdout.contains("*") && table.stdout.contains("carried over: the stage did not run"), "\(table)")
        let list = try fixture.mlgate(["runs"])
        #expect(list.stdout.contains("score=0.9*") && list.stdout.contains("carried over"), "\(list)")
        let shown = try fixture.mlgate(["runs", "show", "2"])
        #expect(shown.stdout.contains("score = 0.9  (metrics.json, from mlgate.lock: the stage did not run)"), "\(shown)")
    }
}

/// mlgate's own `mlgate.lock` does not make a run dirty; real uncommitted changes do, and registering such a run warns.
@Suite("dirty runs and mlgate.lock")
struct LockDirtinessTests {
    /// The `source` of the newest run as `runs --json` prints it, and its MLflow dirty tag.
    private func newestSource(_ fixture: GitFixture) throws -> (dirty: Bool?, reason: String?, tag: String?) {
        let run = try #require(try runs(fixture).first)
        let source = run["source"] as? [String: Any]
        return (source?["dirty"] as? Bool, source?["dirty_reason"] as? String, (run["tags"] as? [String: String])?["mlflow.source.git.dirty"])
    }

    @Test("init says to commit; the first run says once to commit mlgate.lock; a lock-only difference is not dirty; real changes are, and registering them warns")
    func lockOnly() throws {
        let fixture = try registryRepository()
        defer { fixture.remove() }
        try fixture.git(["add", ".gitignore"])
        try fixture.git(["commit", "-q", "-m", "ignore .mlgate"])

        let first = try fixture.mlgate(["run"])
        #expect(first.status == 0, "\(first)")
        #expect(first.stderr.contains("wrote mlgate.lock: commit it with your code (git add mlgate.lock)"), "\(first)")
        #expect(try newestSource(fixture) == (false, nil, "false"))

        try fixture.write("params.yaml", "lr: 0.2\n")
        try fixture.git(["commit", "-q", "-am", "lr 0.2"])
        let second = try fixture.mlgate(["run"])
        #expect(second.status == 0, "\(second)")
        #expect(!second.stderr.contains("wrote mlgate.lock"), "said twice: \(second)")
        #expect(second.stderr.contains("only mlgate.lock differs from the commit; the run is not dirty"), "\(second)")
        #expect(try newestSource(fixture) == (false, "mlgate.lock", "false"))
        let shown = try fixture.mlgate(["runs", "show", "2"])
        #expect(shown.stdout.contains("only mlgate.lock differed from it (not dirty; commit the lock)"), "\(shown)")
        let clean = try fixture.mlgate(["models", "register", "churn", "--run", "2"])
        #expect(clean.status == 0 && !clean.stderr.contains("warning"), "\(clean)")

        try fixture.git(["add", "mlgate.lock"])
        try fixture.git(["commit", "-q", "-m", "lock"])
        try fixture.write("params.yaml", "lr: 0.3\n")
        let third = try fixture.mlgate(["run"])
        #expect(third.status == 0 && third.stderr.contains("with uncommitted changes"), "\(third)")
        #expect(try newestSource(fixture) == (true, "changes", "true"))
        let list = try fixture.mlgate(["runs"])
        #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("3 ") && $0.contains("+") }, "\(list)")
        let dirty = try fixture.mlgate(["models", "register", "churn", "--run", "3"])
        #expect(dirty.status == 0, "\(dirty)")
        #expect(dirty.stderr.contains("warning: run 3 ran with uncommitted changes"), "\(dirty)")
        #expect(dirty.stderr.contains("mlgate runs show 3 --diff"), "\(dirty)")
    }

    @Test("mlgate init tells what to commit, mlgate.lock included")
    func initSaysCommit() throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try fixture.commit("first")
        let result = try fixture.mlgate(["init"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Next: commit mlgate.yaml and .gitignore (git add mlgate.yaml .gitignore && git commit -m 'Set up mlgate')."), "\(result)")
        #expect(result.stdout.contains("After the first 'mlgate run', commit mlgate.lock too"), "\(result)")
    }
}
