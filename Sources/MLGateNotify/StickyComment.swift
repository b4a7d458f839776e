internal import Foundation

/// What `StickyComment.upsert` did.
public enum CommentOutcome: Sendable, Equatable {
    /// No comment carried the marker, so a new one was posted.
    case created(id: Int, url: String?)
    /// The newest comment carrying the marker was edited in place.
    case updated(id: Int, url: String?)

    /// The comment's (GitHub) or note's (GitLab) id.
    public var id: Int {
        switch self {
        case .created(let id, _), .updated(let id, _): id
        }
    }

    /// The comment's web address when the API returned one (GitHub's `html_url`); `nil` on GitLab.
    public var url: String? {
        switch self {
        case .created(_, let url), .updated(_, let url): url
        }
    }
}

/// A failed forge API call: which call (method and path under the API root), the status and the API's
/// message, and a hint about the token. Never contains the token.
public struct CommentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong with the call.
    public enum Failure: Sendable, Equatable {
        /// The request got no answer (libcurl missing, transport failure after retries, bad request).
        case request(HTTPError)
        /// The API answered with an unsuccessful status and this message.
        case status(Int, String)
        /// The API answered 2xx with a body mlgate could not read.
        case invalidResponse(String)
        /// The forge settings cannot name a pull/merge request (bad project, number or API root).
        case invalidForge(String)
    }

    /// GitHub or GitLab.
    public var kind: Forge.Kind
    /// The HTTP method of the failing call.
    public var method: String
    /// The failing call's path under the API root, with its query.
    public var path: String
    /// What went wrong.
    public var failure: Failure

    /// Creates an error.
    public init(kind: Forge.Kind, method: String, path: String, failure: Failure) {
        self.kind = kind
        self.method = method
        self.path = path
        self.failure = failure
    }

    /// The HTTP status, when the API answered.
    public var status: Int? {
        if case .status(let status, _) = failure { return status }
        return nil
    }

    /// The API's message, or the transport's.
    public var message: String {
        switch failure {
        case .request(let error): error.description
        case .status(_, let message), .invalidResponse(let message), .invalidForge(let message): message
        }
    }

    /// "GitHub API PATCH /repos/o/r/issues/comments/5 failed: HTTP 403: … " plus a hint for token problems.
    public var description: String {
        let name = kind == .github ? "GitHub" : "GitLab"
        let call = path.isEmpty ? "\(name) API" : "\(name) API \(method) \(path)"
        switch failure {
        case .request(let error):
            return "\(call) failed: \(error.description)"
        case .status(let status, let message):
            let text = message.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(message)"
            return "\(call) failed: \(text)" + (hint(status: status).map { "\n\($0)" } ?? "")
        case .invalidResponse(let message):
            return "\(call) returned a response mlgate could not read: \(message)"
        case .invalidForge(let message):
            return "cannot comment on the \(kind == .github ? "pull" : "merge") request: \(message)"
        }
    }

    /// What to check for the statuses token problems produce.
    private func hint(status: Int) -> String? {
        switch (kind, status) {
        case (.github, 401):
            "The token was rejected: set GITHUB_TOKEN (or a token with pull-requests: write) for this step."
        case (.github, 403), (.github, 404):
            "The token needs 'pull-requests: write' (in GitHub Actions: 'permissions: pull-requests: write'); "
                + "pull requests from forks get a read-only GITHUB_TOKEN."
        case (.gitlab, 401):
            "The token was rejected or expired: set MLGATE_GITLAB_TOKEN (or GITLAB_TOKEN) to a project access token with the 'api' scope."
        case (.gitlab, 403), (.gitlab, 404):
            "The token needs the 'api' scope and at least Reporter access to the project; CI_JOB_TOKEN cannot write merge request notes."
        default:
            nil
        }
    }
}

/// One comment on a pull request (GitHub) or merge request (GitLab) that mlgate keeps up to date.
///
/// The comment is recognised by `marker`, an HTML comment (invisible when rendered) appended to the
/// body. `upsert` edits the newest comment carrying the marker, or posts one when none does, so each
/// marker gives exactly one comment however often CI runs.
public struct StickyComment: Sendable {
    /// The most characters a comment may have; GitHub's limit is 65,536.
    public static let maximumLength = 65_000
    /// How many pages of 100 comments are searched for the marker at most.
    static let maximumPages = 100

    /// Where the pull/merge request is.
    public let forge: Forge
    /// The HTML comment that identifies this comment, e.g. `<!-- mlgate:gate:churn -->`.
    public let marker: String
    /// The client that sends the calls (and retries them).
    public let client: HTTPClient

    /// Creates a sticky comment. A `marker` that is not already an HTML comment is wrapped in `<!-- -->`.
    public init(forge: Forge, marker: String, client: HTTPClient) {
        self.forge = forge
        let trimmed = marker.trimmingCharacters(in: .whitespacesAndNewlines)
        self.marker = trimmed.hasPrefix("<!--") && trimmed.hasSuffix("-->") ? trimmed : "<!-- \(trimmed) -->"
        self.client = client
    }

