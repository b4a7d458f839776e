#if canImport(Glibc)
import Glibc
#endif
import MLGateEval

/// CSV and TSV with a header row: RFC 4180 quotes (`""` inside a quoted field is one quote, and a
/// quoted field may hold delimiters and newlines), LF or CRLF line ends, a UTF-8 byte-order mark, and
/// empty lines (skipped). Every record must have as many fields as the header.
enum DelimitedReader {
    private enum Target {
        case skip
        case number(Int)
        case text(Int)
        case category(Int)
    }

    /// A field's bytes: in the mapped file, or (for a quoted field with `""` escapes) unescaped in the scratch buffer.
    private enum Field {
        case mapped(UnsafePointer<UInt8>, Int)
        case unescaped

        func text(_ scratch: [UInt8]) -> String {
            switch self {
            case .mapped(let start, let count): String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
            case .unescaped: String(decoding: scratch, as: UTF8.self)
            }
        }

        /// Appends the field to `encoder`.
        func encode(into encoder: inout CategoryEncoder, _ scratch: [UInt8]) {
            switch self {
            case .mapped(let start, let count): encoder.append(UnsafeBufferPointer(start: start, count: count))
            case .unescaped: scratch.withUnsafeBufferPointer { encoder.append($0) }
            }
        }

        @inline(__always)
        func number(_ scratch: borrowing [UInt8]) -> DecimalParser.Result {
            switch self {
            case .mapped(let start, let count): DecimalParser.parse(start, count: count)
            case .unescaped: scratch.withUnsafeBufferPointer { buffer in
                buffer.baseAddress.map { DecimalParser.parse($0, count: buffer.count) } ?? .notANumber
            }
            }
        }
    }

    static func read(_ file: MappedFile, delimiter: UInt8, columns: [ColumnRequest], rowLimit: Int? = nil) throws(DataError) -> DataTable {
        guard let base = file.base else { throw DataError(path: file.path, message: "the file is empty.") }
        var cursor = Cursor(position: base, end: base + file.count, line: 1, delimiter: delimiter, path: file.path)
        if file.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { cursor.position += 3 }
        cursor.skipEmptyLines()
        guard !cursor.atEnd else { throw DataError(path: file.path, message: "the file has no header row.") }
        var header: [String] = []
        var scratch: [UInt8] = []
        repeat {
            header.append(try cursor.nextField(&scratch).text(scratch))
        } while cursor.consumeDelimiter()
        cursor.consumeLineEnd()

        var targets = [Target](repeating: .skip, count: header.count)
        var numberNames: [String] = [], textNames: [String] = [], categoryNames: [String] = []
        for request in columns {
            let matches = header.indices.filter { header[$0] == request.name }
            guard let index = matches.first else { throw DataReader.missing(request.name, path: file.path, available: header) }
            guard matches.count == 1 else {
                throw DataError(path: file.path, line: 1, column: request.name, message: "the header names this column \(matches.count) times; rename the copies.")
            }
            switch request.kind {
            case .number:
                targets[index] = .number(numberNames.count)
                numberNames.append(request.name)
            case .text:
                targets[index] = .text(textNames.count)
                textNames.append(request.name)
            case .category:
                targets[index] = .category(categoryNames.count)
                categoryNames.append(request.name)
            }
        }

        let dataStart = cursor.position
        let dataEnd = base + file.count
        let records: Records
        let numberColumns: [[Double]]
        // Two halves on two cores when the file is large and has no quote (a quoted field may hold line
        // feeds, so a cut could land in one); each half is surveyed on its own core first.
        var plan: (split: UnsafePointer<UInt8>, head: Survey, tail: Survey)?
        if rowLimit == nil, !numberNames.isEmpty || !categoryNames.isEmpty, let split = middleLine(dataStart, dataEnd) {
            let (head, tail) = Parallel.pair({ Survey(dataStart, split) }, { Survey(split, dataEnd) })
            plan = (split, head, tail)
        }
        if let (split, head, tail) = plan, !head.quoted, !tail.quoted {
            (records, numberColumns) = try readHalves(
                dataStart, split, dataEnd, firstLine: cursor.line, firstFeeds: head.lineFeeds, capacity: head.lineFeeds + tail.lineFeeds + 1,
                header: header, targets: targets, numberCount: numberNames.count, textCount: textNames.count, categoryCount: categoryNames.count,
                delimiter: delimiter, path: file.path)
        } else {
            let capacity = rowLimit ?? plan.map { $0.head.lineFeeds + $0.tail.lineFeeds + 1 } ?? Survey(dataStart, dataEnd).lineFeeds + 1
            var result: Records?
            do {
                numberColumns = try withColumns(numberNames.count, capacity: capacity) { numbers in
                    let parsed = try parseRecords(&cursor, header: header, targets: targets, numbers: numbers, textCount: textNames.count,
                                                  categoryCount: categoryNames.count, rowLimit: rowLimit ?? .max)
                    result = parsed
                    return parsed.rows
                }
            } catch let error as DataError {
                throw error
            } catch {
                throw DataError(path: file.path, message: "\(error)")
            }
            records = result ?? Records(textCount: textNames.count, categoryCount: categoryNames.count, firstLine: cursor.line)
        }
        guard records.rows > 0 else { throw DataError(path: file.path, message: "the file has a header but no rows.") }
        return DataTable(
            path: file.path, columnNames: header, rowCount: records.rows,
            numbers: Dictionary(uniqueKeysWithValues: zip(numberNames, numberColumns)),
            texts: Dictionary(uniqueKeysWithValues: zip(textNames, records.texts)),
            categories: Dictionary(uniqueKeysWithValues: zip(categoryNames, records.categories.map(\.column))),
            lines: records.lineMap)
    }

