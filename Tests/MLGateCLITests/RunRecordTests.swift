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
