import Crypto
import Foundation

/// Standard Webhooks v1 signatures: `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
///
/// A secret written as `whsec_<base64>` is keyed with its decoded bytes, as the specification says; any other
/// secret is keyed with its UTF-8 bytes. Verification compares in constant time, over the raw body bytes.
public struct WebhookSignature: Sendable {
    /// Why a secret or a signature is unusable.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The secret is empty, or `whsec_` followed by text that is not base64.
        case badSecret(String)
        /// The timestamp is not whole seconds, or is further from now than the tolerance.
        case timestamp(String)
        /// No `v1,` signature in the header matches.
        case mismatch

        /// A one-line explanation.
        public var description: String {
            switch self {
            case .badSecret(let why): why
            case .timestamp(let why): why
            case .mismatch: "no v1 signature in webhook-signature matches the body with this secret"
            }
        }
    }

    private let key: SymmetricKey

    /// A signer for `secret` (`whsec_…` or plain text).
    public init(secret: String) throws(Problem) {
        guard !secret.isEmpty else { throw .badSecret("the signing secret is empty") }
        if secret.hasPrefix("whsec_") {
            guard let bytes = Data(base64Encoded: String(secret.dropFirst(6))), !bytes.isEmpty else {
                throw .badSecret("the secret starts with whsec_ but what follows is not base64")
            }
            key = SymmetricKey(data: bytes)
        } else {
            key = SymmetricKey(data: Data(secret.utf8))
        }
    }

    /// The `webhook-signature` value for message `id` sent at `timestamp` (seconds since 1970) with `body`.
    public func sign(id: String, timestamp: Int64, body: [UInt8]) -> String {
        "v1," + Data(mac(id: id, timestamp: timestamp, body: body)).base64EncodedString()
    }

    /// Checks a received message: `signatureHeader` may hold several space-separated signatures (key rotation);
    /// `timestamp` must be within `tolerance` seconds of `now`.
    public func verify(id: String, timestamp: String, signatureHeader: String, body: [UInt8], now: Int64, tolerance: Int64 = 300) throws(Problem) {
        guard let seconds = Int64(timestamp) else { throw .timestamp("webhook-timestamp '\(timestamp)' is not whole seconds since 1970") }
        guard abs(now - seconds) <= tolerance else {
            throw .timestamp("webhook-timestamp \(seconds) is \(abs(now - seconds)) s from now; at most \(tolerance) s are accepted (a replay, or a wrong clock)")
        }
        let expected = mac(id: id, timestamp: seconds, body: body)
        for candidate in signatureHeader.split(separator: " ") where candidate.hasPrefix("v1,") {
            guard let bytes = Data(base64Encoded: String(candidate.dropFirst(3))), bytes.count == expected.count else { continue }
            // Constant time: every byte is compared whatever the first difference.
            if zip(bytes, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 { return }
        }
        throw .mismatch
    }

    private func mac(id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        return Array(HMAC<SHA256>.authenticationCode(for: content, using: key))
    }
}
