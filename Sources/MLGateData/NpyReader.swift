#if canImport(Glibc)
import Glibc
#endif
import MLGateEval

/// NumPy `.npy` files (format 1.0–3.0): little-endian f4, f8, the integer types and bool, C order.
/// A 1-D array is one column named after the file (`score.npy` → `score`); a 2-D array of shape (n, k)
/// is k columns `name[0]` … `name[k-1]` (class probabilities). A directory is read as one `.npy` per column.
enum NpyReader {
    private struct Array2D {
        var name: String
        var rows: Int
        var columns: Int?  // nil for 1-D
        var values: [Double]  // row-major

        var columnNames: [String] {
            guard let columns else { return [name] }
            return (0..<columns).map { "\(name)[\($0)]" }
        }

        func column(_ index: Int) -> [Double] {
            guard let columns else { return values }
            return stride(from: index, to: values.count, by: columns).map { values[$0] }
        }
    }

    static func readFile(_ path: String, columns: [ColumnRequest]) throws(DataError) -> DataTable {
        try table(path: path, arrays: [try array(path)], columns: columns)
    }

    static func readDirectory(_ path: String, columns: [ColumnRequest]) throws(DataError) -> DataTable {
        guard let directory = opendir(path) else {
            throw DataError(path: path, message: "cannot list the directory: \(String(cString: strerror(errno))).")
        }
        var files: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".npy") { files.append(name) }
        }
        closedir(directory)
        guard !files.isEmpty else { throw DataError(path: path, message: "the directory holds no .npy files.") }
        let wanted = Set(columns.map { $0.name.split(separator: "[").first.map(String.init) ?? $0.name })
        var arrays: [Array2D] = []
        for file in files.sorted() where wanted.contains(String(file.dropLast(4))) {
            arrays.append(try array(path + "/" + file))
        }
        let all = files.sorted().map { String($0.dropLast(4)) }
        return try table(path: path, arrays: arrays, columns: columns, fallbackNames: all)
    }

    /// `values` as a category column, each distinct number spelled once: by a slot per value when all are category
    /// codes (whole numbers below 65,536, the usual categorical `.npy`), else by a dictionary.
    private static func category(_ values: [Double]) -> CategoryColumn {
        var distinct: [String] = []
        var slots = [UInt32](repeating: .max, count: values.allSatisfy(Drift.isCategoryCode) ? 1 << 16 : 0)
        var index: [UInt64: UInt32] = [:]
        let codes = values.map { value -> UInt32 in
            let slot = slots.isEmpty ? nil : Int(value)
            let key = (value + 0.0).bitPattern  // −0 and +0 are one value
            if let slot, slots[slot] != .max { return slots[slot] }
            if slot == nil, let code = index[key] { return code }
            let code = UInt32(distinct.count)
            distinct.append(text(value))
            if let slot { slots[slot] = code } else { index[key] = code }
            return code
        }
        return CategoryColumn(values: distinct, codes: codes)
    }

    /// A number as text: whole numbers without a fraction (`3`, not `3.0`).
    private static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func table(path: String, arrays: [Array2D], columns: [ColumnRequest], fallbackNames: [String] = []) throws(DataError) -> DataTable {
        if columns.isEmpty, arrays.isEmpty, !fallbackNames.isEmpty {
            // Only the names were asked for (the folder's files), as a text file's header answers.
            return DataTable(path: path, columnNames: fallbackNames, rowCount: 0, numbers: [:], texts: [:], lines: .none)
        }
        let names = arrays.flatMap(\.columnNames)
        var rows: Int?
        for array in arrays {
            if let rows, rows != array.rows {
                throw DataError(path: path, message: "\(array.name).npy has \(array.rows) rows where the others have \(rows); every column needs one value per row.")
            }
            rows = array.rows
        }
        var numbers: [String: [Double]] = [:], texts: [String: [String]] = [:], categories: [String: CategoryColumn] = [:]
        for request in columns {
            guard let array = arrays.first(where: { $0.columnNames.contains(request.name) }),
                  let index = array.columnNames.firstIndex(of: request.name) else {
                throw DataReader.missing(request.name, path: path, available: names.isEmpty ? fallbackNames : names)
            }
            let values = array.column(index)
            switch request.kind {
            case .number: numbers[request.name] = values
            case .text: texts[request.name] = values.map(text)
            case .category:
                categories[request.name] = category(values)
            }
        }
        guard let rowCount = rows, rowCount > 0 else { throw DataError(path: path, message: "the arrays are empty.") }
        return DataTable(path: path, columnNames: names, rowCount: rowCount, numbers: numbers, texts: texts, categories: categories, lines: .none)
    }

    private static func array(_ path: String) throws(DataError) -> Array2D {
        let file = try MappedFile(path: path)
        guard let base = file.base, file.count >= 10, base[0] == 0x93,
              String(decoding: UnsafeBufferPointer(start: base + 1, count: 5), as: UTF8.self) == "NUMPY" else {
            throw DataError(path: path, message: "not a NumPy .npy file (the magic string is missing).")
        }
        let major = base[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(base[8]) | Int(base[9]) << 8
            headerStart = 10
        } else {
            guard file.count >= 12 else { throw DataError(path: path, message: "the .npy header is cut short.") }
            headerLength = Int(base[8]) | Int(base[9]) << 8 | Int(base[10]) << 16 | Int(base[11]) << 24
            headerStart = 12
        }
        guard headerStart + headerLength <= file.count else { throw DataError(path: path, message: "the .npy header is cut short.") }
        let header = String(decoding: UnsafeBufferPointer(start: base + headerStart, count: headerLength), as: UTF8.self)
        guard let descr = value(of: "descr", in: header)?.trimmingQuotes, let shapeText = value(of: "shape", in: header) else {
            throw DataError(path: path, message: "the .npy header has no 'descr' or 'shape'.")
        }
        let shape = shapeText.filter { $0.isNumber || $0 == "," }.split(separator: ",").compactMap { Int($0) }
        guard shape.count == 1 || shape.count == 2 else {
            throw DataError(path: path, message: "the array has shape \(shapeText); mlgate reads 1-D arrays, and 2-D arrays of class probabilities.")
        }
        if shape.count == 2, value(of: "fortran_order", in: header)?.hasPrefix("True") == true {
            throw DataError(path: path, message: "the array is in Fortran order; save it with np.save(path, np.ascontiguousarray(a)).")
        }
        let count = shape.reduce(1, *)
        let dataStart = headerStart + headerLength
        guard let kind = ElementKind(descr: descr) else {
            throw DataError(path: path, message: "the element type '\(descr)' is not supported; use little-endian float32/64, an integer type or bool.")
        }
        guard dataStart + count * kind.size <= file.count else {
            throw DataError(path: path, message: "the file holds fewer values than its shape \(shapeText) says.")
        }
        let raw = UnsafeRawPointer(base + dataStart)
        let values: [Double]
        if case .float64 = kind {
            values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                if let out = buffer.baseAddress { UnsafeMutableRawPointer(out).copyMemory(from: raw, byteCount: count * 8) }
                initialized = count
            }
        } else {
            values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                switch kind {
                case .uint8: for index in 0..<count { buffer[index] = Double(raw.load(fromByteOffset: index, as: UInt8.self)) }
                default: for index in 0..<count { buffer[index] = kind.read(raw, index) }
                }
                initialized = count
            }
        }
        let name = String((path.split(separator: "/").last ?? "").dropLast(4))
        return Array2D(name: name, rows: shape[0], columns: shape.count == 2 ? shape[1] : nil, values: values)
    }

    /// The text after `'key':` up to the next top-level comma or closing brace.
    private static func value(of key: String, in header: String) -> String? {
        guard let range = header.firstRange(of: "'\(key)':") else { return nil }
        var depth = 0
        var result = ""
        for character in header[range.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth == 0, character == "," || character == "}" { break }
            result.append(character)
        }
        return result.trimmingCharacters
    }

    private enum ElementKind {
        case float64, float32, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool

        init?(descr: String) {
            switch descr {
            case "<f8": self = .float64
            case "<f4": self = .float32
            case "|i1", "<i1": self = .int8
            case "<i2": self = .int16
            case "<i4": self = .int32
            case "<i8": self = .int64
            case "|u1", "<u1": self = .uint8
            case "<u2": self = .uint16
            case "<u4": self = .uint32
            case "<u8": self = .uint64
            case "|b1": self = .bool
            default: return nil
            }
        }

        var size: Int {
            switch self {
            case .float64, .int64, .uint64: 8
            case .float32, .int32, .uint32: 4
            case .int16, .uint16: 2
            case .int8, .uint8, .bool: 1
            }
        }

        func read(_ raw: UnsafeRawPointer, _ index: Int) -> Double {
            let offset = index * size
            switch self {
            case .float64: return raw.loadUnaligned(fromByteOffset: offset, as: Double.self)
            case .float32: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Float.self))
            case .int8: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int8.self))
            case .int16: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int16.self))
            case .int32: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
            case .int64: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int64.self))
            case .uint8: return Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt8.self))
            case .uint16: return Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            case .uint32: return Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            case .uint64: return Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            case .bool: return raw.loadUnaligned(fromByteOffset: offset, as: UInt8.self) != 0 ? 1 : 0
            }
        }
    }
}

extension String {
    /// Without surrounding spaces.
    var trimmingCharacters: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }

    /// Without surrounding spaces and one pair of single or double quotes.
    var trimmingQuotes: String {
        let trimmed = trimmingCharacters
        guard trimmed.count >= 2, let first = trimmed.first, first == trimmed.last, first == "'" || first == "\"" else { return trimmed }
        return String(trimmed.dropFirst().dropLast())
    }
}
