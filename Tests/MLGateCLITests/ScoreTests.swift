import Foundation
import MLGateTestSupport
import Testing

/// A scoring script: logs each partition it is given, sleeps on the second while slow.flag exists, scores a row as twice its value.
private let scoreScript = #"""
echo "$(basename "$2")" >> calls.log
case "$(basename "$2")" in part-00002*) if [ -f slow.flag ]; then echo $$ > slow.pid; sleep 30; fi;; esac
awk -F, 'NR==1{print "id,score"; next} {print $1","($2*2)}' "$2" > "$3"
"""#

private func scoringRepository() throws -> GitFixture {
    let fixture = try pipelineRepository("""
        version: 1
        models:
          m:
            artifact: model.txt
            score: {cmd: [sh, score.sh, '{model}', '{input}', '{output}']}
        """, files: ["model.txt": "weights\n", "score.sh": scoreScript + "\n"])
    #expect(try fixture.mlgate(["models", "register", "m", "--path", "model.txt"]).status == 0)
    return fixture
}

private func rows(_ count: Int, ragged: Int? = nil) -> String {
    var text = "id,value\n"
    for row in 1...count {
        text += row == ragged ? "r\(row),\(row),extra\n" : "r\(row),\(row)\n"
    }
    return text
}

@Suite("batch scoring: mlgate score")
struct ScoreTests {
    @Test("a CSV is scored in partitions of --rows, in order, each row carrying the model URI; a rerun scores nothing again")
    func partitionsAndRerun() throws {
        let fixture = try scoringRepository()
        defer { fixture.remove() }
        try fixture.write("in.csv", rows(25))
        let result = try fixture.mlgate(["score", "m/1", "--input", "in.csv", "--output", "out", "--rows", "10", "--json"])
        #expect(result.status == 0, "\(result)")
        let summary = try jsonObject(result.stdout)
        #expect(summary["scored"] as? Int == 3 && summary["rows"] as? Int == 25 && summary["uri"] as? String == "models:/m/1")
        #expect(fixture.read("out/part-00001.csv")?.split(separator: "\n").first == "id,score,model_uri")
        var scored: [String] = []
        for part in 1...3 { scored += (fixture.read("out/part-0000\(part).csv") ?? "").split(separator: "\n").dropFirst().map(String.init) }
        #expect(scored == (1...25).map { "r\($0),\($0 * 2),models:/m/1" })
        #expect(fixture.read("out/score.json") != nil)
        let again = try fixture.mlgate(["score", "m/1", "--input", "in.csv", "--output", "out", "--rows", "10", "--json"])
        let skipped = try jsonObject(again.stdout)["skipped"] as? Int
        #expect(again.status == 0 && skipped == 3)
        #expect(fixture.read("calls.log")?.split(separator: "\n").count == 3)
    }

    @Test("a ragged row fails its partition naming the file and line; the other partitions are scored; exit 1")
    func raggedRow() throws {
        let fixture = try scoringRepository()
        defer { fixture.remove() }
        try fixture.write("in.csv", rows(30, ragged: 15))
        let result = try fixture.mlgate(["score", "m/1", "--input", "in.csv", "--output", "out", "--rows", "10"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("failed part-00002") && result.stdout.contains("in.csv:16: 3 fields where the header has 2"), "\(result)")
        #expect(fixture.read("out/part-00001.csv") != nil && fixture.read("out/part-00003.csv") != nil && fixture.read("out/part-00002.csv") == nil)
    }

    @Test("a scoring run killed mid-way resumes: finished partitions are never scored twice")
    func resumeAfterKill() throws {
        let fixture = try scoringRepository()
        defer { fixture.remove() }
        try fixture.write("in.csv", rows(30))
        try fixture.write("slow.flag", "")
        let first = try fixture.startMlgate(["score", "m/1", "--input", "in.csv", "--output", "out", "--rows", "10", "--workers", "1"])
        #expect(first.waitUntil(seconds: 30) { fixture.read("slow.pid") != nil })
        first.send(SIGKILL)
        // The script asleep on partition 2 is in a process group of its own, which the kill left behind.
        if let pid = fixture.read("slow.pid").flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) { kill(-pid, SIGKILL) }
        _ = first.wait()
        #expect(fixture.read("out/part-00001.csv") != nil && fixture.read("out/part-00002.csv") == nil)
        try FileManager.default.removeItem(atPath: fixture.root + "/slow.flag")
        let resumed = try fixture.mlgate(["score", "m/1", "--input", "in.csv", "--output", "out", "--rows", "10", "--workers", "1", "--json"])
        #expect(resumed.status == 0, "\(resumed)")
        let summary = try jsonObject(resumed.stdout)
        #expect(summary["skipped"] as? Int == 1 && summary["scored"] as? Int == 2)
        #expect(fixture.read("calls.log")?.split(separator: "\n") == ["part-00001.csv", "part-00002.csv", "part-00002.csv", "part-00003.csv"])
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/out/.mlgate-score"))
        // Another input into the same folder would mix two jobs' outputs: refused, nothing touched.
        try fixture.write("in.csv", rows(31))
        let other = try fixture.mlgate(["score", "m/1", "--input", "in.csv", "--output", "out", "--rows", "10"])
        #expect(other.status == 2 && other.stderr.contains("another scoring job"), "\(other)")
    }

    @Test("bad input is refused with exit 2 and nothing written: a folder holding other files, no score section, a missing input")
    func refusals() throws {
        let fixture = try scoringRepository()
        defer { fixture.remove() }
        try fixture.write("in.csv", rows(5))
        try fixture.write("busy/notes.txt", "mine\n")
        let busy = try fixture.mlgate(["score", "m/1", "--input", "in.csv", "--output", "busy"])
        #expect(busy.status == 2 && busy.stderr.contains("is not empty"), "\(busy)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root + "/busy") == ["notes.txt"])
        let missing = try fixture.mlgate(["score", "m/1", "--input", "nothing.csv", "--output", "out"])
        #expect(missing.status == 2 && missing.stderr.contains("nothing.csv does not exist"), "\(missing)")
        try fixture.write("mlgate.yaml", "version: 1\nmodels:\n  m: {artifact: model.txt}\n")
        let unscored = try fixture.mlgate(["score", "m/1", "--input", "in.csv", "--output", "out"])
        #expect(unscored.status == 2 && unscored.stderr.contains("has no 'score' section"), "\(unscored)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/out"))
    }
}
