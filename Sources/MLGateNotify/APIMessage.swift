internal import Foundation

/// Reads the human message out of a forge's error body.
enum APIMessage {
    /// The longest message kept from a body that is not the usual JSON shape.
    static let maximumLength = 300

    /// GitHub's and GitLab's `message` (a string, or GitLab's field → errors object), GitLab's
    /// `error`/`error_description`, GitHub's `errors[].message`; else the start of the body as text.
    static func extract(from body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            var parts: [String] = []
            if let message = object["message"] { parts.append(text(of: message)) }
            if let error = object["error"] as? String { parts.append(error) }
            if let detail = object["error_description"] as? String { parts.append(detail) }
            if let errors = object["errors"] as? [Any] {
                let details = errors.map { entry -> String in
                    if let entry = entry as? [String: Any], let message = entry["message"] as? String { return message }
                    if let entry = entry as? [String: Any] {
                        return ["resource", "field", "code"].compactMap { entry[$0] as? String }.joined(separator: " ")
                    }
                    return text(of: entry)
                }.filter { !$0.isEmpty }
                if !details.isEmpty { parts.append(details.joined(separator: "; ")) }
            }
            let joined = parts.filter { !$0.isEmpty }.joined(separator: ": ")
            if !joined.isEmpty { return clipped(joined) }
        }
        let plain = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return clipped(plain.split(whereSeparator: \.isNewline).joined(separator: " "))
    }

    /// A JSON value as text: strings as they are, anything else as compact JSON.
    private static func text(of value: Any) -> String {
        if let string = value as? String { return string }
        if JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }

    /// At most `maximumLength` characters, with "…" when cut.
    private static func clipped(_ text: String) -> String {
        text.count <= maximumLength ? text : String(text.prefix(maximumLength)) + "…"
    }
}
