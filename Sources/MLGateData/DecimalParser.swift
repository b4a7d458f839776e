#if canImport(Glibc)
import Glibc
#endif

/// Correctly rounded decimal → `Double` conversion at memory speed: the Eisel–Lemire algorithm (as in
/// fast_float, which proves its 128-bit table of powers of five enough for any 19-digit mantissa), and
/// `strtod` as the exact fallback for more than 19 significant digits. Clinger's fast path is not taken:
/// on pandas' 15–17-digit floats its branch mispredicted and its division cost more than it saved.
/// Results equal `strtod`'s bit for bit.
enum DecimalParser {
    /// The outcome for one field.
    enum Result: Equatable {
        case number(Double)
        case notANumber
    }

    /// The parser's tables as plain pointers, fetched once per field loop (a static's lazy-initialisation
    /// check on every field cost 3 % of a CSV read).
    struct Tables: @unchecked Sendable {
        /// 128-bit powers of five, two words per exponent.
        let powersOfFive: UnsafePointer<UInt64>
        /// 10^0 … 10^8 as integers.
        let integerPowersOfTen: UnsafePointer<UInt64>

        /// Written once, then only read, so sharing them across threads is safe.
        static let shared: Tables = {
            let five = UnsafeMutablePointer<UInt64>.allocate(capacity: MLGateData.powersOfFive.count)
            five.initialize(from: MLGateData.powersOfFive, count: MLGateData.powersOfFive.count)
            let integers = UnsafeMutablePointer<UInt64>.allocate(capacity: 9)
            var power: UInt64 = 1
            for exponent in 0...8 {
                integers[exponent] = power
                power *= 10
            }
            return Tables(powersOfFive: UnsafePointer(five), integerPowersOfTen: UnsafePointer(integers))
        }()
    }

    /// Parses `count` bytes at `start` as one number: `[+-]digits[.digits][(e|E)[+-]digits]`, or
    /// `inf`, `infinity`, `nan` in any case. Surrounding spaces are allowed; anything else is `.notANumber`.
    static func parse(_ start: UnsafePointer<UInt8>, count: Int) -> Result {
        var p = start
        var end = start + count
        while p < end, p.pointee == 0x20 || p.pointee == 0x09 { p += 1 }
        while end > p, (end - 1).pointee == 0x20 || (end - 1).pointee == 0x09 { end -= 1 }
        guard p < end else { return .notANumber }
        if let (value, stop) = prefix(p, end, tables: .shared), stop == end { return .number(value) }
        var cursor = p
        var negative = false
        if cursor.pointee == UInt8(ascii: "-") || cursor.pointee == UInt8(ascii: "+") {
            negative = cursor.pointee == UInt8(ascii: "-")
            cursor += 1
        }
        return cursor < end ? special(cursor, end, negative: negative) : .notANumber
    }

    /// Parses the decimal number that starts exactly at `start` (no spaces, no `inf`/`nan`) and returns
    /// it with the position just after it, or nil when no number starts there. The delimited reader calls
    /// this on a field and checks that a delimiter or line end follows, so each byte is read once.
    ///
    /// Digits accumulate into a wrapping `UInt64` (eight at a time in the fraction); only when more than 19
    /// digits were read are they counted again without leading zeros, and beyond 19 significant digits
    /// `longPrefix` takes over (as in fast_float).
    @inline(__always)
    static func prefix(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, tables: Tables) -> (Double, UnsafePointer<UInt8>)? {
        var p = start
        guard p < end else { return nil }
        let negative = p.pointee == UInt8(ascii: "-")
        if negative || p.pointee == UInt8(ascii: "+") { p += 1 }
        let digitsStart = p
        var mantissa: UInt64 = 0
        if end - p >= 2, isDigit(p.pointee), p[1] == UInt8(ascii: ".") {
            // One digit before the point (pandas' probabilities): no loop.
            mantissa = UInt64(p.pointee &- 48)
            p += 1
        } else {
            while p < end, isDigit(p.pointee) {
                mantissa = mantissa &* 10 &+ UInt64(p.pointee &- 48)
                p += 1
            }
        }
        var digits = p - digitsStart
        var exponent: Int64 = 0
        if p < end, p.pointee == UInt8(ascii: ".") {
            p += 1
            let fractionStart = p
            digitRun(&p, end, &mantissa, tables.integerPowersOfTen)
            let fractionDigits = p - fractionStart
            digits &+= fractionDigits
            exponent = Int64(-fractionDigits)
        }
        guard digits > 0 else { return nil }
        guard exponentSuffix(&p, end, &exponent) else { return nil }
        if _slowPath(digits > 19) {
            // Leading zeros (and the point among them) add nothing to the mantissa: count without them.
            var q = digitsStart
            while q < p, q.pointee == UInt8(ascii: "0") || q.pointee == UInt8(ascii: ".") {
                if q.pointee == UInt8(ascii: "0") { digits -= 1 }
                q += 1
            }
            if digits > 19 { return longPrefix(start, end, tables: tables) }
        }
        let magnitude = value(mantissa: mantissa, exponent: exponent, tables: tables)
        return (negative ? -magnitude : magnitude, p)
    }

