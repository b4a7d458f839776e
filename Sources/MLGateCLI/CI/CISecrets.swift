import Foundation
import MLGateCore

/// The job's secrets: which variables look secret, the environment training commands may see, and a redactor
/// that removes secret values (and their common encodings) from everything `mlgate ci` writes
/// (research reliability §5.2: masking is a second line; the first is not handing secrets out).
struct CISecrets {
    /// Variables every command may see: the path, the home, the locale, the temp folder, Python's settings.
    static let baseline: Set<String> = ["PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL", "TERM",
                                        "PYTHONPATH", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV",
                                        "CI", "NO_COLOR"]
    /// Name fragments that mark a variable as secret.
    static let secretMarkers = ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "PRIVATE", "APIKEY", "API_KEY",
                                "ACCESS_KEY", "AUTH", "SESSION", "COOKIE", "WEBHOOK", "_KEY"]

    /// The secret values found in the environment (8 bytes or more), longest first.
    let values: [String]

    /// Secrets of `environment`: every variable whose name looks secret.
    init(environment: [String: String]) {
        values = environment.filter { Self.looksSecret($0.key) && $0.value.utf8.count >= 8 }.map(\.value)
            .sorted { $0.count > $1.count }
    }

    /// Whether a variable's name marks it as secret.
    static func looksSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return secretMarkers.contains { upper.contains($0) }
    }

    /// The environment commands get. On a fork's pull request: the baseline only. Otherwise everything but
    /// secret-looking variables, plus the names `ci.pass_env` lets through.
    static func commandEnvironment(_ environment: [String: String], untrusted: Bool, pass: [String]) -> [String: String] {
        environment.filter { name, _ in
            if baseline.contains(name) || name.hasPrefix("LC_") { return true }
            if untrusted { return false }
            return pass.contains(name) || !looksSecret(name)
        }
    }

    /// `text` with every secret value, and its base64, base64url, hex, URL and JSON encodings, replaced by `***`.
    func redact(_ text: String) -> String {
        guard !values.isEmpty else { return text }
        var result = text
        for value in values {
            for form in Self.encodings(of: value) where result.contains(form) {
                result = result.replacingOccurrences(of: form, with: "***")
            }
        }
        return result
    }

    /// The forms a secret is commonly printed in.
    static func encodings(of value: String) -> [String] {
        let bytes = Data(value.utf8)
        let base64 = bytes.base64EncodedString()
        let base64URL = base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let url = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
        let json = JSONText.quoted(value).dropFirst().dropLast()
        return Array(Set([value, base64, base64URL, hex, hex.uppercased(), url, String(json)])).sorted { $0.count > $1.count }
    }
}
