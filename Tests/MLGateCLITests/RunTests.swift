import Foundation
import MLGateTestSupport
import Testing

@Suite("mlgate run and mlgate runs")
struct RunTests {
    @Test("the first run runs every stage, records it and writes mlgate.lock; the second does nothing")
    func firstAndSecondRun() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        let first = try fixture.mlgate(["run"])
        #expect(first.status == 0, "\(first)")
        #expect(first.stderr.contains("[prepare] prepared") && first.stderr.contains("[train] trained"), "\(first)")
        #expect(fixture.read("model.bin") == "a,b\n1,2\nlr: 0.1\n")
        let lock = try #require(fixture.read("mlgate.lock"))
        #expect(lock.contains("\"prepare\":") && lock.contains("\"train\":") && lock.contains(#"key: "lr", value: 0.1"#))

        let second = try fixture.mlgate(["run"])
        #expect(second.status == 0 && second.stderr.contains("Everything is up to date."), "\(second)")
        #expect(fixture.read("mlgate.lock") == lock)

        let recorded = try runs(fixture)
        #expect(recorded.count == 1)
        let run = try #require(recorded.first)
        #expect(run["status"] as? String == "succeeded")
        #expect(outcomes(run) == ["prepare": "ran", "train": "ran"])
        let tags = try #require(run["tags"] as? [String: String])
        #expect(tags["mlflow.source.git.commit"] == (try fixture.head()))
        #expect(tags["mlflow.source.git.branch"] == "main")
        #expect(tags["mlflow.source.git.dirty"] == "true")  // mlgate init edited .gitignore
        #expect((run["metrics"] as? [String: Double])?["score"] == 0.9)
        #expect((run["params"] as? [String: String])?["lr"] == "0.1")
        let shown = try fixture.mlgate(["runs", "show", "1", "--log"])
        #expect(shown.stdout.contains("[train] trained"), "\(shown)")
        #expect(try fixture.mlgate(["runs", "show", "1", "--diff"]).stdout.contains(".mlgate/"))
    }

    @Test("a parameter change re-runs only the stage that reads it; going back restores from the run cache")
    func runCache() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["run"]).status == 0)
        try fixture.write("params.yaml", "lr: 0.2\n")
        let changed = try fixture.mlgate(["run"])
        #expect(changed.status == 0 && changed.stderr.contains("parameters changed: lr"), "\(changed)")
        #expect(outcomes(try runs(fixture)[0]) == ["prepare": "skipped", "train": "ran"])
        #expect(fixture.read("model.bin")?.hasSuffix("lr: 0.2\n") == true)

        try fixture.write("params.yaml", "lr: 0.1\n")
        let back = try fixture.mlgate(["run"])
        #expect(back.status == 0 && !back.stderr.contains("[train] trained"), "\(back)")
        #expect(outcomes(try runs(fixture)[0]) == ["prepare": "skipped", "train": "restored"])
        #expect(fixture.read("model.bin") == "a,b\n1,2\nlr: 0.1\n")

        // A deleted output comes back from the store without running anything.
        try FileManager.default.removeItem(atPath: fixture.root + "/data")
        let restored = try fixture.mlgate(["run"])
        #expect(restored.status == 0 && !restored.stderr.contains("[prepare] prepared"), "\(restored)")
        #expect(fixture.read("data/clean.txt") == "a,b\n1,2\n")

        let difference = try jsonObject(try fixture.mlgate(["runs", "diff", "1", "2", "--json"]).stdout)
        #expect((difference["params"] as? [[String: Any]])?.first?["new"] as? String == "0.2")
    }

    @Test("--force, --dry-run, stage targets and --downstream")
    func options() throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        let dry = try fixture.mlgate(["run", "--dry-run"])
        #expect(dry.status == 0 && dry.stderr.contains("would run"), "\(dry)")
        #expect(fixture.read("mlgate.lock") == nil && fixture.read("model.bin") == nil)
        #expect(try runs(fixture).isEmpty)

        #expect(try fixture.mlgate(["run", "prepare"]).status == 0)
        #expect(fixture.read("model.bin") == nil)
        let downstream = try fixture.mlgate(["run", "--force", "--downstream", "train"])
        #expect(downstream.status == 0 && !downstream.stderr.contains("[prepare]"), "\(downstream)")
        let forced = try fixture.mlgate(["run", "--force"])
        #expect(forced.stderr.contains("[prepare] prepared") && forced.stderr.contains("[train] trained"), "\(forced)")
        #expect(try fixture.mlgate(["run", "nope"]).status == 2)
    }

    @Test("an argv command runs without a shell; wdir and env reach it")
    func argvCommand() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              echo:
                wdir: sub
                cmd: [sh, -c, 'printf "%s|%s|%s" "$1" "$GREETING" "$(basename "$PWD")" > out.txt', argv0, "two words; $HOME"]
                env: {GREETING: hello}
                outs: [out.txt]
            """, files: ["sub/.keep": ""])
        defer { fixture.remove() }
        let result = try fixture.mlgate(["run"])
        #expect(result.status == 0, "\(result)")
        #expect(fixture.read("sub/out.txt") == "two words; $HOME|hello|sub")
    }

    @Test("bad input is refused with exit 2 and changes nothing", arguments: [
        ("deps: [missing.csv]", "depends on 'missing.csv', which does not exist"),
        ("params: [momentum]", "'momentum'"),
        ("metrics: [../outside.txt]", "outside the repository"),
        ("deps: [out.txt]", "reads 'out.txt', which it writes itself"),
        ("deps: [b.txt]\n  other: {cmd: y, deps: [out.txt], outs: [b.txt]}", "cycle: only → other → only"),
    ])
    func refusals(_ line: String, message: String) throws {
        let fixture = try pipelineRepository()
        defer { fixture.remove() }
        try replaceConfig(fixture, """
            version: 1
            stages:
              only:
                cmd: echo ran > out.txt
                outs: [out.txt]
                \(line)
            """)
        let before = try snapshot(of: fixture.root)
        let result = try fixture.mlgate(["run"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(try snapshot(of: fixture.root).filter { !$0.key.hasPrefix(".mlgate/") } == before.filter { !$0.key.hasPrefix(".mlgate/") })
        #expect(try runs(fixture).isEmpty)
    }

    @Test("a failing command or a missing output fails the run (exit 1), caches nothing and keeps the lock")
    func failures() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              good: {cmd: echo ok > good.txt, outs: [good.txt]}
              lazy: {cmd: echo forgot, deps: [good.txt], outs: [result.txt]}
            """)
        defer { fixture.remove() }
        let result = try fixture.mlgate(["run"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("did not write its declared output 'result.txt'"), "\(result)")
        let run = try #require(try runs(fixture).first)
        #expect(run["status"] as? String == "failed" && outcomes(run) == ["good": "ran", "lazy": "failed"])
        let lock = try #require(fixture.read("mlgate.lock"))
        #expect(lock.contains("\"good\":") && !lock.contains("\"lazy\":"))

        try fixture.write("mlgate.yaml", """
            version: 1
            stages:
              good: {cmd: echo ok > good.txt, outs: [good.txt]}
              lazy: {cmd: 'echo partial > result.txt; exit 3', deps: [good.txt], outs: [result.txt]}
            """)
        let failed = try fixture.mlgate(["run"])
        #expect(failed.status == 1 && failed.stderr.contains("exited with status 3"), "\(failed)")
        #expect(!objectContents(fixture).contains("partial\n"), "a failed stage's output was cached")
        #expect(try fixture.mlgate(["run", "--dry-run"]).stderr.contains("lazy would run"))
    }

    @Test("Ctrl-C stops the command's whole process group and records the run as cancelled")
    func cancel() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              slow: {cmd: 'echo started; sleep 30 & echo $! > sleeper.pid; wait', outs: [never.txt]}
            """)
        defer { fixture.remove() }
        let run = try fixture.startMlgate(["run"])
        #expect(run.waitUntil { run.stderr.contains("[slow] started") && fixture.read("sleeper.pid") != nil })
        usleep(100_000)
        run.send(SIGINT)
        let result = run.wait()
        #expect(result.status == 130, "\(result)")
        let sleeper = try #require(Int32(fixture.read("sleeper.pid")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        usleep(200_000)
        #expect(processEnded(sleeper), "the background sleep survived")
        let recorded = try #require(try runs(fixture).first)
        #expect(recorded["status"] as? String == "cancelled" && outcomes(recorded) == ["slow": "cancelled"])
    }

    @Test("a second run in the same worktree waits for the first, or with --no-wait says who holds it")
    func runLock() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              slow: {cmd: 'echo started; sleep 1; echo done > out.txt', outs: [out.txt], always_changed: true}
            """)
        defer { fixture.remove() }
        let first = try fixture.startMlgate(["run"])
        #expect(first.waitUntil { first.stderr.contains("[slow] started") })
        let refused = try fixture.mlgate(["run", "--no-wait"])
        #expect(refused.status == 3 && refused.stderr.contains("pid \(first.pid)"), "\(refused)")
        let waited = try fixture.mlgate(["run"])
        #expect(waited.status == 0 && waited.stderr.contains("waiting for mlgate run (pid \(first.pid)"), "\(waited)")
        #expect(first.wait().status == 0)
    }

    @Test("an environment file is part of the memo; pins that do not match warn, or fail the stage in strict mode")
    func environments() throws {
        let config = """
            version: 1
            stages:
              fit:
                cmd: echo fitted > out.txt
                outs: [out.txt]
                environment: {file: requirements.txt, check: CHECK}
            """
        let fixture = try pipelineRepository(config.replacingOccurrences(of: "CHECK", with: "warn"),
                                             files: ["requirements.txt": "# pinned\nsurely-not-installed-pkg==1.0\n"])
        defer { fixture.remove() }
        let warned = try fixture.mlgate(["run"])
        #expect(warned.status == 0, "\(warned)")
        #expect(warned.stderr.contains("surely-not-installed-pkg: wants 1.0, not installed"), "\(warned)")
        let run = try #require(try runs(fixture).first)
        let environment = try #require(run["environment"] as? [String: Any])
        #expect((environment["python"] as? String)?.hasPrefix("Python 3") == true)
        #expect(environment["packages_tool"] as? String == "pip freeze")

        try fixture.write("requirements.txt", "surely-not-installed-pkg==2.0\n")
        let rerun = try fixture.mlgate(["run", "--dry-run"])
        #expect(rerun.stderr.contains("environment file changed"), "\(rerun)")
        try fixture.write("mlgate.yaml", config.replacingOccurrences(of: "CHECK", with: "strict"))
        let strict = try fixture.mlgate(["run"])
        #expect(strict.status == 1 && strict.stderr.contains("(check: strict)"), "\(strict)")
    }
}
