package import Foundation
package import MLGateCore

/// One partition of a batch-scoring input: a run of rows of one file (the header kept), or a whole `.npy` file.
package struct ScorePartition: Sendable, Hashable {
    /// The partition's number, from 1, in input order.
    package let number: Int
    /// The input file, absolute.
    package let file: String
    /// The file's format.
    package let format: ScoreFormat
    /// Where its rows start and end in the file, in bytes (the whole file for `.npy`).
    package let bytes: Range<Int>
    /// The line of its first row (1-based, the header being line 1 of a CSV).
    package let firstLine: Int
    /// How many rows it holds (nil for `.npy`, whose rows mlgate does not count).
    package let rows: Int?
    /// Why it cannot be scored (a ragged row, a line that is not a JSON object), naming file and line; nil when fine.
    package let problem: String?

    /// The partition's name in messages and outputs: `part-00003`.
    package var name: String { "part-" + String(repeating: "0", count: max(0, 5 - String(number).count)) + String(number) }
}

/// The input formats `mlgate score` partitions.
package enum ScoreFormat: String, Sendable, Hashable {
    case csv, tsv, jsonl, npy

    /// The format of `path`, from its extension; nil for one mlgate cannot score.
    package init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": self = .csv
        case "tsv": self = .tsv
        case "jsonl", "ndjson": self = .jsonl
        case "npy": self = .npy
        default: return nil
        }
    }

    /// The file extension outputs get.
    package var fileExtension: String { self == .npy ? "npy" : rawValue }
}

/// Splits input files into partitions of at most a given number of rows, checking each row on the way: in a CSV or
/// TSV, every row has the header's number of fields (quotes respected); in JSON Lines, every line is an object.
package enum ScorePartitioner {
    /// The input files under `path`: the file itself, or a folder's CSV, TSV, JSON Lines and `.npy` files by name.
    package static func inputFiles(_ path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UsageError("--input \(path) does not exist; give a CSV, TSV, JSON Lines or .npy file, or a folder of them.")
        }
        guard isDirectory.boolValue else {
            guard ScoreFormat(path: path) != nil else {
                throw UsageError("--input \(path) is not a .csv, .tsv, .jsonl or .npy file; mlgate scores those formats.")
            }
            return [path]
        }
        let files = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
            .filter { ScoreFormat(path: $0) != nil && !$0.split(separator: "/").contains { $0.hasPrefix(".") } }.sorted()
        guard !files.isEmpty else { throw UsageError("--input \(path) holds no .csv, .tsv, .jsonl or .npy files.") }
        return files.map { path + "/" + $0 }
    }

    /// The partitions of `files`, numbered in order, each at most `rows` rows.
    package static func partitions(of files: [String], rows: Int) throws -> [ScorePartition] {
        var partitions: [ScorePartition] = []
        for file in files {
            guard let format = ScoreFormat(path: file) else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
            if format == .npy {
                partitions.append(ScorePartition(number: partitions.count + 1, file: file, format: format, bytes: 0..<data.count, firstLine: 1,
                                                 rows: nil, problem: nil))
                continue
            }
            data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                let bytes = buffer.bindMemory(to: UInt8.self)
                split(bytes, file: file, format: format, rows: rows, into: &partitions)
            }
        }
        return partitions
    }

    /// Splits one text file's records (a record ends at a newline outside quotes) into partitions.
    private static func split(_ bytes: UnsafeBufferPointer<UInt8>, file: String, format: ScoreFormat, rows limit: Int,
                              into partitions: inout [ScorePartition]) {
        let separator: UInt8 = format == .tsv ? 9 : 44
        let quoted = format != .jsonl
        var position = 0, line = 1
        var headerFields: Int?
        var start = 0, startLine = 1, count = 0
        var problem: String?
        func close(at end: Int) {
            guard count > 0 || problem != nil else { return }
            partitions.append(ScorePartition(number: partitions.count + 1, file: file, format: format, bytes: start..<end, firstLine: startLine,
                                             rows: count, problem: problem))
            count = 0
            problem = nil
        }
        while position < bytes.count {
            let recordStart = position, recordLine = line
            var fields = 1, inQuotes = false, blank = true
            var firstByte: UInt8?
            while position < bytes.count {
                let byte = bytes[position]
                if byte == 10, !inQuotes { break }
                if byte == 10 { line += 1 }
                if quoted, byte == 34 { inQuotes.toggle() }
                if byte == separator, !inQuotes { fields += 1 }
                if byte != 13, byte != 32, byte != 9 || format != .jsonl {
                    if blank { firstByte = byte }
                    blank = false
                }
                position += 1
            }
            position += 1
            line += 1
            if blank { continue }
            if format != .jsonl, headerFields == nil {
                headerFields = fields
                start = position
                startLine = line
                continue
            }
            if count == 0, problem == nil {
                start = recordStart
                startLine = recordLine
            }
            if problem == nil {
                if let header = headerFields, fields != header {
                    problem = "\(file):\(recordLine): \(fields) fields where the header has \(header); fix the row and score again."
                } else if format == .jsonl, firstByte != 123 {
                    problem = "\(file):\(recordLine): not a JSON object; each line of a JSON Lines file is one {…}."
                }
            }
            count += 1
            if count == limit { close(at: min(position, bytes.count)) }
        }
        close(at: bytes.count)
    }

    /// The header line of a CSV or TSV file, with its newline; empty for other formats.
    package static func header(of file: String, format: ScoreFormat) throws -> [UInt8] {
        guard format == .csv || format == .tsv else { return [] }
        guard let handle = FileHandle(forReadingAtPath: file) else { throw UsageError("cannot read \(file).") }
        defer { try? handle.close() }
        var header: [UInt8] = []
        var inQuotes = false
        while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            for byte in chunk {
                header.append(byte)
                if byte == 34 { inQuotes.toggle() }
                if byte == 10, !inQuotes { return header }
            }
        }
        return header + [10]
    }
}
