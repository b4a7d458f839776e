#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends HTTP requests through libcurl (loaded on first use), retrying what may succeed later.
///
/// Transport failures, 5xx and 429 are retried with exponential backoff (0.5 s, 1 s, 2 s, … by
/// default); other 4xx are never retried. A GET follows redirects only within the same origin, so
/// credentials in headers never travel to another host. Errors never contain header values.
public struct HTTPClient: Sendable {
    /// How many times a request is tried at most (at least 1).
    public let attempts: Int
    /// The wait before the second attempt, in seconds; it doubles for each attempt after that.
    public let initialBackoff: Double
    /// The total time one attempt may take, in seconds.
    public let timeoutSeconds: Int
    /// Which addresses requests may connect to.
    public let addresses: AddressPolicy
    /// The longest single wait between attempts, in seconds.
    static let maximumBackoff = 30.0
    /// The most same-origin redirects a GET follows.
    static let maximumRedirects = 5

    private let sleep: @Sendable (Double) -> Void
    private let libraryNames: [String]

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - attempts: tries per request, including the first (values below 1 count as 1).
    ///   - initialBackoff: seconds before the first retry; the environment variable
    ///     `MLGATE_HTTP_BACKOFF_MS` can only shorten it (tests use 10).
    ///   - timeoutSeconds: the limit for one attempt, connect included.
    ///   - sleep: waits the given seconds between attempts (tests pass a recorder).
    ///   - addresses: which addresses may be connected to (webhooks pass `.publicOnly`).
    public init(
        attempts: Int = 4, initialBackoff: Double = 0.5, timeoutSeconds: Int = 30,
        sleep: @escaping @Sendable (Double) -> Void = HTTPClient.systemSleep, addresses: AddressPolicy = .any
    ) {
        self.init(
            attempts: attempts, initialBackoff: initialBackoff, timeoutSeconds: timeoutSeconds, sleep: sleep,
            libraryNames: CurlLibrary.defaultNames, addresses: addresses)
    }

    /// Creates a client that loads libcurl from `libraryNames` (tests use a name that does not exist).
    init(
        attempts: Int = 4, initialBackoff: Double = 0.5, timeoutSeconds: Int = 30,
        sleep: @escaping @Sendable (Double) -> Void = HTTPClient.systemSleep, libraryNames: [String], addresses: AddressPolicy = .any
    ) {
        self.addresses = addresses
        self.attempts = max(1, attempts)
        self.initialBackoff = Self.effectiveBackoff(
            initialBackoff, environment: getenv("MLGATE_HTTP_BACKOFF_MS").map { String(cString: $0) })
        self.timeoutSeconds = max(1, timeoutSeconds)
        self.sleep = sleep
        self.libraryNames = libraryNames
    }

    /// `initial` (at least 0), shortened to `environment` milliseconds when that is a smaller whole number.
    static func effectiveBackoff(_ initial: Double, environment: String?) -> Double {
        let backoff = initial.isFinite ? max(0, initial) : 0.5
        guard let environment, let milliseconds = Int(environment), milliseconds >= 0 else { return backoff }
        return min(backoff, Double(milliseconds) / 1000)
    }

    /// Waits `seconds` with `nanosleep`, resuming after signals.
    public static let systemSleep: @Sendable (Double) -> Void = { seconds in
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    /// Sends `request` and returns the final response, whatever its status (the caller decides what a
    /// status means; `HTTPResponse.requireSuccess()` turns non-2xx into `HTTPError.status`).
    ///
    /// Throws `HTTPError.libcurlMissing` at once (no retry), `.invalidRequest` before sending anything,
    /// and `.transport` when every attempt failed to get a response.
    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let method = request.method
        guard !method.isEmpty, method.utf8.count <= 16, method.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            throw .invalidRequest("the method must be an upper-case word such as GET or POST")
        }
        guard Self.origin(of: request.url) != nil else {
            throw .invalidRequest("not an absolute http:// or https:// URL: \(Self.redacting(request.url, request.headers))")
        }
        let lines = try Self.headerLines(request.headers)
        let library: CurlLibrary
        switch CurlLibrary.load(names: libraryNames) {
        case .success(let loaded): library = loaded
        case .failure(let error): throw error
        }

