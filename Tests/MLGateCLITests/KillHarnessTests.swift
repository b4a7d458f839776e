import Foundation
import MLGateTestSupport
import Testing

@Suite("kill -9 during caching and recording")
struct KillHarnessTests {
    /// Rounds of the harness: `MLGATE_KILL_ROUNDS` (.ci/run sets 120), 12 by default.
    static let rounds = ProcessInfo.processInfo.environment["MLGATE_KILL_ROUNDS"].flatMap(Int.init) ?? 12

    @Test("random kills leave no torn object, no lost acknowledged run, and a healthy store")
    func randomKills() throws {
        let fixture = try pipelineRepository("""
            version: 1
            stages:
              blob:
                cmd: head -c 4194304 /dev/urandom > blob.bin && mkdir -p parts && head -c 65536 /dev/urandom > parts/a.bin
                outs: [blob.bin, parts/]
                always_changed: true
            """)
        defer { fixture.remove() }
        var acknowledged: [Int] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<Self.rounds {
            let run = try fixture.startMlgate(["run"])
            usleep(UInt32.random(in: 20_000...400_000, using: &generator))
            run.send(SIGKILL)
            let result = run.wait()
            // "run N succeeded" is printed only after the record committed: such a run must never be lost.
            for line in result.stderr.split(separator: "\n") where line.hasPrefix("run ") && line.contains(" succeeded") {
                if let number = Int(line.split(separator: " ")[1]) { acknowledged.append(number) }
            }
        }
        let fsck = try fixture.mlgate(["fsck", "--json"])
        let report = try jsonObject(fsck.stdout)
        #expect(fsck.status == 0, "\(fsck)")
        #expect((report["damaged"] as? [Any])?.isEmpty == true && (report["missing"] as? [Any])?.isEmpty == true)
        #expect(report["database"] as? String == "ok")
        let recorded = try runs(fixture)
        let succeeded = Set(recorded.filter { $0["status"] as? String == "succeeded" }.compactMap { $0["run"] as? Int })
        #expect(Set(acknowledged).isSubset(of: succeeded), "acknowledged \(acknowledged), recorded \(succeeded)")
        // The next run sweeps the temp files of the killed writers and works.
        let final = try fixture.mlgate(["run"])
        #expect(final.status == 0, "\(final)")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: fixture.root + "/.mlgate/objects/tmp")) ?? []
        #expect(leftovers.isEmpty, "temp files left: \(leftovers)")
        // Every run still marked running belonged to a killed process and is now abandoned.
        #expect(try runs(fixture).allSatisfy { $0["status"] as? String != "running" })
    }
}
