import Foundation
import MLGateData
import MLGateTestSupport
import Testing

func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-data-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func temporaryFile(_ name: String, _ text: String) throws -> String { try temporaryFile(name, Array(text.utf8)) }

/// A minimal .npy writer (format 1.0) for tests.
private func npy(_ descr: String, shape: [Int], payload: [UInt8]) -> [UInt8] {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let length = header.utf8.count
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + payload
}

private func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

@Suite("predictions readers: CSV, TSV, JSON Lines, .npy")
struct ReaderTests {
    @Test("CSV with a BOM, CRLF, quotes, escaped quotes, embedded newlines and empty lines")
    func csv() throws {
        let path = try temporaryFile("p.csv", "\u{FEFF}id,label,score,note\r\n\"a,1\",1,0.25,\"say \"\"hi\"\"\"\r\n\r\nb,0,1e-3,\"two\nlines\"\r\nc,1,\"0.5\",\r\n")
        let table = try DataReader.read(path, columns: [.init("id", .text), .init("label", .number), .init("score", .number), .init("note", .text)])
        #expect(table.rowCount == 3)
        #expect(table.texts["id"] == ["a,1", "b", "c"])
        #expect(table.numbers["label"] == [1, 0, 1])
        #expect(table.numbers["score"] == [0.25, 0.001, 0.5])
        #expect(table.texts["note"] == ["say \"hi\"", "two\nlines", ""])
        #expect(table.lines == [2, 4, 6])
        #expect(table.columnNames == ["id", "label", "score", "note"])
    }

    @Test("numbers followed by short fields, CR, other columns: each byte is read as part of its own field")
    func numbersBesideOtherFields() throws {
        let path = try temporaryFile("n.csv", "label,score,x\n0,1.0,a\n1,0.36,bb\r\n0,0.123456789012345678,c\n1,12345678.5,d")
        let table = try DataReader.read(path, columns: [.init("label", .number), .init("score", .number), .init("x", .text)])
        #expect(table.numbers["label"] == [0, 1, 0, 1])
        #expect(table.numbers["score"] == [1.0, 0.36, 0.123456789012345678, 12345678.5])
        #expect(table.texts["x"] == ["a", "bb", "c", "d"])
    }

    @Test("TSV and JSON Lines")
    func tsvAndJSONLines() throws {
        let tsv = try DataReader.read(try temporaryFile("p.tsv", "label\tscore\n1\t0.9\n0\t0.1\n"), columns: [.init("score", .number)])
        #expect(tsv.numbers["score"] == [0.9, 0.1])
        let jsonl = try DataReader.read(
            try temporaryFile("p.jsonl", "{\"id\": \"x\\u0041\", \"label\": true, \"score\": 0.75, \"extra\": {\"a\": [1, \"}\"]}}\n\n{\"score\": 1e-2, \"label\": 0, \"id\": 7}\n"),
            columns: [.init("id", .text), .init("label", .number), .init("score", .number)])
        #expect(jsonl.texts["id"] == ["xA", "7"])
        #expect(jsonl.numbers["label"] == [1, 0])
        #expect(jsonl.numbers["score"] == [0.75, 0.01])
        #expect(jsonl.lines == [1, 3])
    }

    @Test(".npy: f8, f4, integers, bool, 2-D probabilities, and a directory of columns")
    func npyFiles() throws {
        let scores = try temporaryFile("score.npy", npy("<f8", shape: [3], payload: bytes([0.1, 0.5, 0.9] as [Double])))
        #expect(try DataReader.read(scores, columns: [.init("score", .number)]).numbers["score"] == [0.1, 0.5, 0.9])
        let single = try temporaryFile("f.npy", npy("<f4", shape: [2], payload: bytes([0.25, 0.5] as [Float])))
        #expect(try DataReader.read(single, columns: [.init("f", .number)]).numbers["f"] == [0.25, 0.5])
        let proba = try temporaryFile("proba.npy", npy("<f8", shape: [2, 3], payload: bytes([0.2, 0.3, 0.5, 0.6, 0.3, 0.1] as [Double])))
        let table = try DataReader.read(proba, columns: [.init("proba[0]", .number), .init("proba[2]", .number)])
        #expect(table.numbers["proba[0]"] == [0.2, 0.6])
        #expect(table.numbers["proba[2]"] == [0.5, 0.1])
        let directory = (scores as NSString).deletingLastPathComponent
        try Data(npy("|b1", shape: [3], payload: [1, 0, 1])).write(to: URL(fileURLWithPath: directory + "/label.npy"))
        try Data(npy("<i8", shape: [3], payload: bytes([10, 20, 30] as [Int64]))).write(to: URL(fileURLWithPath: directory + "/id.npy"))
        let columns = try DataReader.read(directory, columns: [.init("label", .number), .init("score", .number), .init("id", .text)])
        #expect(columns.numbers["label"] == [1, 0, 1])
        #expect(columns.texts["id"] == ["10", "20", "30"])
        #expect(columns.lines == nil)
    }

