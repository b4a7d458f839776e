import Foundation
@testable import MLGateBatch
import MLGateTestSupport
import Testing

@Suite("MLGateBatch: partitioning batch-scoring inputs")
struct ScorePartitionerTests {
    func file(_ name: String, _ text: String) throws -> (String, () -> Void) {
        let directory = try GitFixture.makeTemporaryDirectory()
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, { try? FileManager.default.removeItem(atPath: directory) })
    }

    @Test("CSV rows are split after the header, quoted newlines and separators staying inside their row; lines are counted")
    func csvPartitions() throws {
        let (path, remove) = try file("in.csv", "id,text\n1,\"a,b\"\n2,\"two\nlines\"\n3,c\n\n4,d\n5,e")
        defer { remove() }
        let partitions = try ScorePartitioner.partitions(of: [path], rows: 2)
        #expect(partitions.map(\.rows) == [2, 2, 1])
        #expect(partitions.map(\.firstLine) == [2, 5, 8])
        #expect(partitions.allSatisfy { $0.problem == nil })
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(String(decoding: data.subdata(in: partitions[0].bytes), as: UTF8.self) == "1,\"a,b\"\n2,\"two\nlines\"\n")
        #expect(String(decoding: data.subdata(in: partitions[2].bytes), as: UTF8.self) == "5,e")
        #expect(String(decoding: try ScorePartitioner.header(of: path, format: .csv), as: UTF8.self) == "id,text\n")
        #expect(partitions.map(\.name) == ["part-00001", "part-00002", "part-00003"])
    }

    @Test("a ragged CSV row and a JSON Lines line that is no object mark their partition only, with file and line")
    func problems() throws {
        let (csv, removeCSV) = try file("in.csv", "a,b\n1,2\n3\n4,5\n6,7\n")
        defer { removeCSV() }
        let partitions = try ScorePartitioner.partitions(of: [csv], rows: 2)
        #expect(partitions.map { $0.problem != nil } == [true, false])
        #expect(partitions[0].problem?.contains("in.csv:3: 1 fields where the header has 2") == true)
        let (jsonl, removeJSONL) = try file("in.jsonl", "{\"a\": 1}\n[2]\n{\"a\": 3}\n")
        defer { removeJSONL() }
        let lines = try ScorePartitioner.partitions(of: [jsonl], rows: 1)
        #expect(lines.map { $0.problem != nil } == [false, true, false])
        #expect(lines[1].problem?.contains("in.jsonl:2: not a JSON object") == true)
    }

    @Test("a folder's inputs are its scorable files by name; hidden ones and other formats are left out; a wrong file is refused")
    func inputFiles() throws {
        let directory = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["b.csv", "a.jsonl", "c.npy", "notes.txt", ".hidden.csv"] {
            FileManager.default.createFile(atPath: directory + "/" + name, contents: Data("x\n".utf8))
        }
        #expect(try ScorePartitioner.inputFiles(directory).map { ($0 as NSString).lastPathComponent } == ["a.jsonl", "b.csv", "c.npy"])
        #expect(throws: (any Error).self) { _ = try ScorePartitioner.inputFiles(directory + "/notes.txt") }
        let npy = try ScorePartitioner.partitions(of: [directory + "/c.npy"], rows: 10)
        #expect(npy.count == 1 && npy[0].rows == nil && npy[0].bytes == 0..<2)
    }
}
