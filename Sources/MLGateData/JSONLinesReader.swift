/// JSON Lines: one JSON object per line. Requested keys must hold numbers (or `true`/`false`, read as 1/0)
/// for number columns, and strings or numbers for text columns; other keys may hold anything.
enum JSONLinesReader {
    static func read(_ file: MappedFile, columns: [ColumnRequest], rowLimit: Int? = nil) throws(DataError) -> DataTable {
        guard let base = file.base else { throw DataError(path: file.path, message: "the file is empty.") }
        let slots = Dictionary(columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        var numbers = [[Double]](repeating: [], count: columns.count)
        var texts = [[String]](repeating: [], count: columns.count)
        var lines: [Int] = []
        var keysSeen: [String] = []
        var scanner = Scanner(position: base, end: base + file.count, path: file.path, line: 1)
        if file.count >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { scanner.position += 3 }
        while lines.count < rowLimit ?? .max {
            scanner.skipWhitespace()
            if scanner.atEnd { break }
            let line = scanner.line
            var found = [Bool](repeating: false, count: columns.count)
            try scanner.expect(UInt8(ascii: "{"))
            scanner.skipWhitespace(acrossLines: false)
            if !scanner.take(UInt8(ascii: "}")) {
                repeat {
                    scanner.skipWhitespace(acrossLines: false)
                    let key = try scanner.string()
                    if lines.isEmpty, !keysSeen.contains(key) { keysSeen.append(key) }
                    scanner.skipWhitespace(acrossLines: false)
                    try scanner.expect(UInt8(ascii: ":"))
                    scanner.skipWhitespace(acrossLines: false)
                    if let slot = slots[key] {
                        found[slot] = true
                        switch columns[slot].kind {
                        case .number: numbers[slot].append(try scanner.number(column: key))
                        case .text, .category: texts[slot].append(try scanner.text(column: key))
                        }
                    } else {
                        try scanner.skipValue()
                    }
                    scanner.skipWhitespace(acrossLines: false)
                } while scanner.take(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "}"))
            }
            scanner.skipWhitespace(acrossLines: false)
            guard scanner.atEnd || scanner.take(0x0A) || (scanner.take(0x0D) && scanner.take(0x0A)) else {
                throw DataError(path: file.path, line: line, message: "text after the object; each line holds exactly one JSON object.")
            }
            if scanner.position[-1] == 0x0A { scanner.line += 1 }
            if let missing = found.firstIndex(of: false) {
                throw DataError(path: file.path, line: line, column: columns[missing].name, message: "the object has no such key.")
            }
            lines.append(line)
        }
        guard !lines.isEmpty else { throw DataError(path: file.path, message: "the file holds no objects.") }
        var numberColumns: [String: [Double]] = [:], textColumns: [String: [String]] = [:]
        for (slot, request) in columns.enumerated() {
            switch request.kind {
            case .number: numberColumns[request.name] = numbers[slot]
            case .text, .category: textColumns[request.name] = texts[slot]
            }
        }
        return DataTable(path: file.path, columnNames: keysSeen, rowCount: lines.count, numbers: numberColumns, texts: textColumns, lines: .explicit(lines))
    }

    private struct Scanner {
        var position: UnsafePointer<UInt8>
        let end: UnsafePointer<UInt8>
        let path: String
        var line: Int

        var atEnd: Bool { position >= end }

        func fail(_ message: String, column: String? = nil) -> DataError {
            DataError(path: path, line: line, column: column, message: message)
        }

        mutating func skipWhitespace(acrossLines: Bool = true) {
            while position < end {
                let byte = position.pointee
                if byte == 0x20 || byte == 0x09 || (byte == 0x0D && acrossLines) {
                    position += 1
                } else if byte == 0x0A, acrossLines {
                    position += 1
                    line += 1
                } else {
                    return
                }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard position < end, position.pointee == byte else { return false }
            position += 1
            return true
        }

        mutating func expect(_ byte: UInt8) throws(DataError) {
            guard take(byte) else {
                let found = atEnd ? "the end of the line" : "'\(String(decoding: [position.pointee], as: UTF8.self))'"
                throw fail("expected '\(String(decoding: [byte], as: UTF8.self))' but found \(found); each line must be one JSON object.")
            }
        }

        /// A JSON string, unescaped.
        mutating func string() throws(DataError) -> String {
            try expect(0x22)
            var bytes: [UInt8] = []
            while true {
                guard position < end, position.pointee != 0x0A else { throw fail("a string is never closed.") }
                let byte = position.pointee
                position += 1
                if byte == 0x22 { break }
                if byte != 0x5C {
                    bytes.append(byte)
                    continue
                }
                guard position < end else { throw fail("a string ends in a backslash.") }
                let escape = position.pointee
                position += 1
                switch escape {
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "u"):
                    guard end - position >= 4, let code = UInt32(String(decoding: UnsafeBufferPointer(start: position, count: 4), as: UTF8.self), radix: 16)
                    else { throw fail("a \\u escape needs four hex digits.") }
                    position += 4
                    bytes.append(contentsOf: Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8))
                default: bytes.append(escape)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// The bytes of a number or literal token.
        private mutating func token() -> (UnsafePointer<UInt8>, Int) {
            let start = position
            while position < end {
                let byte = position.pointee
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { break }
                position += 1
            }
            return (start, position - start)
        }

        mutating func number(column: String) throws(DataError) -> Double {
            if position < end, position.pointee == 0x22 {
                throw fail("the value is a string; write the number without quotes.", column: column)
            }
            let (start, count) = token()
            let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
            switch text {
            case "true": return 1
            case "false": return 0
            case "null": throw fail("the value is null; every row needs a number here.", column: column)
            default: break
            }
            guard case .number(let value) = DecimalParser.parse(start, count: count) else {
                throw fail("'\(text)' is not a number.", column: column)
            }
            return value
        }

        mutating func text(column: String) throws(DataError) -> String {
            if position < end, position.pointee == 0x22 { return try string() }
            let (start, count) = token()
            let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
            guard text != "null", !text.isEmpty, position < end || count > 0 else {
                throw fail("the value is missing or null.", column: column)
            }
            return text
        }

        /// Skips any JSON value, nested ones included.
        mutating func skipValue() throws(DataError) {
            guard position < end else { throw fail("a value is missing.") }
            switch position.pointee {
            case 0x22: _ = try string()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while position < end {
                    let byte = position.pointee
                    if byte == 0x22 { _ = try string(); continue }
                    if byte == 0x0A { throw fail("an object or array is not closed on its line.") }
                    if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
                    if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { depth -= 1 }
                    position += 1
                    if depth == 0 { return }
                }
                throw fail("an object or array is not closed.")
            default:
                _ = token()
            }
        }
    }
}
