import Foundation
import MLGateData
import Testing

/// Files pyarrow and numpy wrote (`Fixtures/make_fixtures.py`), read through the one entry point.
@Suite("Arrow IPC / Feather v2 and numpy-written .npy through DataReader.read")
struct ArrowReaderTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/expected.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func hex(_ value: Any?) -> [Double] { (value as? [String] ?? []).compactMap { Double($0) } }

    @Test("uncompressed, LZ4-frame (pyarrow's default) and the IPC stream format give pyarrow's values bit for bit",
          arguments: ["preds_plain.feather", "preds_lz4.feather", "preds_stream.arrows"])
    func feather(file: String) throws {
        let want = try Self.expected()
        let table = try DataReader.read(Self.directory + "/" + file, columns: [
            .init("label", .number), .init("score", .number), .init("exact", .number), .init("f32", .number),
            .init("i8", .number), .init("u16", .number), .init("flag", .number), .init("id", .text), .init("label", .text),
        ])
        let rows = try #require(want["rows"] as? Int)
        #expect(table.rowCount == rows)
        #expect(table.columnNames == ["label", "score", "exact", "f32", "i8", "u16", "flag", "id"])
        let labels = (want["label"] as? [Int] ?? []).map(Double.init)
        #expect(table.numbers["label"] == labels)
        #expect(table.numbers["score"]?.map(\.bitPattern) == Self.hex(want["score"]).map(\.bitPattern))
        #expect(table.numbers["exact"]?.map(\.bitPattern) == Self.hex(want["exact"]).map(\.bitPattern))
        #expect(table.numbers["f32"]?.map(\.bitPattern) == Self.hex(want["f32"]).map(\.bitPattern))
        #expect(table.numbers["i8"] == labels.map { $0 * 3 - 1 })
        #expect(table.numbers["u16"] == (0..<rows).map(Double.init))
        #expect(table.numbers["flag"] == labels)
        #expect(table.texts["id"]?.prefix(5).map { $0 } == want["id_first"] as? [String])
        #expect(table.texts["id"]?.last == want["id_last"] as? String)
        #expect(table.texts["label"]?.first == String(Int(labels[0])))
        #expect(table.lines == nil)
        #expect(table.place(ofRow: 3) == "row 3")
    }

    @Test("refusals name the file, the column and the fix", arguments: [
        ("preds_zstd.feather", "score", nil as String?, "ZSTD"),
        ("nulls.feather", "label", "label", "missing (null)"),
        ("category.feather", "score", "score", "dictionary-encoded"),
        ("preds_plain.feather", "nope", "nope", "no such column"),
        ("preds_plain.feather", "id", "id", "holds strings"),
    ])
    func refusals(file: String, column: String, named: String?, message: String) throws {
        let path = Self.directory + "/" + file
        let error = try #require(throws: DataError.self) { try DataReader.read(path, columns: [.init(column, .number)]) }
        #expect(error.path == path)
        #expect(error.column == named)
        #expect(error.description.contains(message), "\(error)")
    }

    @Test("a .feather file that is not Arrow, and Parquet, are refused by their bytes")
    func wrongMagic() throws {
        let fake = try temporaryFile("p.feather", "label,score\n1,0.5\n")
        #expect(throws: DataError.self) { try DataReader.read(fake, columns: [.init("label", .number)]) }
        let parquet = try temporaryFile("p.csv", Array("PAR1".utf8) + [0, 0, 0, 0])
        let error = try #require(throws: DataError.self) { try DataReader.read(parquet, columns: [.init("label", .number)]) }
        #expect(error.description.contains("Parquet"))
    }

    @Test("a truncated LZ4 feather file is refused, not misread")
    func truncated() throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Self.directory + "/preds_lz4.feather")))
        let path = try temporaryFile("cut.feather", Array(bytes.prefix(bytes.count / 2)))
        #expect(throws: DataError.self) { try DataReader.read(path, columns: [.init("exact", .number)]) }
    }

    @Test(".npy files numpy wrote (u1 labels, f8 scores), as files and as a directory")
    func npy() throws {
        let want = try Self.expected()
        let labels = try DataReader.read(Self.directory + "/label.npy", columns: [.init("label", .number)])
        #expect(labels.numbers["label"] == (want["label"] as? [Int] ?? []).map(Double.init))
        let scores = try DataReader.read(Self.directory + "/score.npy", columns: [.init("score", .number)])
        #expect(scores.numbers["score"]?.map(\.bitPattern) == Self.hex(want["exact"]).map(\.bitPattern))
    }
}
