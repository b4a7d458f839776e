#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import MLGateData
import MLGateTestSupport
import Testing

/// strtod's answer for `text`, the reference every parse must equal bit for bit.
private func strtodBits(_ text: String) -> UInt64 {
    text.withCString { strtod($0, nil).bitPattern }
}

private func parseBits(_ text: String) -> UInt64? {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { buffer -> UInt64? in
        guard let base = buffer.baseAddress else { return nil }
        if case .number(let value) = DecimalParser.parse(base, count: buffer.count) { return value.bitPattern }
        return nil
    }
}

/// Records a mismatch with strtod; false stops the caller's loop at the first one.
private func matchesStrtod(_ text: String) -> Bool {
    guard parseBits(text) == strtodBits(text) else {
        Issue.record("mismatch for \(text)")
        return false
    }
    return true
}

@Suite("decimal parser: bit for bit equal to strtod")
struct DecimalParserTests {
    /// How many random strings of each kind; MLGATE_PARSER_CASES raises it (CI runs millions).
    static let casesPerKind = Int(ProcessInfo.processInfo.environment["MLGATE_PARSER_CASES"] ?? "") ?? 30_000

    @Test("edge cases: subnormals, limits, halfway points, 17+ digits, exponents, signs, zeros")
    func edges() {
        let cases = [
            "0", "-0", "0.0", "-0.0", "+1", "1", "1.", ".5", "0.1", "0.3", "2.5e-324", "4.9406564584124654e-324",
            "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308", "2.2250738585072014e-308",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e309", "1e-400", "9007199254740993",
            "9007199254740992", "9007199254740991.5", "123456789012345678901234567890", "0.1234567890123456789012345",
            "1.00000000000000011102230246251565404236316680908203125", "1.0000000000000002220446049250313080847263336181640625",
            "1.00000000000000011102230246251565404236316680908203124", "1.00000000000000011102230246251565404236316680908203126",
            "7.3177701707893310e+15", "1e23", "8.589973e9", "0.000001", "1e-7", "123.456e-2", "1E+22", "1e22", "1e-22",
            "4503599627370496.5", "4503599627370497.5", "  42  ", "0.99999999999999994448884876874217297882", "3.0517578125e-05",
            "00000000000000000000000000000001e5", "1.000000000000000000000000000000000000000000001",
        ]
        for text in cases {
            #expect(parseBits(text) == strtodBits(text), "\(text)")
        }
    }

    @Test("prefix parsing stops at the first byte that is not part of the number, whatever follows")
    func prefixes() {
        let cases: [(String, Double, Int)] = [
            ("1.0\n1,0.36\n", 1.0, 3), ("0.25,0.123456789,x", 0.25, 4), ("0.123456789012345678\r\n", 0.123456789012345678, 20),
            ("12345678.12345678,", 12345678.12345678, 17), ("7e3|", 7000, 3), ("1e+,", 1, 1), ("-0.5 ", -0.5, 4),
        ]
        for (text, value, length) in cases {
            let bytes = Array(text.utf8)
            let result = bytes.withUnsafeBufferPointer { buffer in
                DecimalParser.prefix(buffer.baseAddress!, buffer.baseAddress! + buffer.count, tables: .shared).map { ($0.0, $0.1 - buffer.baseAddress!) }
            }
            if text == "1e+," {
                #expect(result == nil, "an exponent marker without digits is not a number")
            } else {
                #expect(result?.0 == value && result?.1 == length, "\(text): \(String(describing: result))")
            }
        }
    }

    @Test("specials and refusals")
    func specials() {
        #expect(parseBits("inf") == Double.infinity.bitPattern)
        #expect(parseBits("-Infinity") == (-Double.infinity).bitPattern)
        #expect(parseBits("NaN").map { Double(bitPattern: $0).isNaN } == true)
        for bad in ["", " ", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "12abc", "1,5", "--1", "in", "nanx"] {
            #expect(parseBits(bad) == nil, "\(bad)")
        }
    }

    @Test("random doubles in shortest, %.17g and %.15g forms")
    func randomDoubles() {
        var random = SeededRandom(seed: 2026)
        for _ in 0..<Self.casesPerKind {
            let value = Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF)
            for text in [value.description, String(format: "%.17g", value), String(format: "%.15g", value), String(format: "%.6e", value)] {
                guard matchesStrtod(text) else { return }
            }
        }
    }

    @Test("random digit strings with random exponents (many near halfway points and range ends)")
    func randomDigitStrings() {
        var random = SeededRandom(seed: 1125)
        for _ in 0..<Self.casesPerKind {
            let digits = Int(random.next() % 25) + 1
            var text = (random.next() & 1 == 0) ? "" : "-"
            for index in 0..<digits {
                text.append(Character(Unicode.Scalar(UInt8(48 + Int(random.next() % 10)))))
                if index == 0, random.next() % 3 == 0 { text.append(".") }
            }
            text += "e\(Int(random.next() % 700) - 350)"
            guard matchesStrtod(text) else { return }
        }
    }

    @Test("decimals of 1 to 19 digits, the point anywhere, at the end of the buffer or before any byte")
    func shortDecimals() {
        // The eight-digit chunks and the branch-free last chunk of the fraction, and the byte loop when fewer
        // than eight bytes are left: every split of 1…19 digits against strtod, and the stop position.
        var random = SeededRandom(seed: 2027)
        let followers: [[UInt8]] = [[], [0x2C], [0x0A], [0x0D, 0x0A], [0x2F], [0x3A], [0x20], [0xFF], Array("e".utf8), Array(",0.5".utf8)]
        for _ in 0..<Self.casesPerKind {
            let digits = Int(random.next() % 19) + 1
            let zeros = random.next() % 4 == 0 ? Int(random.next() % 6) : 0
            var body = ""
            for _ in 0..<digits { body.append(Character(Unicode.Scalar(UInt8(48 + Int(random.next() % 10))))) }
            let point = Int(random.next() % UInt64(digits + 1))
            var text = (random.next() & 1 == 0 ? "" : "-") + String(body.prefix(point))
            if point < digits || random.next() & 1 == 0 { text += "." + String(repeating: "0", count: zeros) + String(body.dropFirst(point)) }
            let expected = strtodBits(text)
            let follower = followers[Int(random.next() % UInt64(followers.count))]
            let bytes = Array(text.utf8) + follower
            let result = bytes.withUnsafeBufferPointer { buffer -> (UInt64, Int)? in
                guard let base = buffer.baseAddress else { return nil }
                return DecimalParser.prefix(base, base + buffer.count, tables: .shared).map { ($0.0.bitPattern, $0.1 - base) }
            }
            // "1e" followed by nothing is not a number; every other case stops right after the digits.
            if follower == Array("e".utf8) {
                guard result == nil else {
                    Issue.record("\(text)e: expected no number")
                    return
                }
                continue
            }
            guard result?.0 == expected, result?.1 == text.utf8.count else {
                Issue.record("mismatch for \(text) followed by \(follower): \(String(describing: result))")
                return
            }
        }
    }

    @Test("probabilities as pandas writes them")
    func probabilities() {
        var random = SeededRandom(seed: 77)
        for _ in 0..<Self.casesPerKind {
            let value = Double(random.next() >> 11) * 0x1p-53
            let text = value.description
            guard parseBits(text) == value.bitPattern else {
                Issue.record("mismatch for \(text)")
                return
            }
        }
    }
}
