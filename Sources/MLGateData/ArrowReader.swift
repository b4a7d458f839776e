/// Arrow IPC files — Feather v2 (`pyarrow.feather.write_feather`, `df.to_feather`) and the IPC file and
/// stream formats — read from the memory map: the messages are walked in order (schema, then record
/// batches), so the file and stream formats share one path. Columns of int, uint, float16/32/64 and bool
/// are numbers; utf8 and large_utf8 are text. Buffers may be uncompressed or LZ4-frame compressed (pyarrow's
/// default); ZSTD-compressed files are refused with the fix. Null values, dictionary-encoded and nested
/// columns are refused when requested.
enum ArrowReader {
    static func read(_ file: MappedFile, columns: [ColumnRequest]) throws(DataError) -> DataTable {
        guard let base = file.base else { throw DataError(path: file.path, message: "the file is empty.") }
        let bytes = UnsafeRawBufferPointer(start: base, count: file.count)
        var reader = Reader(bytes: bytes, path: file.path)
        return try reader.read(columns: columns)
    }

    /// Whether the bytes start like an Arrow IPC file ("ARROW1") or stream (a continuation marker).
    static func recognises(_ base: UnsafePointer<UInt8>, count: Int) -> Bool {
        if count >= 6, Array(UnsafeBufferPointer(start: base, count: 6)) == Array("ARROW1".utf8) { return true }
        return count >= 8 && base[0] == 0xFF && base[1] == 0xFF && base[2] == 0xFF && base[3] == 0xFF
    }

    /// A flatbuffer table inside the file's bytes.
    private struct Table {
        let bytes: UnsafeRawBufferPointer
        let position: Int

        /// The table at the root offset stored at `at`.
        static func root(_ bytes: UnsafeRawBufferPointer, at: Int) -> Table? {
            guard at >= 0, at + 4 <= bytes.count else { return nil }
            return Table(bytes: bytes, position: at + Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian))
                .checked
        }

        var checked: Table? {
            guard position >= 0, position + 4 <= bytes.count else { return nil }
            let vtable = position - Int(bytes.loadUnaligned(fromByteOffset: position, as: Int32.self).littleEndian)
            guard vtable >= 0, vtable + 4 <= bytes.count else { return nil }
            return self
        }

        /// The absolute position of field `index`, nil when absent.
        func field(_ index: Int) -> Int? {
            let vtable = position - Int(bytes.loadUnaligned(fromByteOffset: position, as: Int32.self).littleEndian)
            let size = Int(bytes.loadUnaligned(fromByteOffset: vtable, as: UInt16.self).littleEndian)
            let slot = 4 + 2 * index
            guard slot + 2 <= size, vtable + slot + 2 <= bytes.count else { return nil }
            let offset = Int(bytes.loadUnaligned(fromByteOffset: vtable + slot, as: UInt16.self).littleEndian)
            guard offset != 0, position + offset < bytes.count else { return nil }
            return position + offset
        }

        func scalar<T: FixedWidthInteger>(_ index: Int, _ type: T.Type, default value: T) -> T {
            guard let at = field(index), at + MemoryLayout<T>.size <= bytes.count else { return value }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
        }

        /// The position a field's uoffset points at.
        func indirect(_ index: Int) -> Int? {
            guard let at = field(index), at + 4 <= bytes.count else { return nil }
            let target = at + Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
            return target < bytes.count ? target : nil
        }

        func table(_ index: Int) -> Table? { indirect(index).flatMap { Table(bytes: bytes, position: $0).checked } }

