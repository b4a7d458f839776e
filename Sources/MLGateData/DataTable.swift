#if canImport(Glibc)
import Glibc
#endif

/// What a caller wants from a column.
public enum ColumnKind: Sendable, Hashable {
    /// Parsed as a number (a correctly rounded double).
    case number
    /// Kept as text (ids, string labels, slice values).
    case text
    /// Kept as text stored once per distinct value (`CategoryColumn`): for columns of few values and many rows.
    case category
}

/// A column to read, by its header name.
public struct ColumnRequest: Sendable, Hashable {
    public var name: String
    public var kind: ColumnKind

    public init(_ name: String, _ kind: ColumnKind) {
        self.name = name
        self.kind = kind
    }
}

/// The requested columns of a predictions file.
public struct DataTable: Sendable {
    /// The file (or directory) read.
    public let path: String
    /// Every column name the file has, in order.
    public let columnNames: [String]
    /// Number of data rows.
    public let rowCount: Int
    /// Numeric columns by name.
    public let numbers: [String: [Double]]
    /// Text columns by name.
    public let texts: [String: [String]]
    /// Category columns by name.
    public let categories: [String: CategoryColumn]
    /// Where each row sits in a text file: none (binary formats), one line per row from a first line (the
    /// usual CSV, stored without an array of 10⁷ line numbers), or explicit lines.
    enum LineMap: Sendable {
        case none
        case consecutive(first: Int)
        case explicit([Int])
    }

    let lineMap: LineMap

    /// Whether the file is text (CSV, TSV, JSON Lines), whose columns have no types of their own.
    public var isText: Bool {
        if case .none = lineMap { false } else { true }
    }

    /// The 1-based line of each row in a text file, for messages; nil for binary formats.
    public var lines: [Int]? {
        switch lineMap {
        case .none: nil
        case .consecutive(let first): Array(first..<(first + rowCount))
        case .explicit(let lines): lines
        }
    }

    init(path: String, columnNames: [String], rowCount: Int, numbers: [String: [Double]], texts: [String: [String]],
         categories: [String: CategoryColumn] = [:], lines: LineMap) {
        self.path = path
        self.columnNames = columnNames
        self.rowCount = rowCount
        self.numbers = numbers
        self.texts = texts
        self.categories = categories
        lineMap = lines
    }

    /// The table with the text columns `names` encoded as categories (for the readers without a native encoding).
    func encodingCategories(_ names: Set<String>) -> DataTable {
        guard !names.isEmpty else { return self }
        return DataTable(path: path, columnNames: columnNames, rowCount: rowCount, numbers: numbers, texts: texts.filter { !names.contains($0.key) },
                         categories: texts.filter { names.contains($0.key) }.mapValues(CategoryColumn.init(texts:)), lines: lineMap)
    }

    /// The 1-based line of row `row` in a text file; nil for binary formats.
    public func line(ofRow row: Int) -> Int? {
        guard row >= 0, row < rowCount else { return nil }
        switch lineMap {
        case .none: return nil
        case .consecutive(let first): return first + row
        case .explicit(let lines): return row < lines.count ? lines[row] : nil
        }
    }

    /// Where row `row` is, to follow `path:` in a message: its line ("12") in a text file, else "row 11".
    public func place(ofRow row: Int) -> String {
        line(ofRow: row).map(String.init) ?? "row \(row)"
    }
}

/// A predictions file that cannot be read as asked. The description names the file, the line and the
/// column where possible, and what to do.
public struct DataError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var column: String?
    public var message: String

    public init(path: String, line: Int? = nil, column: String? = nil, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var location = path
        if let line { location += ":\(line)" }
        if let column { location += ": column '\(column)'" }
        return "\(location): \(message)"
    }
}