    /// What a run of records produced (numbers go straight into the caller's buffers).
    private struct Records {
        var rows = 0
        var texts: [[String]]
        var categories: [CategoryEncoder]
        /// The line of the first record; rows sit on consecutive lines from it unless `lines` is set.
        var firstLine: Int
        /// Each row's line, kept only once a row was not on the line after the previous one (empty lines,
        /// quoted line feeds).
        var lines: [Int]?

        init(textCount: Int, categoryCount: Int, firstLine: Int) {
            texts = [[String]](repeating: [], count: textCount)
            categories = [CategoryEncoder](repeating: CategoryEncoder(), count: categoryCount)
            self.firstLine = firstLine
        }

        /// Notes that the next row starts on `line`.
        @inline(__always)
        mutating func recordLine(_ line: Int) {
            if lines == nil {
                if rows == 0 { firstLine = line; return }
                if line == firstLine + rows { return }
                lines = Array(firstLine..<(firstLine + rows))
            }
            lines?.append(line)
        }

        var lineMap: DataTable.LineMap { lines.map { .explicit($0) } ?? .consecutive(first: firstLine) }

        /// The rows of `head` then `tail`.
        static func joined(_ head: Records, _ tail: Records) -> Records {
            var records = head
            records.rows = head.rows + tail.rows
            records.texts = zip(head.texts, tail.texts).map { $0 + $1 }
            for index in records.categories.indices { records.categories[index].append(tail.categories[index]) }
            if head.lines == nil, tail.lines == nil, head.rows == 0 || tail.rows == 0 || tail.firstLine == head.firstLine + head.rows {
                records.firstLine = head.rows == 0 ? tail.firstLine : head.firstLine
                records.lines = nil
            } else {
                records.lines = (head.lines ?? Array(head.firstLine..<(head.firstLine + head.rows)))
                    + (tail.lines ?? Array(tail.firstLine..<(tail.firstLine + tail.rows)))
            }
            return records
        }
    }

