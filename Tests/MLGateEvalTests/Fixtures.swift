import Foundation

/// Reads the JSON fixtures `Fixtures/make_fixtures.py` wrote with scikit-learn; floats are hex strings.
enum Fixtures {
    static func cases(_ name: String) throws -> [[String: Any]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return object?["cases"] as? [[String: Any]] ?? []
    }

    /// A hex float (`0x1.8p+1`), or nil for JSON null.
    static func double(_ value: Any?) -> Double? {
        guard let text = value as? String else { return nil }
        return Double(text)
    }

    static func doubles(_ value: Any?) -> [Double]? {
        (value as? [String])?.compactMap { Double($0) }
    }

    static func labels(_ value: Any?) -> [UInt8] {
        (value as? [Int] ?? []).map { UInt8($0) }
    }
}

/// |a − b| ≤ 1e-12, the kernel's contract with scikit-learn on float64 input.
func close(_ a: Double?, _ b: Double?, tolerance: Double = 1e-12) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    if a.isInfinite || b.isInfinite { return a == b }
    return abs(a - b) <= tolerance
}