    /// `prefix` for more than 19 significant digits: the first 19 make the mantissa, and `strtod` decides
    /// when any later digit is not zero.
    private static func longPrefix(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, tables: Tables) -> (Double, UnsafePointer<UInt8>)? {
        var p = start
        var negative = false
        if p.pointee == UInt8(ascii: "-") || p.pointee == UInt8(ascii: "+") {
            negative = p.pointee == UInt8(ascii: "-")
            p += 1
        }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent: Int64 = 0
        var tooManyDigits = false
        var fraction = false
        while p < end {
            if !fraction, p.pointee == UInt8(ascii: ".") {
                fraction = true
                p += 1
                continue
            }
            guard isDigit(p.pointee) else { break }
            let digit = UInt64(p.pointee &- 48)
            if mantissa != 0 || digit != 0 {
                if significantDigits < 19 {
                    mantissa = mantissa &* 10 &+ digit
                    if fraction { exponent -= 1 }
                } else {
                    if !fraction { exponent += 1 }
                    tooManyDigits = tooManyDigits || digit != 0
                }
                significantDigits += 1
            } else if fraction {
                exponent -= 1
            }
            p += 1
        }
        guard exponentSuffix(&p, end, &exponent) else { return nil }
        if tooManyDigits {
            guard case .number(let value) = strtodFallback(start, count: p - start) else { return nil }
            return (value, p)
        }
        let magnitude = value(mantissa: mantissa, exponent: exponent, tables: tables)
        return (negative ? -magnitude : magnitude, p)
    }

    /// Adds the exponent `(e|E)[+-]digits` at `p`, if one starts there, to `exponent` and moves `p` past it;
    /// false when an `e` has no digits after it.
    @inline(__always)
    private static func exponentSuffix(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ exponent: inout Int64) -> Bool {
        guard p < end, p.pointee | 0x20 == UInt8(ascii: "e") else { return true }
        var q = p + 1
        var negative = false
        if q < end, q.pointee == UInt8(ascii: "-") || q.pointee == UInt8(ascii: "+") {
            negative = q.pointee == UInt8(ascii: "-")
            q += 1
        }
        guard q < end, isDigit(q.pointee) else { return false }
        var value: Int64 = 0
        while q < end, isDigit(q.pointee) {
            if value < 100_000_000 { value = value * 10 + Int64(q.pointee &- 48) }
            q += 1
        }
        exponent += negative ? -value : value
        p = q
        return true
    }

