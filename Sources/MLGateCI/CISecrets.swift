import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateCore
import MLGateWorkspace

/// The job's secrets: which variables look secret, the environment training commands may see, and a redactor
/// that removes secret values (and their common encodings) from everything `mlgate ci` writes
/// (research reliability §5.2: masking is a second line; the first is not handing secrets out).
package struct CISecrets {
    /// Variables every command may see: the path, the home, the locale, the temp folder, Python's settings.
    package static let baseline: Set<String> = ["PATH", "HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL", "TERM",
                                        "PYTHONPATH", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV",
                                        "CI", "NO_COLOR"]
    /// Name fragments that mark a variable as secret anywhere in its name.
    package static let secretMarkers = ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "PRIVATE", "APIKEY", "API_KEY",
                                "ACCESS_KEY", "AUTH_", "OAUTH", "SESSION", "COOKIE", "WEBHOOK", "JWT"]
    /// Name endings that mark a variable as secret (`DEPLOY_KEY`, `DB_PASS`, `GH_PAT`), not `GIT_CONFIG_KEY_0`.
    package static let secretSuffixes = ["_KEY", "_PASS", "_PWD", "_PAT", "_AUTH"]

    /// The secret values found in the environment (8 bytes or more), longest first.
    package let values: [String]

    /// Secrets of `environment`: every variable whose name looks secret, and the credentials inside URLs.
    package init(environment: [String: String]) {
        var found = environment.filter { Self.looksSecret($0.key, value: $0.value) && $0.value.utf8.count >= 8 }.map(\.value)
        found += environment.values.compactMap(Self.urlCredentials).filter { $0.utf8.count >= 8 }
        values = Array(Set(found)).sorted { $0.count > $1.count }
    }

    /// Whether a variable is secret: by its name, or because its value is a URL carrying credentials
    /// (GitLab's `CI_REPOSITORY_URL` embeds the job token).
    package static func looksSecret(_ name: String, value: String = "") -> Bool {
        let upper = name.uppercased()
        return secretMarkers.contains { upper.contains($0) } || secretSuffixes.contains { upper.hasSuffix($0) } || urlCredentials(value) != nil
    }

    /// The `user:password` part of a URL such as `https://user:password@host/…`, if it has one.
    package static func urlCredentials(_ value: String) -> String? {
        guard let scheme = value.range(of: "://") else { return nil }
        let rest = value[scheme.upperBound...]
        guard let at = rest.firstIndex(of: "@"), !rest[..<at].contains("/"), rest[..<at].contains(":") else { return nil }
        return String(rest[..<at])
    }

    /// The environment commands get. On a fork's pull request: the baseline only. Otherwise everything but
    /// secret-looking variables, plus the names `ci.pass_env` lets through.
    package static func commandEnvironment(_ environment: [String: String], untrusted: Bool, pass: [String]) -> [String: String] {
        environment.filter { name, _ in
            if baseline.contains(name) || name.hasPrefix("LC_") { return true }
            if untrusted { return false }
            return pass.contains(name) || !looksSecret(name, value: environment[name] ?? "")
        }
    }

    /// `text` with every secret value, and its base64, base64url, hex, URL and JSON encodings, replaced by `***`.
    package func redact(_ text: String) -> String {
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
    package static func encodings(of value: String) -> [String] {
        let bytes = Data(value.utf8)
        let base64 = bytes.base64EncodedString()
        let base64URL = base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let url = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
        let json = JSONText.quoted(value).dropFirst().dropLast()
        return Array(Set([value, base64, base64URL, hex, hex.uppercased(), url, String(json)])).sorted { $0.count > $1.count }
    }
}
