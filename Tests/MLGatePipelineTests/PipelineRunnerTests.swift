import Foundation
import MLGateCore
@testable import MLGatePipeline
import MLGateServiceTestSupport
import Testing
import MLGateWorkspace
import MLGateStore

@Suite("MLGatePipeline: the runner, in process")
struct PipelineRunnerTests {
    static let configuration = """
        version: 1
        stages:
          prepare:
            cmd: mkdir -p data && cp raw.txt data/clean.txt
            deps: [raw.txt]
            outs: [data/]
          train:
            cmd: cat data/clean.txt data/clean.txt > model.bin
            deps: [data/clean.txt]
            outs: [model.bin]
        """

    @Test("a run executes every stage, records the run, and a second run has nothing to do")
    func runThenNoOp() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration, files: ["raw.txt": "rows\n"])
        defer { fixture.remove() }
        let store = try fixture.store()
        func runner() -> PipelineRunner { PipelineRunner(workspace: fixture.workspace, store: store, interruption: Interruption(), quiet: true) }
        let first = try runner().run(try fixture.workspace.pipeline(), options: RunOptions())
        #expect(first.status == .succeeded)
        #expect(first.stages.map(\.stage) == ["prepare", "train"])
        #expect(first.stages.allSatisfy { $0.outcome == .ran })
        #expect(try String(contentsOfFile: fixture.root + "/model.bin", encoding: .utf8) == "rows\nrows\n")
        let number = try #require(first.run)
        #expect(try store.run(number)?.status == .succeeded)

        let second = try runner().run(try fixture.workspace.pipeline(), options: RunOptions())
        #expect(second.status == .succeeded)
        #expect(second.run == nil)
    }

    @Test("a changed dependency reruns what depends on it; a failing command fails the run and names the stage")
    func changesAndFailures() throws {
        let fixture = try ServiceFixture(configuration: Self.configuration, files: ["raw.txt": "rows\n"])
        defer { fixture.remove() }
        let store = try fixture.store()
        func runner() -> PipelineRunner { PipelineRunner(workspace: fixture.workspace, store: store, interruption: Interruption(), quiet: true) }
        _ = try runner().run(try fixture.workspace.pipeline(), options: RunOptions())
        try fixture.write("raw.txt", "other rows\n")
        let rerun = try runner().run(try fixture.workspace.pipeline(), options: RunOptions())
        #expect(rerun.status == .succeeded)
        #expect(rerun.stages.filter { $0.outcome == .ran }.map(\.stage) == ["prepare", "train"])

        try fixture.write("mlgate.yaml", Self.configuration.replacingOccurrences(of: "cat data/clean.txt data/clean.txt > model.bin", with: "exit 3"))
        let failed = try runner().run(try fixture.workspace.pipeline(), options: RunOptions(force: true))
        #expect(failed.status == .failed)
        #expect(failed.message?.contains("train") == true)
    }
}
