import Foundation
import MLGateTestSupport
import Testing

@Suite("mlgate store status")
struct StoreStatusTests {
    @Test("names the embedded store, its schema and what it holds, the object store, the remote and where training runs")
    func status() throws {
        let fixture = try pipelineRepository(twoStagePipeline.replacingOccurrences(of: "version: 1\n", with: "version: 1\nremote: {objects: ../shared}\n"))
        defer { fixture.remove() }
        #expect(try fixture.mlgate(["trust"]).status == 0)
        #expect(try fixture.mlgate(["run"]).status == 0)
        let result = try fixture.mlgate(["store", "status", "--json"])
        #expect(result.status == 0, "\(result)")
        let report = try jsonObject(result.stdout)
        let census = report["census"] as? [String: Any] ?? [:]
        #expect(report["kind"] as? String == "sqlite" && report["path"] as? String == fixture.root + "/.mlgate/store.sqlite"
                && report["journal_mode"] as? String == "wal" && (report["bytes"] as? Int ?? 0) > 0, "\(report)")
        #expect(census["runs"] as? Int == 1 && census["latest_migration"] as? String == "v12-job-dispatch" && census["migrations"] as? Int == 12, "\(census)")
        #expect((report["objects"] as? Int ?? 0) >= 2 && report["remote_objects"] as? String == "../shared" && report["executor"] as? String == "local")
        let text = try fixture.mlgate(["store"]).stdout
        #expect(text.contains("store: embedded SQLite at \(fixture.root)/.mlgate/store.sqlite") && text.contains("holds: 1 runs")
                && text.contains("remote: ../shared") && text.contains("training: here"), "\(text)")
    }
}
