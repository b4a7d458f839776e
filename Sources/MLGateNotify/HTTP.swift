import CCurlShim
import Foundation  // trimmingCharacters

/// One HTTP request: method, absolute URL, header fields and an optional body.
///
/// Header values may hold credentials; nothing in this module ever prints them.
public struct HTTPRequest: Sendable {
    /// The method in upper case: `GET`, `POST`, `PATCH`, `PUT`, `DELETE`, `HEAD`.
    public var method: String
    /// The absolute `http://` or `https://` URL.
    public var url: String
    /// Header fields by name. Values never appear in errors or logs.
    public var headers: [String: String]
    /// The request body, or `nil` for none.
    public var body: [UInt8]?
    /// How libcurl signs the request, or `nil` for not at all.
    public var signing: RequestSigning?

    /// Creates a request.
    public init(method: String, url: String, headers: [String: String] = [:], body: [UInt8]? = nil, signing: RequestSigning? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.signing = signing
    }
}

/// AWS Signature Version 4 as libcurl computes it (`CURLOPT_AWS_SIGV4`): the key pair never appears in errors.
public struct RequestSigning: Sendable {
    /// The region and service signed for, such as `us-east-1` and `s3`.
    public var region: String, service: String
    /// The access key id and the secret access key.
    public var accessKey: String, secretKey: String

    /// Creates a signing of requests for `service` in `region` with the key pair.
    public init(region: String, service: String, accessKey: String, secretKey: String) {
        self.region = region
        self.service = service
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    /// curl's provider string, `aws:amz:REGION:SERVICE`.
    var provider: String { "aws:amz:\(region):\(service)" }
}

/// What the server answered: the status code and the body.
public struct HTTPResponse: Sendable, Equatable {
    /// The HTTP status code (200, 404, …).
    public var status: Int
    /// The response body, decompressed.
    public var body: [UInt8]
    /// For a redirect the server sent but the client did not follow, its target URL.
    public var redirectURL: String?
    /// The response's header fields by lower-case name (the last of repeated ones).
    public var headers: [String: String]

    /// Creates a response.
    public init(status: Int, body: [UInt8], redirectURL: String? = nil, headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.redirectURL = redirectURL
        self.headers = headers
    }

    /// The header fields of raw `Name: value` lines (the status line and anything without a colon are skipped).
    static func headerFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            guard !name.isEmpty, !name.contains(" ") else { continue }
            fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    /// The body decoded as UTF-8 (invalid bytes become U+FFFD).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// Returns the response when its status is 2xx, and throws `HTTPError.status` with the API's
    /// `message` (or the start of the body) otherwise.
    public func requireSuccess() throws(HTTPError) -> HTTPResponse {
        guard isSuccess else { throw HTTPError.status(status, APIMessage.extract(from: body)) }
        return self
    }
}

/// Why an HTTP request failed. Descriptions never contain header values, so tokens stay out of logs.
public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libcurl could not be loaded at run time; the text names the libraries tried and what to install.
    case libcurlMissing(String)
    /// The transfer failed before a complete response arrived (DNS, connect, TLS, timeout); curl's message.
    case transport(String)
    /// The server answered with an unsuccessful status; the API's message.
    case status(Int, String)
    /// The request itself is unusable (bad method, URL or header); nothing was sent.
    case invalidRequest(String)
    /// The address policy refused every address the host resolved to; nothing was sent.
    case refusedAddress(String)

    /// A one-line explanation for people.
    public var description: String {
        switch self {
        case .libcurlMissing(let message): message
        case .transport(let message): "HTTP request failed: \(message)"
        case .status(let status, let message): message.isEmpty ? "HTTP \(status)" : "HTTP \(status): \(message)"
        case .invalidRequest(let message): "invalid HTTP request: \(message)"
        case .refusedAddress(let message): message
        }
    }

    /// Whether another attempt may succeed: transport failures, 5xx and 429.
    var isRetryable: Bool {
        switch self {
        case .transport: true
        case .status(let status, _): status == 429 || status >= 500
        case .libcurlMissing, .invalidRequest, .refusedAddress: false
        }
    }
}

/// Which addresses a request may connect to, checked by libcurl's open-socket callback on each resolved address
/// right before connecting, so a name that resolves (or re-resolves) to an internal address is refused too.
public enum AddressPolicy: Sendable, Hashable {
    /// Any address (the forges' APIs, which the user names).
    case any
    /// Public addresses only: loopback, private, link-local (cloud metadata), CGNAT, multicast and reserved ranges
    /// are refused unless one of these CIDR networks (`127.0.0.1/32`, `10.0.0.0/8`, `::1/128`) holds the address.
    /// Proxies from the environment are not used, so the address checked is the one connected to.
    case publicOnly(allowing: [String])

    /// Whether `text` is an IPv4 or IPv6 network in CIDR form (a bare address is a /32 or /128).
    public static func isNetwork(_ text: String) -> Bool { mlgate_http_valid_network(text) == 1 }

    /// Whether the literal address `text` is internal (nil when `text` is not an address, such as a host name).
    public static func isInternalAddress(_ text: String) -> Bool? {
        switch mlgate_http_address_is_internal(text) {
        case 1: true
        case 0: false
        default: nil
        }
    }
}
