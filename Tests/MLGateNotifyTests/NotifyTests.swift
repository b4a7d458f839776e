import Foundation
import Testing

@testable import MLGateNotify

private let token = "ghp_s3cretT0kenValue1234567890"
private let marker = "<!-- mlgate:gate:churn -->"

/// A client that retries quickly and records its waits.
private func quickClient(attempts: Int = 4, _ recorder: SleepRecorder) -> HTTPClient {
    HTTPClient(attempts: attempts, initialBackoff: 0.01, timeoutSeconds: 10, sleep: recorder.sleep)
}

private func github(_ server: FakeForge, project: String = "octo/repo", number: Int = 12) -> Forge {
    Forge(kind: .github, apiBase: server.base, project: project, number: number, token: token)
}

private func gitlab(_ server: FakeForge, project: String = "group/sub/proj", number: Int = 7) -> Forge {
    Forge(kind: .gitlab, apiBase: server.base + "/api/v4/", project: project, number: number, token: token)
}

/// The comments a list call returns (one page of up to 100).
private func listComments(_ server: FakeForge, _ forge: Forge) throws -> [[String: Any]] {
    let path = forge.listPath(project: try #require(forge.projectPath), page: 1)
    let response = try HTTPClient(attempts: 1).send(HTTPRequest(method: "GET", url: forge.base + path, headers: forge.headers))
    return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]])
}

@Suite("HTTP client over dlopen'ed libcurl")
struct HTTPClientTests {
    @Test("a GET and a POST reach a real server with the headers and body given")
    func roundTrip() throws {
        let server = try FakeForge()
        defer { server.stop() }
        let client = HTTPClient(attempts: 1)
        let get = try client.send(HTTPRequest(method: "GET", url: server.base + "/echo", headers: ["X-Probe": "1", "X-Empty": ""]))
        #expect(get.status == 200)
        #expect(get.text.contains("\"X-Probe\": \"1\""))
        let body = Array("{\"body\": \"héllo\"}".utf8)
        let post = try client.send(
            HTTPRequest(method: "POST", url: server.base + "/echo", headers: ["Content-Type": "application/json"], body: body))
        #expect(post.status == 200)
        let recorded = try server.requests()
        #expect(recorded.map(\.method) == ["GET", "POST"])
        #expect(recorded[0].header("User-Agent") == "mlgate")
        #expect(recorded[0].header("Expect") == nil)
        #expect(recorded[0].header("X-Empty") == "")
        #expect(recorded[1].body == "{\"body\": \"héllo\"}")
        #expect(recorded[1].header("Content-Type") == "application/json")
    }

    @Test("5xx is retried with exponential backoff until it succeeds")
    func retriesServerErrors() throws {
        let server = try FakeForge(["--fail-first", "2"])
        defer { server.stop() }
        let recorder = SleepRecorder()
        let response = try quickClient(recorder).send(HTTPRequest(method: "GET", url: server.base + "/echo"))
        #expect(response.status == 200)
        #expect(recorder.waits == [0.01, 0.02])
        #expect(try server.requests().count == 3)
    }