    @Test("refusals name the file, line and column", arguments: [
        ("p.csv", "label,score\n1,0.5\n0\n", "p.csv:3: this row has 1 field; the header has 2."),
        ("p.csv", "label,score\n1,abc\n", "p.csv:2: column 'score': 'abc' is not a number."),
        ("p.csv", "label,score\n1,\n", "p.csv:2: column 'score': the value is empty"),
        ("p.csv", "label,prob\n1,0.5\n", "p.csv: column 'score': no such column; the file has: label, prob."),
        ("p.csv", "", "p.csv: the file is empty."),
        ("p.csv", "label,score\n", "p.csv: the file has a header but no rows."),
        ("p.csv", "label,score\n1,\"0.5\n", "p.csv:2: a quoted field is never closed"),
        ("p.jsonl", "{\"label\": 1}\n", "p.jsonl:1: column 'score': the object has no such key."),
        ("p.jsonl", "{\"label\": 1, \"score\": null}\n", "p.jsonl:1: column 'score': the value is null"),
        ("p.jsonl", "[1, 2]\n", "p.jsonl:1: expected '{'"),
    ])
    func refusals(name: String, text: String, message: String) throws {
        let path = try temporaryFile(name, text)
        #expect {
            try DataReader.read(path, columns: [.init("label", .number), .init("score", .number)])
        } throws: { error in
            let description = "\(error)"
            return description.hasPrefix((path as NSString).deletingLastPathComponent + "/") && description.contains(message)
        }
    }
}

@Suite("large CSV files are read in two halves on two cores")
struct SplitReadTests {
    /// A CSV of about 20 MB: large enough for the two-thread path.
    private func largeCSV(badLine: Int? = nil) throws -> (path: String, scores: [Double]) {
        var text = "id,label,score,region\n"
        var scores: [Double] = []
        let rows = 600_000
        text.reserveCapacity(rows * 40)
        for row in 0..<rows {
            let score = Double((row &* 2_654_435_761) % 1_000_003) / 1_000_003
            scores.append(score)
            text += row + 2 == badLine ? "\(row),1,oops,north\n" : "\(row),\(row % 2),\(score),\(row % 3 == 0 ? "north" : "south")\n"
            if row == 1000 { text += "\n" }  // an empty line: line numbers must still be right after it
        }
        return (try temporaryFile("large.csv", text), scores)
    }

    @Test("the same columns, rows and line numbers as one pass would give")
    func halves() throws {
        let (path, scores) = try largeCSV()
        let table = try DataReader.read(path, columns: [.init("score", .number), .init("label", .number), .init("region", .text)])
        #expect(table.rowCount == scores.count)
        #expect(table.numbers["score"] == scores)
        #expect(table.texts["region"]?.count == scores.count)
        #expect(table.texts["region"]?.last == ((scores.count - 1) % 3 == 0 ? "north" : "south"))
        #expect(table.lines?.last == scores.count + 2)  // header, the rows, and one empty line
    }

    @Test("a column read as categories holds the same texts as read as text: in one pass and in halves, quoted, escaped, empty and CRLF fields; a row limit reads the first rows")
    func categories() throws {
        let (path, scores) = try largeCSV()
        let asText = try DataReader.read(path, columns: [.init("score", .number), .init("region", .text)])
        let asCategory = try DataReader.read(path, columns: [.init("score", .number), .init("region", .category)])
        let region = try #require(asCategory.categories["region"])
        #expect(asCategory.texts["region"] == nil && region.texts == asText.texts["region"] && asCategory.numbers["score"] == scores)
        #expect(Set(region.values) == Set(asText.texts["region"] ?? []) && region.values.count == Set(region.values).count)
        // The general path: quotes, "" escapes, an embedded line feed, an empty field, CR line ends.
        let quoted = try temporaryFile("q.csv", "k,n\r\n\"a,1\",1\r\nb,2\r\n\"say \"\"hi\"\"\",3\nb,4\n,5\n\"two\nlines\",6\nb,7\n\"a,1\",8\n")
        let text = try DataReader.read(quoted, columns: [.init("k", .text), .init("n", .number)])
        let coded = try DataReader.read(quoted, columns: [.init("k", .category), .init("n", .number)])
        #expect(coded.categories["k"]?.texts == text.texts["k"] && coded.categories["k"]?.values == ["a,1", "b", "say \"hi\"", "", "two\nlines"])
        #expect(coded.numbers["n"] == [1, 2, 3, 4, 5, 6, 7, 8] && coded.lines == text.lines)
        // JSON Lines has no native encoding: its text is encoded after the read, to the same column.
        let lines = try temporaryFile("c.jsonl", "{\"k\": \"x\"}\n{\"k\": \"y\"}\n{\"k\": \"x\"}\n")
        #expect(try DataReader.read(lines, columns: [.init("k", .category)]).categories["k"] == CategoryColumn(values: ["x", "y"], codes: [0, 1, 0]))
        let sample = try DataReader.read(path, columns: [.init("region", .text)], rowLimit: 10)
        #expect(sample.rowCount == 10 && sample.texts["region"] == Array(asText.texts["region"]?.prefix(10) ?? []) && sample.isText)
        #expect(try DataReader.read(lines, columns: [], rowLimit: 2).rowCount == 2)
        // A file read in halves whose second half holds only empty values: the merged codes still spell them.
        var rows = "score,k\n"
        for row in 0..<900_000 { rows += row < 450_000 ? "0.2500000000000001,a\n" : "0.2500000000000001,\n" }
        let halves = try DataReader.read(try temporaryFile("e.csv", rows), columns: [.init("score", .number), .init("k", .category)])
        let k = try #require(halves.categories["k"])
        #expect(k.values == ["a", ""] && k.codes.count == 900_000 && k.codes[449_999] == 0 && k.codes[450_000] == 1 && k.codes.last == 1)
        // Two parts of one column: the second's values recoded into the first's.
        let joined = CategoryColumn(texts: ["a", "b"]).appending(CategoryColumn(texts: ["c", "b", "a"]))
        #expect(joined.values == ["a", "b", "c"] && joined.codes == [0, 1, 2, 1, 0] && joined.texts == ["a", "b", "c", "b", "a"])
    }