/// Reads predictions files — the one entry point for every format: Arrow IPC / Feather v2, `.npy` (a single
/// file, or a directory holding one `.npy` per column), CSV, TSV and JSON Lines. The format is chosen by the
/// file's magic bytes first (Arrow, NumPy; Parquet and Feather v1 are refused with the fix), then by the
/// name's extension.
public enum DataReader {
    /// Reads the requested columns of `path`; with `rowLimit`, only that many rows of a CSV, TSV or JSON Lines file
    /// (a sample of its first rows: other formats are read whole).
    public static func read(_ path: String, columns: [ColumnRequest], rowLimit: Int? = nil) throws(DataError) -> DataTable {
        // The CSV and NumPy readers encode categories as they read; the others read text, encoded afterwards.
        let categories = Set(columns.filter { $0.kind == .category }.map(\.name))
        let asText = columns.map { $0.kind == .category ? ColumnRequest($0.name, .text) : $0 }
        let table = try readFormat(path, columns: columns, asText: asText, rowLimit: rowLimit)
        return table.categories.isEmpty ? table.encodingCategories(categories) : table
    }

    /// Reads `path` in the format it is in: `columns` for the CSV and NumPy readers, `asText` (categories as text) for the rest.
    private static func readFormat(_ path: String, columns requested: [ColumnRequest], asText columns: [ColumnRequest],
                                   rowLimit: Int?) throws(DataError) -> DataTable {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw DataError(path: path, message: "cannot open the file: \(String(cString: strerror(errno))).")
        }
        if info.st_mode & S_IFMT == S_IFDIR { return try NpyReader.readDirectory(path, columns: requested) }
        let lower = path.lowercased()
        let file = try MappedFile(path: path)
        if let base = file.base {
            if ArrowReader.recognises(base, count: file.count) { return try ArrowReader.read(file, columns: columns) }
            if file.count >= 6, base[0] == 0x93, base[1] == UInt8(ascii: "N"), base[2] == UInt8(ascii: "U") {
                return try NpyReader.readFile(path, columns: requested)
            }
            if file.count >= 4, Array(UnsafeBufferPointer(start: base, count: 4)) == Array("PAR1".utf8) {
                throw DataError(path: path, message: "Parquet files are not read by mlgate; write the predictions as Feather (df.to_feather(path)), .npy or CSV.")
            }
            if file.count >= 4, Array(UnsafeBufferPointer(start: base, count: 4)) == Array("FEA1".utf8) {
                throw DataError(path: path, message: "this is a Feather v1 file; write it again as Feather v2 (pyarrow.feather.write_feather(df, path), the default version).")
            }
        }
        if [".feather", ".arrow", ".ipc", ".arrows"].contains(where: { lower.hasSuffix($0) }) {
            throw DataError(path: path, message: "not an Arrow IPC/Feather v2 file (its first bytes are not 'ARROW1'); write it with pyarrow.feather.write_feather(df, path).")
        }
        if lower.hasSuffix(".npy") { return try NpyReader.readFile(path, columns: requested) }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return try JSONLinesReader.read(file, columns: columns, rowLimit: rowLimit) }
        let delimiter: UInt8 = lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") ? 0x09 : UInt8(ascii: ",")
        return try DelimitedReader.read(file, delimiter: delimiter, columns: requested, rowLimit: rowLimit)
    }

    /// The error for a requested column the file lacks, listing the ones it has.
    static func missing(_ name: String, path: String, available: [String]) -> DataError {
        DataError(path: path, column: name, message: "no such column; the file has: \(available.joined(separator: ", ")).")
    }
}

/// A read-only memory map of a whole file, unmapped on deinit.
final class MappedFile {
    let path: String
    let base: UnsafePointer<UInt8>?
    let count: Int

    init(path: String) throws(DataError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DataError(path: path, message: "cannot open the file: \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DataError(path: path, message: "cannot read the file's size.") }
        count = Int(info.st_size)
        guard count > 0 else { throw DataError(path: path, message: "the file is empty.") }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw DataError(path: path, message: "cannot map the file: \(String(cString: strerror(errno))).")
        }
        _ = madvise(mapped, count, MADV_SEQUENTIAL)
        base = UnsafePointer(mapped.assumingMemoryBound(to: UInt8.self))
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }
}
