import Foundation
import MLGateTestSupport

/// A two-stage pipeline in plain sh: `prepare` copies raw.txt into data/, `train` writes model.bin from it
/// and the `lr` parameter, and a metrics file.
let twoStagePipeline = """
    version: 1
    stages:
      prepare:
        cmd: mkdir -p data && cp raw.txt data/clean.txt && echo prepared
        deps: [raw.txt]
        outs: [data/]
      train:
        cmd: sh train.sh
        deps: [train.sh, data/clean.txt]
        params: [lr]
        outs: [model.bin]
        metrics: [metrics.json]
    """

/// The inputs of `twoStagePipeline`.
let defaultFiles = [
    "raw.txt": "a,b\n1,2\n",
    "params.yaml": "lr: 0.1\n",
    "train.sh": #"cat data/clean.txt params.yaml > model.bin && printf '{"score": 0.9, "size": %s}' $(wc -c < model.bin) > metrics.json && echo trained"# + "\n",
]

/// A repository with `config` as mlgate.yaml, `files` committed, and `mlgate init` run.
func pipelineRepository(_ config: String = twoStagePipeline,
                        files: [String: String] = defaultFiles) throws -> GitFixture {
    let fixture = try GitFixture()
    try fixture.write("mlgate.yaml", config)
    for (path, text) in files { try fixture.write(path, text) }
    try fixture.write(".gitignore", "data/\nmodel.bin\nmetrics.json\n")
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "pipeline"])
    let result = try fixture.mlgate(["init"])
    guard result.status == 0 else { throw TestSupportError("init failed: \(result)") }
    return fixture
}

/// `mlgate runs --json`'s runs, newest first.
func runs(_ fixture: GitFixture) throws -> [[String: Any]] {
    let result = try fixture.mlgate(["runs", "--json", "--limit", "1000000"])
    guard result.status == 0 else { throw TestSupportError("runs failed: \(result)") }
    return try jsonObject(result.stdout)["runs"] as? [[String: Any]] ?? []
}

/// The outcome of each stage of a run, by stage name.
func outcomes(_ run: [String: Any]) -> [String: String] {
    var result: [String: String] = [:]
    for stage in run["stages"] as? [[String: Any]] ?? [] {
        if let name = stage["stage"] as? String { result[name] = stage["outcome"] as? String }
    }
    return result
}

/// The contents of every object under `.mlgate/objects` (excluding temp files).
func objectContents(_ fixture: GitFixture) -> [String] {
    let root = fixture.root + "/.mlgate/objects"
    return ((try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? []).filter { $0.count == 65 }.sorted()
        .compactMap { fixture.read(root + "/" + $0) }
}

/// Whether process `pid` has ended (a zombie nobody reaps counts as ended).
func processEnded(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
}

/// Replaces mlgate.yaml after the repository was set up (init refuses a bad config, as it should).
func replaceConfig(_ fixture: GitFixture, _ text: String) throws {
    try fixture.write("mlgate.yaml", text)
}