        var delay = initialBackoff
        var attempt = 1
        while true {
            let outcome: Result<HTTPResponse, HTTPError>
            do {
                outcome = .success(try sendOnce(request, lines: lines, library: library))
            } catch {
                var secrets = request.headers
                if let signing = request.signing { secrets["\u{0}signing"] = signing.secretKey }
                outcome = .failure(Self.redacting(error, secrets))
            }
            let retry: Bool
            switch outcome {
            case .success(let response): retry = response.status == 429 || response.status >= 500
            case .failure(let error): retry = error.isRetryable
            }
            if !retry || attempt >= attempts { return try outcome.get() }
            sleep(delay)
            delay = min(delay * 2, Self.maximumBackoff)
            attempt += 1
        }
    }

    /// One attempt; a GET or HEAD follows same-origin redirects.
    private func sendOnce(_ request: HTTPRequest, lines: [String], library: CurlLibrary) throws(HTTPError) -> HTTPResponse {
        var url = request.url
        var redirects = 0
        while true {
            let response = try library.perform(
                method: request.method, url: url, headerLines: lines, body: request.body, timeoutSeconds: timeoutSeconds,
                addresses: addresses, signing: request.signing)
            guard request.method == "GET" || request.method == "HEAD", [301, 302, 303, 307, 308].contains(response.status),
                let target = response.redirectURL, redirects < Self.maximumRedirects,
                let from = Self.origin(of: url), Self.origin(of: target) == from
            else { return response }
            url = target
            redirects += 1
        }
    }

    /// "Name: value" lines, after checking names are tokens and values are single lines.
    static func headerLines(_ headers: [String: String]) throws(HTTPError) -> [String] {
        let tokenPunctuation = Set("!#$%&'*+-.^_`|~".utf8)
        var lines: [String] = []
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            let validName = !name.isEmpty && name.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || tokenPunctuation.contains(byte)
            }
            guard validName else { throw .invalidRequest("a header name is not a token: '\(name)'") }
            guard !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
                throw .invalidRequest("the value of header '\(name)' contains a line break or NUL")
            }
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        return lines
    }

    /// `scheme://host:port` in lower case with the default port filled in, or `nil` when `url` is not an
    /// absolute http(s) URL without spaces or control characters.
    static func origin(of url: String) -> String? {
        guard !url.utf8.contains(where: { $0 <= 32 || $0 == 127 }) else { return nil }
        let lower = url.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") { scheme = "https" } else if lower.hasPrefix("http://") { scheme = "http" } else { return nil }
        let rest = lower.dropFirst(scheme.count + 3)
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty else { return nil }
        var host = Substring(authority)
        var port = scheme == "https" ? "443" : "80"
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            host = authority[..<colon]
            let digits = authority[authority.index(after: colon)...]
            if !digits.isEmpty { port = String(digits) }
        }
        guard !host.isEmpty else { return nil }
        return "\(scheme)://\(host):\(port)"
    }

    /// `error` with every header value (and each long word of it, such as the token after "Bearer") masked.
    static func redacting(_ error: HTTPError, _ headers: [String: String]) -> HTTPError {
        switch error {
        case .libcurlMissing(let text): .libcurlMissing(redacting(text, headers))
        case .transport(let text): .transport(redacting(text, headers))
        case .status(let status, let text): .status(status, redacting(text, headers))
        case .invalidRequest(let text): .invalidRequest(redacting(text, headers))
        case .refusedAddress(let text): .refusedAddress(redacting(text, headers))
        }
    }

    /// `text` with every header value, and each word of six or more characters in one, replaced by `[redacted]`.
    static func redacting(_ text: String, _ headers: [String: String]) -> String {
        var secrets: Set<String> = []
        for value in headers.values {
            if value.count >= 4 { secrets.insert(value) }
            for word in value.split(separator: " ") where word.count >= 6 { secrets.insert(String(word)) }
        }
        return redacting(text, secrets: secrets)
    }

    /// `text` with each of `secrets` (longest first) replaced by `[redacted]`.
    static func redacting(_ text: String, secrets: Set<String>) -> String {
        var result = text
        for secret in secrets.sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
            result = result.replacing(secret, with: "[redacted]")
        }
        return result
    }
}
