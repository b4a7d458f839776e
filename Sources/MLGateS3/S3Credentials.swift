import MLGateCore
public import MLGateSystem
#if canImport(Glibc)
import Glibc
#endif

/// The key pair (and session token) requests are signed with, found the way the AWS command line finds them:
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, else the profile (`AWS_PROFILE`, the
/// configured one, or `default`) in `AWS_SHARED_CREDENTIALS_FILE` (`~/.aws/credentials`), then in
/// `AWS_CONFIG_FILE` (`~/.aws/config`, where profiles are `[profile NAME]`). Never from `mlgate.yaml`.
public struct S3Credentials: Sendable {
    /// The access key id and secret access key.
    public var accessKey: String, secretKey: String
    /// A temporary session's token, sent as `x-amz-security-token`.
    public var sessionToken: String?

    /// Creates credentials.
    public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
    }

    /// The credentials of the environment, `profile` when set and `AWS_PROFILE` is not; nil when there are none.
    public static func fromEnvironment(profile configured: String?, environment: (String) -> String? = ProcessEnvironment.value) -> S3Credentials? {
        if let key = nonEmpty(environment("AWS_ACCESS_KEY_ID")), let secret = nonEmpty(environment("AWS_SECRET_ACCESS_KEY")) {
            return S3Credentials(accessKey: key, secretKey: secret, sessionToken: nonEmpty(environment("AWS_SESSION_TOKEN")))
        }
        let profile = nonEmpty(environment("AWS_PROFILE")) ?? configured ?? "default"
        let home = nonEmpty(environment("HOME")) ?? ""
        let files = [(nonEmpty(environment("AWS_SHARED_CREDENTIALS_FILE")) ?? home + "/.aws/credentials", profile),
                     (nonEmpty(environment("AWS_CONFIG_FILE")) ?? home + "/.aws/config", profile == "default" ? "default" : "profile " + profile)]
        for (path, section) in files {
            guard let values = ProfileFile.section(section, in: path) else { continue }
            if let key = nonEmpty(values["aws_access_key_id"]), let secret = nonEmpty(values["aws_secret_access_key"]) {
                return S3Credentials(accessKey: key, secretKey: secret, sessionToken: nonEmpty(values["aws_session_token"]))
            }
        }
        return nil
    }

    /// The region the profile names in the config file, if any.
    static func profileRegion(profile configured: String?, environment: (String) -> String?) -> String? {
        let profile = nonEmpty(environment("AWS_PROFILE")) ?? configured ?? "default"
        let path = nonEmpty(environment("AWS_CONFIG_FILE")) ?? (nonEmpty(environment("HOME")) ?? "") + "/.aws/config"
        return nonEmpty(ProfileFile.section(profile == "default" ? "default" : "profile " + profile, in: path)?["region"])
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value = value.map({ String($0.trimmingWhitespace) }), !value.isEmpty else { return nil }
        return value
    }
}

/// The INI files of the AWS command line: `[section]` headers and `key = value` lines, `#` and `;` comments.
enum ProfileFile {
    /// The keys of `section` in the file at `path` (lower-cased keys), nil when the file or the section is missing.
    static func section(_ section: String, in path: String) -> [String: String]? {
        guard let text = Files.read(path, limit: 1 << 20) else { return nil }
        var current: String?
        var found: [String: String]?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingWhitespace
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast().trimmingWhitespace)
                if current == section, found == nil { found = [:] }
                continue
            }
            guard current == section, let equals = line.firstIndex(of: "=") else { continue }
            found?[line[..<equals].trimmingWhitespace.lowercased()] = String(line[line.index(after: equals)...].trimmingWhitespace)
        }
        return found
    }
}
