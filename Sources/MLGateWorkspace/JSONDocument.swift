import Foundation

/// The JSON text services hand out: pretty-printed, keys sorted, slashes unescaped — the documented `--json`
/// shapes, and the exact text whose SHA-256 is a gate verdict's digest.
package enum JSONDocument {
    /// `value` as pretty, key-sorted JSON text.
    package static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