    @Test("5xx on every attempt: the last response is returned after `attempts` tries")
    func returnsLastServerError() throws {
        let server = try FakeForge(["--fail-first", "100"])
        defer { server.stop() }
        let recorder = SleepRecorder()
        let response = try quickClient(attempts: 3, recorder).send(HTTPRequest(method: "GET", url: server.base + "/echo"))
        #expect(response.status == 500)
        #expect(recorder.waits == [0.01, 0.02])
        #expect(try server.requests().count == 3)
        #expect {
            try response.requireSuccess()
        } throws: { error in
            (error as? HTTPError) == .status(500, "Server Error")
        }
    }

    @Test("4xx is returned at once, never retried")
    func noRetryOnClientError() throws {
        let server = try FakeForge(["--always", "404"])
        defer { server.stop() }
        let recorder = SleepRecorder()
        let response = try quickClient(recorder).send(HTTPRequest(method: "GET", url: server.base + "/anything"))
        #expect(response.status == 404)
        #expect(recorder.waits.isEmpty)
        #expect(try server.requests().count == 1)
    }

    @Test("connection refused is a transport error after every attempt")
    func connectionRefused() throws {
        let recorder = SleepRecorder()
        #expect {
            try quickClient(attempts: 3, recorder).send(
                HTTPRequest(method: "GET", url: "http://127.0.0.1:1/", headers: ["Authorization": "Bearer \(token)"]))
        } throws: { error in
            guard case .transport(let message) = error as? HTTPError else { return false }
            return !message.isEmpty && !"\(error)".contains(token)
        }
        #expect(recorder.waits == [0.01, 0.02])
    }

    @Test("GET follows a same-origin redirect but not one to another host; POST follows none")
    func redirects() throws {
        let server = try FakeForge()
        defer { server.stop() }
        let client = HTTPClient(attempts: 1)
        let same = try client.send(HTTPRequest(method: "GET", url: server.base + "/redirect?to=\(server.base)/echo"))
        #expect(same.status == 200)
        let elsewhere = "http://localhost:\(server.port)/echo"
        let other = try client.send(HTTPRequest(method: "GET", url: server.base + "/redirect?to=\(elsewhere)"))
        #expect(other.status == 302)
        #expect(other.redirectURL == elsewhere)
        let post = try client.send(HTTPRequest(method: "POST", url: server.base + "/redirect?to=\(server.base)/echo", body: []))
        #expect(post.status == 302)
        #expect(try server.requests().map(\.path) == ["/redirect?to=\(server.base)/echo", "/echo", "/redirect?to=\(elsewhere)",
                                                     "/redirect?to=\(server.base)/echo"])
    }

    @Test("libcurl missing: a clear message naming what to install, and no retry")
    func libcurlMissing() throws {
        let names = ["libmlgate-no-such-curl.so.9", "libmlgate-no-such-curl.so"]
        guard case .failure(.libcurlMissing(let message)) = CurlLibrary.load(names: names) else {
            Issue.record("a library that does not exist loaded")
            return
        }
        #expect(message.contains("libcurl could not be loaded"))
        #expect(message.contains("libmlgate-no-such-curl.so.9, libmlgate-no-such-curl.so"))
        #expect(message.contains("libcurl4"))
        let recorder = SleepRecorder()
        let client = HTTPClient(attempts: 4, initialBackoff: 0.01, sleep: recorder.sleep, libraryNames: names)
        #expect(throws: HTTPError.libcurlMissing(message)) {
            try client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:1/"))
        }
        #expect(recorder.waits.isEmpty)
        // The real library loads under its default names.
        guard case .success = CurlLibrary.load(names: CurlLibrary.defaultNames) else {
            Issue.record("libcurl did not load from \(CurlLibrary.defaultNames)")
            return
        }
    }

    @Test("bad requests are refused before sending, and never quote a header value")
    func invalidRequests() {
        let client = HTTPClient(attempts: 1)
        #expect(throws: HTTPError.self) { try client.send(HTTPRequest(method: "get", url: "http://127.0.0.1:1/")) }
        #expect(throws: HTTPError.self) { try client.send(HTTPRequest(method: "GET", url: "file:///etc/passwd")) }
        #expect(throws: HTTPError.self) { try client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:1/a b")) }
        #expect {
            try client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:1/", headers: ["PRIVATE-TOKEN": "\(token)\r\nX-Evil: 1"]))
        } throws: { error in
            guard case .invalidRequest(let message) = error as? HTTPError else { return false }
            return message.contains("PRIVATE-TOKEN") && !message.contains(token)
        }
    }

    @Test("which failures are retried, the backoff override and origins")
    func rules() {
        #expect(HTTPError.transport("x").isRetryable)
        #expect(HTTPError.status(500, "").isRetryable && HTTPError.status(503, "").isRetryable)
        #expect(HTTPError.status(429, "").isRetryable)
        #expect(!HTTPError.status(404, "").isRetryable && !HTTPError.status(422, "").isRetryable)
        #expect(!HTTPError.libcurlMissing("x").isRetryable)
        #expect(HTTPClient.effectiveBackoff(0.5, environment: nil) == 0.5)
        #expect(HTTPClient.effectiveBackoff(0.5, environment: "10") == 0.01)
        #expect(HTTPClient.effectiveBackoff(0.5, environment: "5000") == 0.5)
        #expect(HTTPClient.effectiveBackoff(0.5, environment: "soon") == 0.5)
        #expect(HTTPClient.origin(of: "https://API.github.com/repos") == "https://api.github.com:443")
        #expect(HTTPClient.origin(of: "http://user@127.0.0.1:8080?x") == "http://127.0.0.1:8080")
        #expect(HTTPClient.origin(of: "http://[::1]/x") == "http://[::1]:80")
        #expect(HTTPClient.origin(of: "ftp://example.com/") == nil)
        #expect(HTTPClient.redacting("sent Bearer \(token) and \(token)", ["Authorization": "Bearer \(token)"])
            == "sent [redacted] and [redacted]")
    }
}