    /// Parses records from `cursor` to its end, numbers into `numbers[slot][row]`. A row of plain fields
    /// (`Cursor.plainRow`) takes one pass; any other row is read again field by field, which also finds
    /// and words every refusal.
    private static func parseRecords(_ cursor: inout Cursor, header: [String], targets: [Target], numbers: [UnsafeMutablePointer<Double>],
                                     textCount: Int, categoryCount: Int, rowLimit: Int = .max) throws(DataError) -> Records {
        var records = Records(textCount: textCount, categoryCount: categoryCount, firstLine: cursor.line)
        var scratch: [UInt8] = []
        // The plain-row plan: each field's number slot, -2 - its category slot, or -1 to skip it; none when a column
        // is kept as text.
        let plan: [Int]? = textCount > 0 ? nil : targets.map { target in
            switch target {
            case .number(let slot): slot
            case .category(let slot): -2 - slot
            case .skip, .text: -1
            }
        }
        var encoders = records.categories
        records.categories = []
        let planBuffer = UnsafeMutablePointer<Int>.allocate(capacity: max(1, targets.count))
        defer { planBuffer.deallocate() }
        plan.map { planBuffer.initialize(from: $0, count: $0.count) }
        let outputs = UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: max(1, numbers.count))
        defer { outputs.deallocate() }
        outputs.initialize(from: numbers, count: numbers.count)
        let fields = UnsafeBufferPointer(start: planBuffer, count: plan == nil ? 0 : targets.count)
        while records.rows < rowLimit {
            cursor.skipEmptyLines()
            if cursor.atEnd { break }
            let line = cursor.line
            records.recordLine(line)
            if fields.isEmpty || !cursor.plainRow(fields, outputs, &encoders, row: records.rows) {
                for index in encoders.indices { encoders[index].truncate(to: records.rows) }
                try parseRecord(&cursor, line: line, header: header, targets: targets, numbers: numbers, encoders: &encoders, records: &records,
                                scratch: &scratch)
            }
            records.rows += 1
        }
        records.categories = encoders
        return records
    }

    /// Parses one record field by field: quotes, text columns, CR line ends, and the refusals.
    private static func parseRecord(_ cursor: inout Cursor, line: Int, header: [String], targets: [Target], numbers: [UnsafeMutablePointer<Double>],
                                    encoders: inout [CategoryEncoder], records: inout Records, scratch: inout [UInt8]) throws(DataError) {
        var fieldIndex = 0
        repeat {
            switch fieldIndex < targets.count ? targets[fieldIndex] : .skip {
            case .skip:
                _ = try cursor.nextField(&scratch)
            case .number(let slot):
                if let value = cursor.plainNumber() {
                    numbers[slot][records.rows] = value
                } else {
                    let field = try cursor.nextField(&scratch)
                    guard case .number(let value) = field.number(scratch) else {
                        let text = field.text(scratch)
                        throw DataError(path: cursor.path, line: line, column: header[fieldIndex],
                                        message: text.isEmpty ? "the value is empty; every row needs a number here." : "'\(text)' is not a number.")
                    }
                    numbers[slot][records.rows] = value
                }
            case .text(let slot):
                records.texts[slot].append(try cursor.nextField(&scratch).text(scratch))
            case .category(let slot):
                try cursor.nextField(&scratch).encode(into: &encoders[slot], scratch)
            }
            fieldIndex += 1
        } while cursor.consumeDelimiter()
        cursor.consumeLineEnd()
        guard fieldIndex == header.count else {
            throw DataError(path: cursor.path, line: line,
                            message: "this row has \(fieldIndex) field\(fieldIndex == 1 ? "" : "s"); the header has \(header.count).")
        }
    }

    /// Where to cut the data in two for two threads: just after the line feed nearest the middle; nil for
    /// files under 16 MiB.
    private static func middleLine(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
        let size = end - start
        guard size >= 16 << 20 else { return nil }
        let middle = start + size / 2
        guard let newline = memchr(middle, 0x0A, end - middle) else { return nil }
        let split = newline.assumingMemoryBound(to: UInt8.self) + 1
        return split < end ? UnsafePointer(split) : nil
    }

    /// Parses the two halves on two cores straight into the columns' storage: the second half starts at
    /// an upper bound of the first half's rows (its line feeds: the first half ends just after one), and
    /// moves down only if empty lines made the first half shorter.
    private static func readHalves(
        _ start: UnsafePointer<UInt8>, _ split: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, firstLine: Int, firstFeeds: Int,
        capacity: Int, header: [String], targets: [Target], numberCount: Int, textCount: Int, categoryCount: Int, delimiter: UInt8, path: String
    ) throws(DataError) -> (Records, [[Double]]) {
        let offset = firstFeeds
        let halves = [(start, split, firstLine, 0), (split, end, firstLine + firstFeeds, offset)]
        var records = Records(textCount: textCount, categoryCount: categoryCount, firstLine: firstLine)
        let columns: [[Double]]
        do {
            columns = try withColumns(numberCount, capacity: capacity) { numbers in
                func parse(_ index: Int) -> Result<Records, DataError> {
                    let (from, to, line, shift) = halves[index]
                    var cursor = Cursor(position: from, end: to, line: line, delimiter: delimiter, path: path)
                    do {
                        return .success(try parseRecords(&cursor, header: header, targets: targets,
                                                         numbers: numbers.map { $0 + shift }, textCount: textCount, categoryCount: categoryCount))
                    } catch {
                        return .failure(error)
                    }
                }
                let (first, second) = Parallel.pair({ parse(0) }, { parse(1) })
                let head = try first.get(), tail = try second.get()
                if head.rows < offset {
                    for column in numbers { memmove(column + head.rows, column + offset, tail.rows * MemoryLayout<Double>.stride) }
                }
                records = Records.joined(head, tail)
                return records.rows
            }
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(path: path, message: "\(error)")
        }
        return (records, columns)
    }

    /// Runs `body` with `count` column buffers of `capacity` doubles and returns them as arrays holding the
    /// number of rows `body` returns. The arrays' own storage is filled in place: 10⁷-row columns are
    /// neither copied nor faulted in twice.
    private static func withColumns(_ count: Int, capacity: Int,
                                    _ body: ([UnsafeMutablePointer<Double>]) throws -> Int) throws -> [[Double]] {
        var pointers: [UnsafeMutablePointer<Double>] = []
        var rows = 0
        func level(_ remaining: Int) throws -> [[Double]] {
            if remaining == 0 {
                rows = try body(pointers)
                return []
            }
            var rest: [[Double]] = []
            let column = try [Double](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                guard let base = buffer.baseAddress else { return }
                adviseHugePages(UnsafeMutableRawPointer(base), bytes: capacity * MemoryLayout<Double>.stride)
                pointers.append(base)
                rest = try level(remaining - 1)
                initialized = rows
            }
            return [column] + rest
        }
        return try level(count)
    }

    /// Asks for 2 MiB pages in the whole 2 MiB blocks of a large new buffer (when transparent huge pages are
    /// on "madvise"): a 10⁷-row column then takes 40 page faults instead of 20,000.
    private static func adviseHugePages(_ base: UnsafeMutableRawPointer, bytes: Int) {
        let block = 2 << 20
        guard bytes >= 2 * block else { return }
        let first = (Int(bitPattern: base) + block - 1) & ~(block - 1)
        let last = (Int(bitPattern: base) + bytes) & ~(block - 1)
        guard last > first, let start = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(start, last - first, MADV_HUGEPAGE)
    }

    /// What a pass over bytes found: their line feeds (an upper bound on the records in them, so output
    /// buffers never grow) and whether any byte is a quote.
    private struct Survey {
        var lineFeeds = 0
        var quoted = false

        /// Surveys `start..<end` eight bytes at a time in a word, exact per byte (no memchr call per line): a byte
        /// equal to the one sought is a zero byte of the word XORed with it, and the classic test marks exactly those
        /// in their top bit, so a population count counts them.
        init(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) {
            let raw = UnsafeRawPointer(start)
            let count = end - start
            let low = UInt64(0x7F7F_7F7F_7F7F_7F7F), feeds = UInt64(0x0A0A_0A0A_0A0A_0A0A), quotes = UInt64(0x2222_2222_2222_2222)
            /// The top bit of each zero byte of `word`, and no other bit.
            @inline(__always) func zeroBytes(_ word: UInt64) -> UInt64 { ~(((word & low) &+ low) | word | low) }
            var total = 0, index = 0
            var quoteBits: UInt64 = 0
            while index &+ 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                total &+= zeroBytes(word ^ feeds).nonzeroBitCount
                quoteBits |= zeroBytes(word ^ quotes)
                index &+= 8
            }
            var quoted = quoteBits != 0
            while index < count {
                if start[index] == 0x0A { total &+= 1 }
                if start[index] == 0x22 { quoted = true }
                index &+= 1
            }
            lineFeeds = total
            self.quoted = quoted
        }
    }

    /// A position in the mapped bytes, with the line it is on.
    private struct Cursor {
        var position: UnsafePointer<UInt8>
        let end: UnsafePointer<UInt8>
        var line: Int
        let delimiter: UInt8
        let path: String
        let tables = DecimalParser.Tables.shared

        var atEnd: Bool { position >= end }

        /// Moves past empty lines (a line feed or CRLF alone) before a record.
        @inline(__always)
        mutating func skipEmptyLines() {
            while position < end, position.pointee &- 0x0A < 4 {
                if position.pointee == 0x0A {
                    position += 1
                    line += 1
                } else if position.pointee == 0x0D, position + 1 < end, position[1] == 0x0A {
                    position += 2
                    line += 1
                } else {
                    return
                }
            }
        }

        /// Reads an unquoted number field in one pass when a delimiter or line end follows it; nil (and
        /// nothing consumed) otherwise, for the general path to handle.
        @inline(__always)
        mutating func plainNumber() -> Double? {
            // A single digit followed by a delimiter or a line feed (0/1 labels): no parser call.
            if end - position >= 2 {
                let digit = position.pointee &- 48, next = position[1]
                if digit < 10, next == delimiter || next == 0x0A {
                    position += 1
                    return Double(digit)
                }
            }
            guard position < end, position.pointee != 0x22, let (value, stop) = DecimalParser.prefix(position, end, tables: tables) else { return nil }
            if stop == end || stop.pointee == delimiter || stop.pointee == 0x0A {
                position = stop
                return value
            }
            if stop.pointee == 0x0D, stop + 1 == end || stop[1] == 0x0A {
                position = stop + 1
                return value
            }
            return nil
        }

        /// Reads a whole row in one pass when it is plain: as many fields as `plan` (a number slot per field,
        /// -2 - a category slot, or -1 to skip it), unquoted, numbers that `plainNumber` reads, ended by a line feed
        /// or the end of the data. Otherwise returns false with nothing consumed (some of the row's numbers and
        /// categories may be written; the caller drops the categories, the general path writes them again).
        @inline(__always)
        mutating func plainRow(_ plan: UnsafeBufferPointer<Int>, _ numbers: UnsafeMutablePointer<UnsafeMutablePointer<Double>>,
                               _ categories: inout [CategoryEncoder], row: Int) -> Bool {
            let rowStart = position
            var index = 0
            while true {
                let slot = plan[index]
                if slot >= 0 {
                    guard let value = plainNumber() else { break }
                    numbers[slot][row] = value
                } else if slot <= -2 {
                    let start = position
                    while position < end {
                        let byte = position.pointee
                        if byte == delimiter || byte == 0x0A { break }
                        if byte == 0x22 || byte == 0x0D { position = rowStart; return false }
                        position += 1
                    }
                    categories[-2 - slot].append(UnsafeBufferPointer(start: start, count: position - start))
                } else {
                    while position < end {
                        let byte = position.pointee
                        if byte == delimiter || byte == 0x0A { break }
                        if byte == 0x22 || byte == 0x0D { position = rowStart; return false }
                        position += 1
                    }
                }
                index &+= 1
                if index == plan.count {
                    if position == end { return true }
                    if position.pointee == 0x0A {
                        position += 1
                        line &+= 1
                        return true
                    }
                    break
                }
                guard position < end, position.pointee == delimiter else { break }
                position += 1
            }
            position = rowStart
            return false
        }

        /// Consumes a delimiter after a field; false at a line end or the end of the file.
        mutating func consumeDelimiter() -> Bool {
            guard position < end, position.pointee == delimiter else { return false }
            position += 1
            return true
        }

        mutating func consumeLineEnd() {
            if position < end, position.pointee == 0x0D { position += 1 }
            if position < end, position.pointee == 0x0A {
                position += 1
                line += 1
            }
        }

        /// The next field's bytes (unquoted and unescaped; escaped fields are copied into `scratch`).
        mutating func nextField(_ scratch: inout [UInt8]) throws(DataError) -> Field {
            if position < end, position.pointee == 0x22 { return try quotedField(&scratch) }
            let start = position
            while position < end {
                let byte = position.pointee
                if byte == delimiter || byte == 0x0A { break }
                position += 1
            }
            var count = position - start
            if count > 0, start[count - 1] == 0x0D, position == end || position.pointee == 0x0A { count -= 1 }
            return .mapped(start, count)
        }

        private mutating func quotedField(_ scratch: inout [UInt8]) throws(DataError) -> Field {
            let openingLine = line
            position += 1
            let start = position
            var escaped = false
            while true {
                guard position < end else {
                    throw DataError(path: path, line: openingLine, message: "a quoted field is never closed; add the closing '\"'.")
                }
                let byte = position.pointee
                if byte == 0x22 {
                    if position + 1 < end, position[1] == 0x22 {
                        escaped = true
                        position += 2
                        continue
                    }
                    break
                }
                if byte == 0x0A { line += 1 }
                position += 1
            }
            let count = position - start
            position += 1  // the closing quote
            if position < end, position.pointee != delimiter, position.pointee != 0x0A, position.pointee != 0x0D {
                throw DataError(path: path, line: line, message: "unexpected text after a closing quote; quote the whole field.")
            }
            guard escaped else { return .mapped(start, count) }
            scratch.removeAll(keepingCapacity: true)
            var index = 0
            while index < count {
                scratch.append(start[index])
                index += start[index] == 0x22 ? 2 : 1
            }
            return .unescaped
        }
    }
}