        func string(_ index: Int) -> String? {
            guard let at = indirect(index), at + 4 <= bytes.count else { return nil }
            let length = Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
            guard at + 4 + length <= bytes.count else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 4)..<(at + 4 + length)]), as: UTF8.self)
        }

        /// A vector's element count and the position of its first element.
        func vector(_ index: Int, elementSize: Int) -> (count: Int, start: Int)? {
            guard let at = indirect(index), at + 4 <= bytes.count else { return nil }
            let count = Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
            guard at + 4 + count * elementSize <= bytes.count else { return nil }
            return (count, at + 4)
        }

        /// The tables of a vector of tables.
        func tables(_ index: Int) -> [Table]? {
            guard let (count, start) = vector(index, elementSize: 4) else { return nil }
            var result: [Table] = []
            for element in 0..<count {
                let at = start + 4 * element
                guard let table = Table(bytes: bytes, position: at + Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)).checked else {
                    return nil
                }
                result.append(table)
            }
            return result
        }
    }

    /// A column's type, as far as mlgate reads it.
    private enum ColumnType {
        case signed(Int), unsigned(Int), float(Int), bool, utf8, largeUTF8
        /// Another type: its name and how many buffers it (and its children) take in a record batch.
        case other(String, buffers: Int, nodes: Int)

        var buffers: Int {
            switch self {
            case .utf8, .largeUTF8: 3
            case .other(_, let buffers, _): buffers
            default: 2
            }
        }

        var nodes: Int {
            if case .other(_, _, let nodes) = self { return nodes }
            return 1
        }
    }

    private struct Column {
        var name: String
        var type: ColumnType
        var dictionary: Bool
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let path: String

        func fail(_ message: String, column: String? = nil) -> DataError {
            DataError(path: path, column: column, message: message)
        }

        mutating func read(columns requests: [ColumnRequest]) throws(DataError) -> DataTable {
            var position = 0
            if bytes.count >= 8, Array(bytes[0..<6]) == Array("ARROW1".utf8) { position = 8 }
            var schema: [Column]?
            var numbers: [String: [Double]] = [:], texts: [String: [String]] = [:]
            var rows = 0
            while position + 4 <= bytes.count {
                var length = Int(bytes.loadUnaligned(fromByteOffset: position, as: Int32.self).littleEndian)
                position += 4
                if length == -1 {  // continuation marker, then the length
                    guard position + 4 <= bytes.count else { break }
                    length = Int(bytes.loadUnaligned(fromByteOffset: position, as: Int32.self).littleEndian)
                    position += 4
                }
                if length == 0 { break }  // end of stream (the file format's footer follows)
                guard length > 0, position + length <= bytes.count,
                      let message = Table.root(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)]), at: 0) else {
                    throw fail("the Arrow IPC data is damaged (a message runs past the end of the file); write the file again.")
                }
                let bodyStart = position + length
                let bodyLength = Int(message.scalar(3, Int64.self, default: 0))
                guard bodyLength >= 0, bodyStart + bodyLength <= bytes.count else {
                    throw fail("the Arrow IPC data is damaged (a record batch runs past the end of the file); write the file again.")
                }
                let body = UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<(bodyStart + bodyLength)])
                switch message.scalar(1, UInt8.self, default: 0) {
                case 1:
                    guard let header = message.table(2) else { throw fail("the Arrow schema message is damaged.") }
                    schema = try readSchema(header)
                case 3:
                    guard let schema else { throw fail("the Arrow data has a record batch before its schema.") }
                    guard let header = message.table(2) else { throw fail("an Arrow record batch message is damaged.") }
                    rows += try readBatch(header, body: body, schema: schema, requests: requests, numbers: &numbers, texts: &texts)
                default:
                    break  // dictionary batches (refused per column), tensors
                }
                position = bodyStart + bodyLength
            }
            guard let schema else { throw fail("not an Arrow IPC/Feather v2 file: no schema found.") }
            let names = schema.map(\.name)
            for request in requests where !names.contains(request.name) {
                throw DataReader.missing(request.name, path: path, available: names)
            }
            guard rows > 0 else { throw fail("the file has columns but no rows.") }
            for request in requests {
                if request.kind == .number, numbers[request.name] == nil { numbers[request.name] = [] }
                if request.kind == .text, texts[request.name] == nil { texts[request.name] = [] }
            }
            return DataTable(path: path, columnNames: names, rowCount: rows, numbers: numbers, texts: texts, lines: .none)
        }

        func readSchema(_ schema: Table) throws(DataError) -> [Column] {
            if schema.scalar(0, Int16.self, default: 0) != 0 {
                throw fail("the Arrow file is big-endian; write it on a little-endian machine (or with pyarrow, which writes little-endian).")
            }
            guard let fields = schema.tables(1) else { throw fail("the Arrow schema is damaged.") }
            return try fields.map { field throws(DataError) in
                Column(name: field.string(0) ?? "", type: try type(of: field), dictionary: field.field(4) != nil)
            }
        }

        func type(of field: Table) throws(DataError) -> ColumnType {
            let kind = field.scalar(2, UInt8.self, default: 0)
            let detail = field.table(3)
            switch kind {
            case 2:
                let width = Int(detail?.scalar(0, Int32.self, default: 0) ?? 0)
                return detail?.scalar(1, UInt8.self, default: 0) != 0 ? .signed(width) : .unsigned(width)
            case 3:
                return .float([16, 32, 64][min(2, Int(detail?.scalar(0, Int16.self, default: 0) ?? 0))])
            case 6: return .bool
            case 5: return .utf8
            case 20: return .largeUTF8
            default:
                // Buffers per type in a record batch (Arrow columnar format), children counted through.
                let children = field.tables(5) ?? []
                var buffers = 0, nodes = 1
                for child in children {
                    let type = try type(of: child)
                    buffers += type.buffers
                    nodes += type.nodes
                }
                let names = [1: "null", 4: "binary", 7: "decimal", 8: "date", 9: "time", 10: "timestamp", 11: "interval",
                             12: "list", 13: "struct", 14: "union", 15: "fixed_size_binary", 16: "fixed_size_list", 17: "map",
                             18: "duration", 19: "large_binary", 21: "large_list"]
                let own = [1: 0, 4: 3, 7: 2, 8: 2, 9: 2, 10: 2, 11: 2, 12: 2, 13: 1, 15: 2, 16: 1, 17: 2, 18: 2, 19: 3, 21: 2]
                guard let count = own[Int(kind)] else {
                    throw fail("column '\(field.string(0) ?? "")' has an Arrow type (\(names[Int(kind)] ?? "#\(kind)")) mlgate cannot lay out; write numeric and string columns only.")
                }
                return .other(names[Int(kind)] ?? "#\(kind)", buffers: count + buffers, nodes: nodes)
            }
        }

        /// Reads one record batch's requested columns; returns its row count.
        func readBatch(_ batch: Table, body batchBody: UnsafeRawBufferPointer, schema: [Column], requests: [ColumnRequest],
                       numbers: inout [String: [Double]], texts: inout [String: [String]]) throws(DataError) -> Int {
            let rows = Int(batch.scalar(0, Int64.self, default: 0))
            guard let (nodeCount, nodeStart) = batch.vector(1, elementSize: 16),
                  let (bufferCount, bufferStart) = batch.vector(2, elementSize: 16) else {
                throw fail("an Arrow record batch is damaged.")
            }
            var codec: UInt8?
            if let compression = batch.table(3) { codec = compression.scalar(0, UInt8.self, default: 0) }
            if codec == 1 {
                throw fail("the file's buffers are ZSTD-compressed, which mlgate does not read; write it with pyarrow.feather.write_feather(df, path, compression='lz4') (the default) or compression='uncompressed'.")
            }
            let metadata = batch.bytes
            func bytesAt<T: FixedWidthInteger>(_ at: Int, _ type: T.Type) -> T {
                guard at >= 0, at + MemoryLayout<T>.size <= metadata.count else { return 0 }
                return T(littleEndian: metadata.loadUnaligned(fromByteOffset: at, as: T.self))
            }
            var node = 0, buffer = 0
            for column in schema {
                defer { node += column.type.nodes; buffer += column.type.buffers }
                let wanted = Set(requests.filter { $0.name == column.name }.map(\.kind))
                guard !wanted.isEmpty else { continue }
                guard !column.dictionary else {
                    throw fail("the column is dictionary-encoded (a pandas category); convert it first, e.g. df[c] = df[c].astype(str).", column: column.name)
                }
                guard node < nodeCount, buffer + column.type.buffers <= bufferCount else { throw fail("an Arrow record batch is damaged.") }
                let nullCount = Int(bytesAt(nodeStart + 16 * node + 8, Int64.self))
                let length = Int(bytesAt(nodeStart + 16 * node, Int64.self))
                guard length == rows else { throw fail("an Arrow record batch is damaged (column lengths differ).", column: column.name) }
                if nullCount > 0 {
                    throw fail("the column has \(nullCount) missing (null) values; every row needs a value here (fill or drop them first).", column: column.name)
                }
                /// Buffer `index` of the column as bytes: in the map when stored plain, else decoded.
                func withBuffer<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws(DataError) -> R) throws(DataError) -> R {
                    let at = bufferStart + 16 * (buffer + index)
                    let offset = Int(bytesAt(at, Int64.self)), size = Int(bytesAt(at + 8, Int64.self))
                    guard offset >= 0, size >= 0, offset + size <= batchBody.count else { throw fail("an Arrow buffer runs past its record batch.", column: column.name) }
                    let raw = UnsafeRawBufferPointer(rebasing: batchBody[offset..<(offset + size)])
                    guard codec != nil, size > 0 else { return try body(raw) }
                    guard size >= 8 else { throw fail("a compressed Arrow buffer is cut short.", column: column.name) }
                    let uncompressed = Int(raw.loadUnaligned(as: Int64.self).littleEndian)
                    let payload = UnsafeRawBufferPointer(rebasing: raw[8...])
                    if uncompressed == -1 { return try body(payload) }
                    guard uncompressed >= 0, uncompressed <= 1 << 40 else { throw fail("a compressed Arrow buffer states an impossible size.", column: column.name) }
                    var failure: LZ4Frame.Failure?
                    let decoded = [UInt8](unsafeUninitializedCapacity: uncompressed) { output, initialized in
                        do throws(LZ4Frame.Failure) {
                            if let out = output.baseAddress { try LZ4Frame.decode(payload, into: out, expected: uncompressed) }
                            initialized = uncompressed
                        } catch {
                            failure = error
                            initialized = 0
                        }
                    }
                    if let failure { throw fail("the LZ4-compressed data cannot be decoded (\(failure.reason)); write the file again.", column: column.name) }
                    let result: Result<R, DataError> = decoded.withUnsafeBytes { raw in
                        Result { () throws(DataError) -> R in try body(raw) }
                    }
                    return try result.get()
                }
                for kind in [ColumnKind.number, .text] where wanted.contains(kind) {
                    switch (column.type, kind) {
                    case (.utf8, .text), (.largeUTF8, .text):
                        let wide: Bool
                        if case .largeUTF8 = column.type { wide = true } else { wide = false }
                        let data = try withBuffer(2) { raw throws(DataError) in Array(raw) }
                        let width = wide ? 8 : 4
                        var values: [String] = []
                        values.reserveCapacity(rows)
                        try withBuffer(1) { raw throws(DataError) in
                            guard raw.count >= (rows + 1) * width || rows == 0 else { throw fail("an Arrow offsets buffer is too short.", column: column.name) }
                            func offset(_ i: Int) -> Int {
                                wide ? Int(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self).littleEndian)
                                    : Int(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self).littleEndian)
                            }
                            for row in 0..<rows {
                                let start = offset(row), end = offset(row + 1)
                                guard start >= 0, start <= end, end <= data.count else { throw fail("an Arrow string offset is out of range.", column: column.name) }
                                values.append(String(decoding: data[start..<end], as: UTF8.self))
                            }
                        }
                        texts[column.name, default: []] += values
                    case (.utf8, .number), (.largeUTF8, .number):
                        throw fail("the column holds strings (Arrow utf8) where numbers are needed; write it as a numeric column.", column: column.name)
                    case (.other(let name, _, _), _):
                        throw fail("the column's Arrow type \(name) is not read by mlgate; write it as a numeric or string column.", column: column.name)
                    case (_, let kind):
                        let values = try withBuffer(1) { raw throws(DataError) in try numbersOf(column, rows: rows, raw) }
                        if kind == .number {
                            numbers[column.name, default: []] += values
                        } else {
                            texts[column.name, default: []] += values.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : String($0) }
                        }
                    }
                }
            }
            return rows
        }


        func numbersOf(_ column: Column, rows: Int, _ raw: UnsafeRawBufferPointer) throws(DataError) -> [Double] {
            func convert<T>(_ type: T.Type, _ value: (T) -> Double) throws(DataError) -> [Double] {
                let width = MemoryLayout<T>.size
                guard raw.count >= rows * width else { throw fail("an Arrow data buffer is too short.", column: column.name) }
                return [Double](unsafeUninitializedCapacity: rows) { out, initialized in
                    for row in 0..<rows { out[row] = value(raw.loadUnaligned(fromByteOffset: row * width, as: T.self)) }
                    initialized = rows
                }
            }
            switch column.type {
            case .bool:
                guard raw.count * 8 >= rows else { throw fail("an Arrow bool buffer is too short.", column: column.name) }
                return (0..<rows).map { Double((raw[$0 >> 3] >> UInt8($0 & 7)) & 1) }
            case .float(64): return try convert(Double.self) { $0 }
            case .float(32): return try convert(Float.self) { Double($0) }
            case .float: return try convert(UInt16.self) { ArrowReader.halfToDouble($0) }
            case .signed(8): return try convert(Int8.self) { Double($0) }
            case .signed(16): return try convert(Int16.self) { Double($0) }
            case .signed(32): return try convert(Int32.self) { Double($0) }
            case .signed: return try convert(Int64.self) { Double($0) }
            case .unsigned(8): return try convert(UInt8.self) { Double($0) }
            case .unsigned(16): return try convert(UInt16.self) { Double($0) }
            case .unsigned(32): return try convert(UInt32.self) { Double($0) }
            case .unsigned: return try convert(UInt64.self) { Double($0) }
            default: throw fail("the column is not numeric.", column: column.name)
            }
        }
    }

    /// IEEE half precision to double.
    static func halfToDouble(_ bits: UInt16) -> Double {
        let sign = bits >> 15 != 0 ? -1.0 : 1.0
        let exponent = Int((bits >> 10) & 0x1F), fraction = Double(bits & 0x3FF)
        if exponent == 0 { return sign * fraction * 0x1p-24 }
        if exponent == 31 { return fraction == 0 ? sign * .infinity : .nan }
        return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}
