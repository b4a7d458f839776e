import Foundation
import MLGateConfig
import MLGateCore
import MLGateTestSupport
import Testing

@Suite("stages in mlgate.yaml")
struct StagesConfigTests {
    @Test("every stage key is read, paths resolved against wdir")
    func fullStage() throws {
        let configuration = try ConfigLoader.parse("""
            version: 1
            stages:
              train:
                wdir: models/churn
                cmd: [python3, train.py, --out, "model dir/"]
                deps: [train.py, data/]
                params: [train.lr, {../shared.json: [seed]}]
                outs: [model/, {path: cache.bin, cache: false}, {log.txt: {cache: false}}]
                metrics: [metrics.json]
                env: {SEED: "7", MODE: fast}
                environment: {file: requirements.txt, check: strict}
                always_changed: true
                frozen: no
              prepare:
                cmd: python3 prepare.py > out.txt
                outs: [out.txt]
            """, file: "mlgate.yaml")
        let train = try #require(configuration.stages.first)
        #expect(train.name == "train")
        #expect(train.command == .arguments(["python3", "train.py", "--out", "model dir/"]))
        #expect(train.workingDirectory == "models/churn")
        #expect(train.dependencies == [PathSpec("models/churn/train.py"), PathSpec("models/churn/data", isDirectory: true)])
        #expect(train.parameters == [ParameterSource(file: "models/churn/params.yaml", keys: ["train.lr"]),
                                     ParameterSource(file: "models/shared.json", keys: ["seed"])])
        #expect(train.outputs == [OutputSpec(path: PathSpec("models/churn/model", isDirectory: true)),
                                  OutputSpec(path: PathSpec("models/churn/cache.bin"), cache: false),
                                  OutputSpec(path: PathSpec("models/churn/log.txt"), cache: false)])
        #expect(train.metrics == [PathSpec("models/churn/metrics.json")])
        #expect(train.environmentVariables.map(\.name) == ["MODE", "SEED"])
        #expect(train.environment == EnvironmentSpec(file: "models/churn/requirements.txt", check: .strict))
        #expect(train.alwaysChanged && !train.frozen)
        #expect(configuration.stages[1].command == .shell("python3 prepare.py > out.txt"))
        #expect(configuration.stages[1].command.argv == ["/bin/sh", "-c", "python3 prepare.py > out.txt"])
    }

    @Test("bad stages are refused at their line, with what to do", arguments: [
        ("stages:\n  a:\n    cmd: x\n    outs: [../../etc/passwd]\n", 4, "outside the repository"),
        ("stages:\n  a:\n    cmd: x\n    outs: [/tmp/x]\n", 4, "outside the repository"),
        ("stages:\n  a:\n    cmd: x\n    depz: [a]\n", 4, "did you mean 'deps'"),
        ("stages:\n  a:\n    deps: [a]\n", 3, "needs a 'cmd'"),
        ("stages:\n  a:\n    cmd: []\n", 3, "empty list"),
        ("stages:\n  a:\n    cmd: x\n    deps: [b.out]\n    outs: [a.out]\n  b:\n    cmd: y\n    deps: [a.out]\n    outs: [b.out]\n", 1, "cycle: a → b → a"),
        ("stages:\n  a:\n    cmd: x\n    outs: [m]\n  b:\n    cmd: y\n    outs: [m/x]\n", 1, "both write"),
        ("stages:\n  a:\n    cmd: x\n    env: {1BAD: x}\n", 4, "not a valid environment variable"),
        ("stages:\n  a:\n    cmd: x\n    outs: [.git/hooks/pre-commit]\n", 4, "inside .git"),
        ("stages:\n  a:\n    cmd: x\n    environment: {file: r.txt, check: maybe}\n", 4, "warn, strict, off"),
    ])
    func refusals(_ text: String, line: Int, message: String) {
        do {
            _ = try ConfigLoader.parse(text, file: "mlgate.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test("parameters come out as canonical JSON; a missing key names the file and the stage")
    func parameters() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("train:\n  lr: 0.10\n  layers: [64, 32]\n  name: 'v1'\n  flag: yes\nseed: 7\n".utf8).write(to: URL(fileURLWithPath: directory + "/params.yaml"))
        let values = try ParamsReader.values(of: ParameterSource(file: "params.yaml", keys: ["train", "seed"]), root: directory, stage: "fit")
        #expect(values.map(\.json) == [#"7"#, #"{"flag":true,"layers":[64,32],"lr":0.1,"name":"v1"}"#])
        #expect(throws: ConfigError.self) {
            try ParamsReader.values(of: ParameterSource(file: "params.yaml", keys: ["train.momentum"]), root: directory, stage: "fit")
        }
        do {
            _ = try ParamsReader.values(of: ParameterSource(file: "params.yaml", keys: ["train.momentum"]), root: directory, stage: "fit")
        } catch {
            #expect(error.file == "params.yaml" && error.description.contains("'train.momentum'") && error.description.contains("'fit'"))
        }
    }

    @Test("mlgate.lock reads back what it wrote")
    func lockRoundTrip() throws {
        let entry = StageLock(command: "python3 \"train\".py", memo: "abc", dependencies: [HashedPath(path: "a b.py", hash: "11")],
                              parameters: [ParameterValue(file: "params.yaml", key: "train", json: #"{"lr":0.1,"name":"x"}"#)],
                              environment: HashedPath(path: "requirements.txt", hash: "22"),
                              outputs: [LockedOutput(path: "model", hash: "33", cache: true, isDirectory: false),
                                        LockedOutput(path: "log.txt", hash: "44", cache: false, isDirectory: false)])
        let lock = LockFile(stages: ["train": entry])
        #expect(try LockReader.parse(lock.text, file: "mlgate.lock") == lock)
        #expect(throws: ConfigError.self) { try LockReader.parse("stages:\n  train: {cmd: x\n", file: "mlgate.lock") }
    }
}
