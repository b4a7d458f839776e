#if canImport(Glibc)
import Glibc
#endif

/// A text column stored once per distinct value: each row is a code into `values`. A category column of a million
/// rows and a dozen values is a dozen strings and a million integers, not a million strings.
public struct CategoryColumn: Sendable, Hashable {
    /// The distinct values, in the order they first appear.
    public var values: [String]
    /// Each row's index into `values`.
    public var codes: [UInt32]

    /// The column of `values` and `codes` (each code below `values.count`).
    public init(values: [String], codes: [UInt32]) {
        self.values = values
        self.codes = codes
    }

    /// `texts` encoded.
    public init(texts: [String]) {
        var index = Index()
        codes = texts.map { index.code($0) }
        values = index.values
    }

    /// Each row's text.
    public var texts: [String] { codes.map { values[Int($0)] } }

    /// This column's rows, then `other`'s (its values recoded into this column's).
    public func appending(_ other: CategoryColumn) -> CategoryColumn {
        var index = Index(values)
        let recoded = other.values.map { index.code($0) }
        return CategoryColumn(values: index.values, codes: codes + other.codes.map { recoded[Int($0)] })
    }

    /// The distinct texts seen so far, in order, and each one's code.
    private struct Index {
        private(set) var values: [String]
        private var codes: [String: UInt32]

        /// An index holding `values` (distinct) as codes 0, 1, ….
        init(_ values: [String] = []) {
            self.values = values
            codes = Dictionary(values.enumerated().map { ($1, UInt32($0)) }, uniquingKeysWith: { first, _ in first })
        }

        /// The code of `text`, added when new.
        mutating func code(_ text: String) -> UInt32 {
            if let code = codes[text] { return code }
            let code = UInt32(values.count)
            codes[text] = code
            values.append(text)
            return code
        }
    }
}

/// Encodes fields' bytes into a `CategoryColumn` as they are read, without a string per row: an open-addressing
/// table of FNV-1a hashes over the distinct values' bytes, kept one after another in one buffer.
struct CategoryEncoder {
    /// Every distinct value's bytes, one after another; value `i` is `bytes[starts[i]..<starts[i + 1]]`.
    private var bytes: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// The table: a value's index + 1, or 0 for an empty slot; a power of two, at most half full.
    private var slots = [UInt32](repeating: 0, count: 64)
    /// Each row's code.
    private(set) var codes: [UInt32] = []

    /// How many distinct values there are.
    var count: Int { hashes.count }

    /// Appends the row whose field is `field`.
    @inline(__always)
    mutating func append(_ field: UnsafeBufferPointer<UInt8>) {
        codes.append(code(field))
    }

    /// Drops the codes of rows from `rows` on (a row the fast path began and the general path reads again).
    mutating func truncate(to rows: Int) {
        if codes.count > rows { codes.removeLast(codes.count - rows) }
    }

    /// The code of the value spelled by `field`, added when new.
    mutating func code(_ field: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in field { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let value = Int(entry - 1)
            if hashes[value] == hash, holds(value, field) { return UInt32(value) }
            slot = (slot + 1) & mask
        }
        let value = hashes.count
        bytes.append(contentsOf: field)
        starts.append(bytes.count)
        hashes.append(hash)
        slots[slot] = UInt32(value + 1)
        if 2 * hashes.count > slots.count { grow() }
        return UInt32(value)
    }

    /// Whether value `value` is spelled by `field`.
    private func holds(_ value: Int, _ field: UnsafeBufferPointer<UInt8>) -> Bool {
        let from = starts[value]
        guard starts[value + 1] - from == field.count else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, let start = field.baseAddress, !field.isEmpty else { return true }
            return memcmp(base + from, start, field.count) == 0
        }
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (value, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(value + 1)
        }
    }

    /// Appends `other`'s rows (the next part of the same column), its values recoded into this encoder's.
    mutating func append(_ other: CategoryEncoder) {
        let recoded = other.bytes.withUnsafeBufferPointer { buffer in
            (0..<other.count).map { code(UnsafeBufferPointer(rebasing: buffer[other.starts[$0]..<other.starts[$0 + 1]])) }
        }
        codes += other.codes.map { recoded[Int($0)] }
    }

    /// The column encoded so far.
    var column: CategoryColumn {
        CategoryColumn(values: (0..<count).map { String(decoding: bytes[starts[$0]..<starts[$0 + 1]], as: UTF8.self) }, codes: codes)
    }
}
