/// Where a pull request (GitHub) or merge request (GitLab) lives, and the token that may comment on it.
///
/// `description`, `debugDescription` and reflection (`dump`) leave the token out.
public struct Forge: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Which forge's REST API to speak.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// GitHub or GitHub Enterprise Server (REST v3).
        case github
        /// GitLab.com or self-managed GitLab (REST v4).
        case gitlab
    }

    /// GitHub or GitLab.
    public var kind: Kind
    /// The API root without a trailing slash: `https://api.github.com`, `https://gitlab.com/api/v4`.
    public var apiBase: String
    /// GitHub: `owner/repo`. GitLab: the numeric project id, or its path (`group/project`, encoded or not).
    public var project: String
    /// The pull request number (GitHub) or merge request iid (GitLab).
    public var number: Int
    /// The API token; sent only in the authentication header, never printed.
    public var token: String

    /// Creates a forge location.
    public init(kind: Kind, apiBase: String, project: String, number: Int, token: String) {
        self.kind = kind
        self.apiBase = apiBase
        self.project = project
        self.number = number
        self.token = token
    }

    /// GitHub's public API root.
    public static let githubAPI = "https://api.github.com"
    /// GitLab.com's API root.
    public static let gitlabAPI = "https://gitlab.com/api/v4"

    /// "github owner/repo #12 at https://api.github.com": everything but the token.
    public var description: String { "\(kind.rawValue) \(project) #\(number) at \(base)" }
    /// The same text as `description`.
    public var debugDescription: String { "Forge(\(description), token: [redacted])" }
    /// Reflection without the token, so `dump(forge)` is safe too.
    public var customMirror: Mirror {
        Mirror(self, children: ["kind": kind, "apiBase": apiBase, "project": project, "number": number, "token": "[redacted]"])
    }

    /// `apiBase` without trailing slashes.
    var base: String { apiBase.withoutTrailingSlashes }

    /// The headers that authenticate and select the API version.
    var headers: [String: String] {
        switch kind {
        case .github:
            ["Authorization": "Bearer \(token)", "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"]
        case .gitlab:
            ["PRIVATE-TOKEN": token]
        }
    }

    /// The project part of a path: `owner/repo` (each part encoded) on GitHub, the encoded id or path on
    /// GitLab; `nil` when it cannot be one.
    var projectPath: String? {
        let trimmed = project.trimmingSlashes
        switch kind {
        case .github:
            let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { return nil }
            return parts.map { percentEncoded(String($0)) }.joined(separator: "/")
        case .gitlab:
            guard !trimmed.isEmpty else { return nil }
            // Already encoded ("group%2Fproject") stays as it is; a plain path or id is encoded.
            if trimmed.contains("%") && !trimmed.contains("/") { return trimmed }
            return percentEncoded(trimmed)
        }
    }

    /// The comments (GitHub) or notes (GitLab) collection of the pull/merge request.
    func commentsPath(project: String) -> String {
        switch kind {
        case .github: "/repos/\(project)/issues/\(number)/comments"
        case .gitlab: "/projects/\(project)/merge_requests/\(number)/notes"
        }
    }

    /// One page of the collection, oldest first.
    func listPath(project: String, page: Int) -> String {
        switch kind {
        case .github: "\(commentsPath(project: project))?per_page=100&page=\(page)"
        // GitLab lists notes newest first unless asked otherwise.
        case .gitlab: "\(commentsPath(project: project))?per_page=100&page=\(page)&sort=asc&order_by=created_at"
        }
    }

    /// The path that updates comment or note `id`.
    func updatePath(project: String, id: Int) -> String {
        switch kind {
        case .github: "/repos/\(project)/issues/comments/\(id)"
        case .gitlab: "/projects/\(project)/merge_requests/\(number)/notes/\(id)"
        }
    }

    /// The method that updates a comment or note.
    var updateMethod: String { kind == .github ? "PATCH" : "PUT" }

    /// "GitHub" or "GitLab", for messages.
    var displayName: String { kind == .github ? "GitHub" : "GitLab" }
}

extension String {
    /// Without trailing slashes: an API root to append paths to.
    package var withoutTrailingSlashes: String {
        var text = Substring(self)
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }

    /// Without leading and trailing slashes.
    var trimmingSlashes: String {
        var text = Substring(self)
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }
}

/// `text` with everything but unreserved characters (RFC 3986: letters, digits, `-._~`) percent-encoded.
func percentEncoded(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var bytes: [UInt8] = []
    for byte in text.utf8 {
        let unreserved = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
        if unreserved {
            bytes.append(byte)
        } else {
            bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
