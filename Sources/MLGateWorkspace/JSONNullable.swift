/// An optional that `--json` always prints: `null` when empty, so every documented key is present.
/// (Synthesized `Encodable` skips nil optionals; wrapping one in this keeps the key.)
package struct JSONNullable<Wrapped: Encodable>: Encodable {
    package let value: Wrapped?

    package init(_ value: Wrapped?) { self.value = value }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