@Suite("Sticky pull/merge request comment")
struct StickyCommentTests {
    @Test("GitHub: the first upsert creates, the second edits the same comment")
    func githubCreateThenUpdate() throws {
        let server = try FakeForge(["--token", token])
        defer { server.stop() }
        let forge = github(server)
        let comment = StickyComment(forge: forge, marker: marker, client: quickClient(SleepRecorder()))
        let first = try comment.upsert(body: "first report")
        guard case .created(let id, let url) = first else {
            Issue.record("expected created, got \(first)")
            return
        }
        #expect(url == "https://github.example/octo/repo/pull/12#issuecomment-\(id)")
        let second = try comment.upsert(body: "second report")
        #expect(second == .updated(id: id, url: url))

        let comments = try listComments(server, forge)
        #expect(comments.count == 1)
        #expect(comments.first?["body"] as? String == "second report\n\n\(marker)")

        let recorded = try server.requests()
        #expect(recorded.map { "\($0.method) \($0.path)" } == [
            "GET /repos/octo/repo/issues/12/comments?per_page=100&page=1",
            "POST /repos/octo/repo/issues/12/comments",
            "GET /repos/octo/repo/issues/12/comments?per_page=100&page=1",
            "PATCH /repos/octo/repo/issues/comments/\(id)",
            "GET /repos/octo/repo/issues/12/comments?per_page=100&page=1",
        ])
        for request in recorded {
            #expect(request.header("Authorization") == "Bearer \(token)")
            #expect(request.header("Accept") == "application/vnd.github+json")
            #expect(request.header("X-GitHub-Api-Version") == "2022-11-28")
            #expect(request.header("User-Agent") == "mlgate")
        }
        #expect(recorded[1].header("Content-Type") == "application/json")
        let posted = try JSONSerialization.jsonObject(with: Data(recorded[1].body.utf8)) as? [String: String]
        #expect(posted == ["body": "first report\n\n\(marker)"])
    }

    @Test("GitLab: encoded project path, PRIVATE-TOKEN, PUT on the second upsert")
    func gitlabCreateThenUpdate() throws {
        let server = try FakeForge(["--token", token])
        defer { server.stop() }
        let forge = gitlab(server)
        let comment = StickyComment(forge: forge, marker: "mlgate:gate:churn", client: quickClient(SleepRecorder()))
        #expect(comment.marker == marker)
        let first = try comment.upsert(body: "first")
        guard case .created(let id, nil) = first else {
            Issue.record("expected created without URL, got \(first)")
            return
        }
        #expect(try comment.upsert(body: "second") == .updated(id: id, url: nil))
        let comments = try listComments(server, forge)
        #expect(comments.count == 1)
        #expect(comments.first?["body"] as? String == "second\n\n\(marker)")

        let notes = "/api/v4/projects/group%2Fsub%2Fproj/merge_requests/7/notes"
        let recorded = try server.requests()
        #expect(recorded.prefix(4).map { "\($0.method) \($0.path)" } == [
            "GET \(notes)?per_page=100&page=1&sort=asc&order_by=created_at",
            "POST \(notes)",
            "GET \(notes)?per_page=100&page=1&sort=asc&order_by=created_at",
            "PUT \(notes)/\(id)",
        ])
        for request in recorded {
            #expect(request.header("PRIVATE-TOKEN") == token)
            #expect(request.header("Authorization") == nil)
        }
    }

    @Test("pagination: the newest marked comment on page 2 wins over page 1", arguments: [Forge.Kind.github, .gitlab])
    func pagination(kind: Forge.Kind) throws {
        // 150 seeded comments (ids 1001…1150); index 5 (page 1) and index 120 (page 2) carry the marker.
        let server = try FakeForge(["--seed", "\(kind.rawValue):150:5,120", "--marker", marker])
        defer { server.stop() }
        let forge = kind == .github ? github(server) : gitlab(server)
        let outcome = try StickyComment(forge: forge, marker: marker, client: quickClient(SleepRecorder())).upsert(body: "new")
        #expect(outcome.id == 1121)
        #expect(outcome == .updated(id: 1121, url: kind == .github ? "https://github.example/octo/repo/pull/12#issuecomment-1121" : nil))
        let recorded = try server.requests()
        #expect(recorded.map(\.method) == ["GET", "GET", kind == .github ? "PATCH" : "PUT"])
        #expect(recorded[0].path.contains("page=1"))
        #expect(recorded[1].path.contains("page=2"))
        #expect(recorded[2].path.hasSuffix("/1121"))
    }

    @Test("5xx answers are retried, then the comment is created")
    func serverErrorsRetried() throws {
        let server = try FakeForge(["--fail-first", "2"])
        defer { server.stop() }
        let recorder = SleepRecorder()
        let outcome = try StickyComment(forge: github(server), marker: marker, client: quickClient(recorder)).upsert(body: "x")
        guard case .created = outcome else {
            Issue.record("expected created, got \(outcome)")
            return
        }
        #expect(recorder.waits == [0.01, 0.02])
        #expect(try server.requests().map(\.method) == ["GET", "GET", "GET", "POST"])
    }

    @Test("4xx: not retried, reported with method, path, status and message, never the token",
          arguments: [(Forge.Kind.github, 403), (.gitlab, 404), (.github, 401)])
    func clientErrors(kind: Forge.Kind, status: Int) throws {
        let server = try FakeForge(["--always", "\(status)"])
        defer { server.stop() }
        let recorder = SleepRecorder()
        let forge = kind == .github ? github(server) : gitlab(server)
        do {
            _ = try StickyComment(forge: forge, marker: marker, client: quickClient(recorder)).upsert(body: "x")
            Issue.record("expected a CommentError")
        } catch {
            #expect(error.status == status)
            #expect(error.method == "GET")
            #expect(error.path.hasPrefix(kind == .github ? "/repos/octo/repo/issues/12/comments" : "/projects/group%2Fsub%2Fproj/"))
            // The fake server echoes the credential in its message; it must come out redacted.
            #expect(error.message.contains("[redacted]"))
            #expect(!error.description.contains(token))
            #expect(!String(reflecting: error).contains(token))
            #expect(error.description.contains("HTTP \(status)"))
            if status == 403 { #expect(error.description.contains("Resource not accessible by integration")) }
            if kind == .github && status != 401 { #expect(error.description.contains("pull-requests: write")) }
            if kind == .gitlab { #expect(error.description.contains("CI_JOB_TOKEN")) }
        }
        #expect(recorder.waits.isEmpty)
        #expect(try server.requests().count == 1)
    }

    @Test("a refused connection is a transport error after the retries")
    func connectionRefused() throws {
        let forge = Forge(kind: .github, apiBase: "http://127.0.0.1:1", project: "octo/repo", number: 3, token: token)
        let recorder = SleepRecorder()
        #expect {
            try StickyComment(forge: forge, marker: marker, client: quickClient(attempts: 3, recorder)).upsert(body: "x")
        } throws: { error in
            guard let error = error as? CommentError, case .request(.transport) = error.failure else { return false }
            return error.status == nil && error.description.hasPrefix("GitHub API GET /repos/octo/repo/issues/3/comments")
                && !error.description.contains(token)
        }
        #expect(recorder.waits == [0.01, 0.02])
    }

    @Test("a body over 65,000 characters is cut with a note, keeping the marker")
    func truncation() throws {
        let server = try FakeForge()
        defer { server.stop() }
        let long = "```\n" + String(repeating: "é", count: 70_000)
        _ = try StickyComment(forge: github(server), marker: marker, client: quickClient(SleepRecorder())).upsert(body: long)
        let posted = try #require(try server.requests().last)
        let object = try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: String]
        let body = try #require(object?["body"])
        #expect(body.unicodeScalars.count <= StickyComment.maximumLength)
        #expect(body.unicodeScalars.count > StickyComment.maximumLength - 10)
        #expect(body.hasSuffix("\n\n" + marker))
        #expect(body.contains("cut by mlgate: the full text has 70004 characters"))
        #expect(body.components(separatedBy: "```").count == 3)  // the open code block is closed
        // Short bodies are untouched apart from the marker, which is never doubled.
        #expect(StickyComment.compose(body: "ok\n", marker: marker) == "ok\n\n\(marker)")
        #expect(StickyComment.compose(body: "\(marker)\nok", marker: marker) == "\nok\n\n\(marker)")
    }

    @Test("bad forge settings are refused without a request")
    func invalidForge() {
        let client = HTTPClient(attempts: 1)
        let cases = [
            Forge(kind: .github, apiBase: Forge.githubAPI, project: "just-a-name", number: 1, token: token),
            Forge(kind: .github, apiBase: Forge.githubAPI, project: "octo/repo", number: 0, token: token),
            Forge(kind: .gitlab, apiBase: "gitlab.com/api/v4", project: "42", number: 1, token: token),
        ]
        for forge in cases {
            #expect {
                try StickyComment(forge: forge, marker: marker, client: client).upsert(body: "x")
            } throws: { error in
                guard let error = error as? CommentError, case .invalidForge = error.failure else { return false }
                return !error.description.contains(token)
            }
        }
    }

    @Test("a forge prints without its token; project paths are encoded")
    func forgeText() {
        let forge = Forge(kind: .gitlab, apiBase: "https://gitlab.com/api/v4/", project: "group/proj", number: 7, token: token)
        #expect(!"\(forge)".contains(token))
        #expect(!String(reflecting: forge).contains(token))
        var dumped = ""
        dump(forge, to: &dumped)
        #expect(!dumped.contains(token))
        #expect(forge.projectPath == "group%2Fproj")
        #expect(forge.base == "https://gitlab.com/api/v4")
        let encoded = Forge(kind: .gitlab, apiBase: Forge.gitlabAPI, project: "group%2Fproj", number: 7, token: "")
        #expect(encoded.projectPath == "group%2Fproj")
        #expect(Forge(kind: .gitlab, apiBase: Forge.gitlabAPI, project: "12345", number: 7, token: "").projectPath == "12345")
    }

    @Test("API messages: strings, GitLab's field errors, GitHub's errors list, plain text")
    func apiMessages() {
        #expect(APIMessage.extract(from: Array(#"{"message":"Bad credentials"}"#.utf8)) == "Bad credentials")
        #expect(APIMessage.extract(from: Array(#"{"message":{"note":["is too long"]}}"#.utf8)) == #"{"note":["is too long"]}"#)
        #expect(APIMessage.extract(from: Array(#"{"message":"Validation Failed","errors":[{"resource":"IssueComment","field":"body","code":"custom","message":"body is too long"}]}"#.utf8))
            == "Validation Failed: body is too long")
        #expect(APIMessage.extract(from: Array(#"{"error":"insufficient_scope","error_description":"needs api"}"#.utf8))
            == "insufficient_scope: needs api")
        #expect(APIMessage.extract(from: Array("<html>\n502 Bad Gateway\n</html>".utf8)) == "<html> 502 Bad Gateway </html>")
    }
}