    /// Posts `body` (plus the marker) as a new comment, or replaces the text of the newest comment
    /// that carries the marker. Bodies longer than `maximumLength` are cut with a note.
    public func upsert(body: String) throws(CommentError) -> CommentOutcome {
        guard let project = forge.projectPath else {
            let expected = forge.kind == .github ? "owner/repo" : "a numeric project id or group/project path"
            throw CommentError(
                kind: forge.kind, method: "", path: "", failure: .invalidForge("project '\(forge.project)' is not \(expected)"))
        }
        guard forge.number > 0 else {
            throw CommentError(
                kind: forge.kind, method: "", path: "", failure: .invalidForge("the request number must be positive, not \(forge.number)"))
        }
        guard HTTPClient.origin(of: forge.base) != nil else {
            throw CommentError(
                kind: forge.kind, method: "", path: "",
                failure: .invalidForge("the API root must be an http:// or https:// URL, not '\(redacted(forge.base))'"))
        }
        let text = Self.compose(body: body, marker: marker)
        let payload = try encode(text)

        if let existing = try find(project: project) {
            let path = forge.updatePath(project: project, id: existing.id)
            do {
                let response = try call(forge.updateMethod, path, body: payload)
                let item = try decode(Item.self, from: response, method: forge.updateMethod, path: path)
                return .updated(id: existing.id, url: item.html_url ?? existing.url)
            } catch where error.status == 404 {
                // Deleted between listing and editing: post a fresh one below.
            }
        }
        let path = forge.commentsPath(project: project)
        let response = try call("POST", path, body: payload)
        let item = try decode(Item.self, from: response, method: "POST", path: path)
        return .created(id: item.id, url: item.html_url)
    }

    /// A comment or note as the list, create and update calls return it.
    private struct Item: Decodable {
        var id: Int
        var body: String?
        var html_url: String?
        var system: Bool?
    }

    /// The newest comment (highest id) whose body carries the marker, skipping GitLab system notes.
    private func find(project: String) throws(CommentError) -> (id: Int, url: String?)? {
        var found: (id: Int, url: String?)?
        for page in 1...Self.maximumPages {
            let path = forge.listPath(project: project, page: page)
            let response = try call("GET", path, body: nil)
            let items = try decode([Item].self, from: response, method: "GET", path: path)
            for item in items where item.system != true && (item.body?.contains(marker) ?? false) {
                if found.map({ item.id > $0.id }) ?? true { found = (item.id, item.html_url) }
            }
            if items.count < 100 { break }
        }
        return found
    }

    /// Sends one call and requires a 2xx answer.
    private func call(_ method: String, _ path: String, body: [UInt8]?) throws(CommentError) -> HTTPResponse {
        var headers = forge.headers
        if body != nil { headers["Content-Type"] = "application/json" }
        let request = HTTPRequest(method: method, url: forge.base + path, headers: headers, body: body)
        let response: HTTPResponse
        do {
            response = try client.send(request)
        } catch {
            throw CommentError(kind: forge.kind, method: method, path: path, failure: .request(redacted(error)))
        }
        guard response.isSuccess else {
            let message = redacted(APIMessage.extract(from: response.body))
            throw CommentError(kind: forge.kind, method: method, path: path, failure: .status(response.status, message))
        }
        return response
    }

    /// The JSON `{"body": text}`.
    private func encode(_ text: String) throws(CommentError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(["body": text]))
        } catch {
            throw CommentError(kind: forge.kind, method: "", path: "", failure: .invalidForge("the comment cannot be encoded as JSON"))
        }
    }

    /// Decodes a 2xx body.
    private func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, method: String, path: String)
        throws(CommentError) -> T
    {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            let start = redacted(String(response.text.prefix(120)))
            throw CommentError(
                kind: forge.kind, method: method, path: path,
                failure: .invalidResponse("expected JSON \(T.self == [Item].self ? "array of comments" : "comment"), got: \(start)"))
        }
    }

    /// `text` without the token.
    private func redacted(_ text: String) -> String {
        forge.token.isEmpty ? text : HTTPClient.redacting(text, secrets: [forge.token])
    }

    /// `error` without the token.
    private func redacted(_ error: HTTPError) -> HTTPError {
        forge.token.isEmpty ? error : HTTPClient.redacting(error, ["token": forge.token])
    }

    /// The body with the marker as its last line (a marker inside the body is moved there), cut with a
    /// note when the whole would exceed `maximumLength` characters (Unicode scalars, as the forges count).
    static func compose(body: String, marker: String) -> String {
        var text = body.replacing(marker, with: "")
        while let last = text.last, last.isWhitespace { text.removeLast() }
        let suffix = "\n\n" + marker
        let total = text.unicodeScalars.count
        guard total + suffix.unicodeScalars.count > maximumLength else { return text + suffix }
        let note = "\n\n… (cut by mlgate: the full text has \(total) characters; see the CI log)"
        let fence = "\n```"
        // Keep room for a closing code fence, the note and the marker.
        let budget = maximumLength - fence.unicodeScalars.count - note.unicodeScalars.count - suffix.unicodeScalars.count
        var kept = ""
        var used = 0
        for character in text {
            let size = character.unicodeScalars.count
            if used + size > budget { break }
            kept.append(character)
            used += size
        }
        let insideCodeBlock = kept.components(separatedBy: "```").count % 2 == 0
        return kept + (insideCodeBlock ? fence : "") + note + suffix
    }
}
