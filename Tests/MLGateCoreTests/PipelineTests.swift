import MLGateCore
import Testing

@Suite("pipeline graph")
struct PipelineTests {
    func stage(_ name: String, deps: [String] = [], outs: [String] = [], metrics: [String] = []) -> StageSpec {
        StageSpec(name: name, command: .shell("true"), dependencies: deps.map { PathSpec($0) },
                  outputs: outs.map { OutputSpec(path: PathSpec($0)) }, metrics: metrics.map { PathSpec($0) })
    }

    @Test("stages run after the stages whose outputs they read; targets pull in what they need")
    func order() throws {
        let pipeline = try Pipeline(stages: [
            stage("evaluate", deps: ["model", "data/test.csv"], metrics: ["scores.json"]),
            stage("train", deps: ["data/train.csv"], outs: ["model"]),
            stage("prepare", deps: ["raw.csv"], outs: ["data"]),
            stage("report", deps: ["README.md"], outs: ["report.html"]),
        ])
        #expect(try pipeline.order(targets: []).map(\.name) == ["prepare", "train", "evaluate", "report"])
        #expect(try pipeline.order(targets: ["train"]).map(\.name) == ["prepare", "train"])
        #expect(try pipeline.order(targets: ["train"], downstream: true).map(\.name) == ["train", "evaluate"])
        #expect(throws: PipelineError(.unknownStage("trian", known: ["evaluate", "train", "prepare", "report"]))) {
            try pipeline.order(targets: ["trian"])
        }
    }

    @Test("a cycle is refused, naming the stages in it")
    func cycle() {
        #expect(throws: PipelineError(.cycle(["a", "c", "b", "a"], path: nil))) {
            try Pipeline(stages: [stage("a", deps: ["c.out"], outs: ["a.out"]), stage("b", deps: ["a.out"], outs: ["b.out"]),
                                  stage("c", deps: ["b.out"], outs: ["c.out"])])
        }
        #expect(throws: PipelineError(.cycle(["a", "a"], path: "out/x"))) {
            try Pipeline(stages: [stage("a", deps: ["out/x"], outs: ["out"])])
        }
    }

    @Test("two stages writing one path, or nested outputs, are refused")
    func overlappingOutputs() {
        #expect(throws: PipelineError(.overlappingOutputs(stages: ["a", "b"], paths: ["model", "model/weights.bin"]))) {
            try Pipeline(stages: [stage("a", outs: ["model"]), stage("b", outs: ["model/weights.bin"])])
        }
        #expect(throws: PipelineError(.overlappingOutputs(stages: ["a"], paths: ["m.json", "m.json"]))) {
            try Pipeline(stages: [stage("a", outs: ["m.json"], metrics: ["m.json"])])
        }
        // A path that merely shares a prefix is not inside another.
        #expect(throws: Never.self) { try Pipeline(stages: [stage("a", outs: ["model"]), stage("b", outs: ["model2"])]) }
    }

    @Test("the memo changes with every input, and the lock text is deterministic")
    func memoAndLock() {
        let spec = stage("train", deps: ["train.py"], outs: ["model"])
        let base = StageMemo.text(stage: spec, dependencies: [HashedPath(path: "train.py", hash: "aa")],
                                  parameters: [ParameterValue(file: "params.yaml", key: "train.lr", json: "0.1")], environment: nil)
        let otherHash = StageMemo.text(stage: spec, dependencies: [HashedPath(path: "train.py", hash: "ab")],
                                       parameters: [ParameterValue(file: "params.yaml", key: "train.lr", json: "0.1")], environment: nil)
        let otherParameter = StageMemo.text(stage: spec, dependencies: [HashedPath(path: "train.py", hash: "aa")],
                                            parameters: [ParameterValue(file: "params.yaml", key: "train.lr", json: "0.2")], environment: nil)
        var argv = spec
        argv.command = .arguments(["true"])
        let otherCommand = StageMemo.text(stage: argv, dependencies: [HashedPath(path: "train.py", hash: "aa")],
                                          parameters: [ParameterValue(file: "params.yaml", key: "train.lr", json: "0.1")], environment: nil)
        #expect(Set([base, otherHash, otherParameter, otherCommand]).count == 4)

        let entry = StageLock(command: "python3 train.py", memo: "m", dependencies: [HashedPath(path: "train.py", hash: "aa")],
                              parameters: [], environment: nil, outputs: [LockedOutput(path: "model", hash: "bb", cache: true, isDirectory: true)])
        let lock = LockFile(stages: ["train": entry, "prepare": entry])
        #expect(lock.text == LockFile(stages: ["prepare": entry, "train": entry]).text)
        let stageLines = lock.text.split(separator: "\n").filter { $0.hasPrefix("  \"") }
        #expect(stageLines == ["  \"prepare\":", "  \"train\":"])
    }

    @Test("the trust text covers argv, working directory and environment, and nothing else")
    func trustText() {
        var a = stage("train", deps: ["x"])
        let base = CommandTrust.text([a])
        a.dependencies = [PathSpec("y")]
        #expect(CommandTrust.text([a]) == base)
        a.environmentVariables = [EnvironmentVariable(name: "SEED", value: "1")]
        #expect(CommandTrust.text([a]) != base)
        var b = stage("train")
        b.command = .shell("true ")
        #expect(CommandTrust.text([b]) != base)
    }
}