    /// A number-only CSV of about 20 MB in pandas' format (shortest round-trip floats), with `extra` lines
    /// inserted before the rows they are keyed by; returns the path and the expected label and score columns.
    private func numberCSV(extra: [Int: String] = [:], trailingLineFeed: Bool = true) throws -> (path: String, labels: [Double], scores: [Double]) {
        var random = SeededRandom(seed: 99)
        var text = "label,skipped,score\n"
        var labels: [Double] = [], scores: [Double] = []
        let rows = 500_000
        text.reserveCapacity(rows * 45)
        for row in 0..<rows {
            if let line = extra[row] { text += line }
            let score = Double(random.next() >> 11) * 0x1p-53
            labels.append(Double(row % 2))
            scores.append(score)
            text += "\(row % 2),\(row),\(score)\n"
        }
        if !trailingLineFeed { text.removeLast() }
        return (try temporaryFile("numbers.csv", text), labels, scores)
    }

    @Test("number-only rows read in one pass per row, with CRLF, empty and spaced rows among them")
    func plainRows() throws {
        // Rows the one-pass reader hands to the field-by-field one (CRLF, a padded number, a huge number), an
        // empty line in the first half (the second half's rows move down) and none at the end of the file.
        let extra = [10: "1,x,0.5\r\n", 20: "0,y, 0.25 \n", 30: "\n", 40: "1,z,123456789012345678901234567890\n"]
        let (path, labels, scores) = try numberCSV(extra: extra, trailingLineFeed: false)
        let table = try DataReader.read(path, columns: [.init("score", .number), .init("label", .number)])
        let insertedLabels: [Double] = [1, 0, 1], insertedScores = [0.5, 0.25, 123456789012345678901234567890]
        var expectedLabels = labels, expectedScores = scores
        for (offset, row) in [40, 20, 10].enumerated() {
            expectedLabels.insert(insertedLabels[2 - offset], at: row)
            expectedScores.insert(insertedScores[2 - offset], at: row)
        }
        #expect(table.rowCount == expectedScores.count)
        #expect(table.numbers["label"] == expectedLabels)
        #expect(table.numbers["score"]?.map(\.bitPattern) == expectedScores.map(\.bitPattern))
        #expect(table.lines?.last == expectedScores.count + 2)  // the header and the empty line
    }

    @Test("a quote anywhere sends the whole file through one pass; ragged rows are still refused by line")
    func quotesAndRaggedRows() throws {
        let (quoted, _, scores) = try numberCSV(extra: [400_000: "1,\"a\nb\",0.75\n"])
        let table = try DataReader.read(quoted, columns: [.init("score", .number)])
        #expect(table.rowCount == scores.count + 1)
        #expect(table.numbers["score"]?[400_000] == 0.75)
        #expect(table.numbers["score"]?.last == scores.last)
        for (line, message) in [("1,2,0.5,9\n", "this row has 4 fields; the header has 3."), ("1,2\n", "this row has 2 fields; the header has 3.")] {
            let (path, _, _) = try numberCSV(extra: [450_000: line])
            #expect {
                try DataReader.read(path, columns: [.init("score", .number)])
            } throws: { error in
                "\(error)".contains("numbers.csv:450002: \(message)")
            }
        }
    }

    @Test("an error in the second half names its own line")
    func errorInSecondHalf() throws {
        let (path, _) = try largeCSV(badLine: 500_002)
        #expect {
            try DataReader.read(path, columns: [.init("score", .number)])
        } throws: { error in
            "\(error)".contains("large.csv:500003: column 'score': 'oops' is not a number.")
        }
    }
}
