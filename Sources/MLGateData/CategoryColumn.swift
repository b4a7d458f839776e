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
        var index: [String: UInt32] = [:]
        var values: [String] = []
        codes = texts.map { text in
            if let code = index[text] { return code }
            let code = UInt32(values.count)
            index[text] = code
            values.append(text)
            return code
        }
        self.values = values
    }

    /// Each row's text.
    public var texts: [String] { codes.map { values[Int($0)] } }

    /// This column's rows, then `other`'s (its values recoded into this column's).
    public func appending(_ other: CategoryColumn) -> CategoryColumn {
        var index = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, UInt32($0)) })
        var values = values
        let recoded = other.values.map { value -> UInt32 in
            if let code = index[value] { return code }
            let code = UInt32(values.count)
            index[value] = code
            values.append(value)
            return code
        }
        return CategoryColumn(values: values, codes: codes + other.codes.map { recoded[Int($0)] })
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

    /// Appends the row whose field is the `count` bytes at `start`.
    @inline(__always)
    mutating func append(_ start: UnsafePointer<UInt8>, _ count: Int) {
        codes.append(code(start, count))
    }

    /// Drops the codes of rows from `rows` on (a row the fast path began and the general path reads again).
    mutating func truncate(to rows: Int) {
        if codes.count > rows { codes.removeLast(codes.count - rows) }
    }

    /// The code of the value spelled by `count` bytes at `start`, added when new.
    mutating func code(_ start: UnsafePointer<UInt8>, _ count: Int) -> UInt32 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for index in 0..<count { hash = (hash ^ UInt64(start[index])) &* 0x100_0000_01B3 }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let value = Int(entry - 1)
            if hashes[value] == hash, holds(value, start, count) { return UInt32(value) }
            slot = (slot + 1) & mask
        }
        let value = hashes.count
        bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: count))
        starts.append(bytes.count)
        hashes.append(hash)
        slots[slot] = UInt32(value + 1)
        if 2 * hashes.count > slots.count { grow() }
        return UInt32(value)
    }

    /// Whether value `value` is spelled by the `count` bytes at `start`.
    private func holds(_ value: Int, _ start: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let from = starts[value]
        guard starts[value + 1] - from == count else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            guard count > 0, let base = buffer.baseAddress else { return true }
            return memcmp(base + from, start, count) == 0
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
        let recoded = (0..<other.count).map { value -> UInt32 in
            let from = other.starts[value], count = other.starts[value + 1] - from
            return other.bytes.withUnsafeBufferPointer { buffer in
                // No bytes at all: every value of `other` is the empty text.
                guard let base = buffer.baseAddress else { return withUnsafePointer(to: UInt8(0)) { code($0, 0) } }
                return code(base + from, count)
            }
        }
        codes += other.codes.map { recoded[Int($0)] }
    }

    /// The column encoded so far.
    var column: CategoryColumn {
        CategoryColumn(values: (0..<count).map { String(decoding: bytes[starts[$0]..<starts[$0 + 1]], as: UTF8.self) }, codes: codes)
    }
}