    /// Reads the digits at `p` into `mantissa` (wrapping past 19 digits) and moves `p` past them: eight
    /// bytes at a time, and the digits at the start of the last eight without a loop over them.
    @inline(__always)
    private static func digitRun(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ mantissa: inout UInt64,
                                 _ powers: UnsafePointer<UInt64>) {
        while end - p >= 8 {
            let chunk = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
            // The top bit of each byte that is not a digit; exact up to the first such byte, all that is used.
            let nonDigits = ((chunk &+ 0x4646_4646_4646_4646) | (chunk &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080
            if nonDigits == 0 {
                mantissa = mantissa &* 100_000_000 &+ eightDigits(chunk)
                p += 8
                continue
            }
            // The first n < 8 bytes are digits: keep them at the top, '0's below (n = 0 keeps none).
            let n = nonDigits.trailingZeroBitCount &>> 3
            let kept = (chunk &<< UInt64(56 &- 8 &* n)) &<< 8
            mantissa = mantissa &* powers[n] &+ eightDigits(kept | (0x3030_3030_3030_3030 &>> UInt64(8 &* n)))
            p += n
            return
        }
        while p < end, isDigit(p.pointee) {
            mantissa = mantissa &* 10 &+ UInt64(p.pointee &- 48)
            p += 1
        }
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }

    /// The value of eight ASCII digits loaded little-endian (fast_float's SWAR conversion).
    @inline(__always)
    private static func eightDigits(_ chunk: UInt64) -> UInt64 {
        var value = chunk &- 0x3030_3030_3030_3030
        value = value &* 10 &+ (value >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        return ((value & mask) &* 0x000F_4240_0000_0064 &+ ((value >> 16) & mask) &* 0x0000_2710_0000_0001) >> 32
    }

    private static func special(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, negative: Bool) -> Result {
        var word = ""
        var p = start
        while p < end, word.utf8.count < 9 {
            word.unicodeScalars.append(Unicode.Scalar(p.pointee | 0x20))
            p += 1
        }
        guard p == end else { return .notANumber }
        switch word {
        case "inf", "infinity": return .number(negative ? -.infinity : .infinity)
        case "nan": return .number(.nan)
        default: return .notANumber
        }
    }

    /// mantissa × 10^exponent, correctly rounded (mantissa has at most 19 digits).
    @inline(__always)
    static func value(mantissa: UInt64, exponent: Int64, tables: Tables) -> Double {
        if mantissa == 0 { return 0 }
        return eiselLemire(mantissa: mantissa, exponent: exponent, table: tables.powersOfFive)
    }

    /// The Eisel–Lemire step, following fast_float's `compute_float<binary64>`.
    @inline(__always)
    private static func eiselLemire(mantissa w: UInt64, exponent q: Int64, table: UnsafePointer<UInt64>) -> Double {
        if q < -342 { return 0 }
        if q > 308 { return .infinity }
        // From here q is in -342...308 and w is not 0, so nothing below can overflow: wrapping arithmetic and
        // masking shifts, without Swift's checks.
        let leadingZeros = w.leadingZeroBitCount
        let shifted = w &<< UInt64(truncatingIfNeeded: leadingZeros)
        let index = Int(truncatingIfNeeded: q &+ 342) &<< 1
        var product = shifted.multipliedFullWidth(by: table[index])
        let precisionMask: UInt64 = 0xFFFF_FFFF_FFFF_FFFF >> 55
        if _slowPath(product.high & precisionMask == precisionMask) {
            let second = shifted.multipliedFullWidth(by: table[index &+ 1])
            let (low, overflow) = product.low.addingReportingOverflow(second.high)
            product.low = low
            if overflow { product.high &+= 1 }
        }
        let upperBit = Int(truncatingIfNeeded: product.high &>> 63)
        let shift = UInt64(truncatingIfNeeded: upperBit &+ 64 &- 52 &- 3)
        var bitsMantissa = product.high &>> shift
        var power2 = Int(truncatingIfNeeded: ((152_170 &+ 65_536) &* q) &>> 16) &+ 63 &+ upperBit &- leadingZeros &+ 1023
        if _slowPath(power2 <= 0) {
            if 1 &- power2 >= 64 { return 0 }
            bitsMantissa &>>= UInt64(truncatingIfNeeded: 1 &- power2)
            bitsMantissa &+= bitsMantissa & 1
            bitsMantissa &>>= 1
            power2 = bitsMantissa < 1 << 52 ? 0 : 1
            return Double(bitPattern: UInt64(truncatingIfNeeded: power2) &<< 52 | (bitsMantissa & ((1 << 52) - 1)))
        }
        if _slowPath(product.low <= 1) {
            if q >= -4, q <= 23, bitsMantissa & 3 == 1, bitsMantissa &<< shift == product.high { bitsMantissa &= ~1 }
        }
        bitsMantissa &+= bitsMantissa & 1
        bitsMantissa &>>= 1
        if bitsMantissa >= 2 << 52 {
            bitsMantissa = 1 << 52
            power2 &+= 1
        }
        bitsMantissa &= ~(1 << 52)
        if power2 >= 0x7FF { return .infinity }
        return Double(bitPattern: UInt64(truncatingIfNeeded: power2) &<< 52 | bitsMantissa)
    }

    private static func strtodFallback(_ start: UnsafePointer<UInt8>, count: Int) -> Result {
        var text = [CChar](repeating: 0, count: count + 1)
        for index in 0..<count { text[index] = CChar(bitPattern: start[index]) }
        return .number(strtod(text, nil))
    }
}
