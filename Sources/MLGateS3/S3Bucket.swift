import Crypto
import Foundation  // base64
import MLGateEval  // Parallel: lanes on threads of their own
public import MLGateCore
public import MLGateNotify
public import MLGateSystem
#if canImport(Glibc)
import Glibc
#endif

/// A bucket (and key prefix) of an S3-compatible store, reached over libcurl with requests signed by libcurl's own
/// SigV4 (`CURLOPT_AWS_SIGV4`). Every upload carries its SHA-256 (`x-amz-content-sha256`, signed, and
/// `x-amz-checksum-sha256`); large files go up in parts, eight at once, and come down in ranges, eight at once.
/// An object only ever appears whole under its key: a PUT or a completed multipart upload is atomic in S3, and a
/// failed multipart upload is aborted.
public struct S3Bucket: Sendable {
    /// The bucket and prefix.
    public let location: S3Location
    /// The URL of the bucket, without a trailing `/`: `https://bucket.s3.region.amazonaws.com` or `endpoint/bucket`.
    public let baseURL: String
    /// The region requests are signed for.
    public let region: String
    /// Files above this many bytes are uploaded in parts of `partSize` bytes.
    public let multipartThreshold: Int64, partSize: Int64
    private let credentials: S3Credentials
    private let client: HTTPClient
    /// How many transfers run at once (parts of one file, or objects of a push).
    public static let lanes = 8
    /// The largest range one GET asks for: a response body is held in memory (the C shim allows 64 MiB).
    static let largestRange: Int64 = 32 << 20
    /// SHA-256 of no bytes: the payload hash of GET, HEAD and DELETE.
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The bucket of `location`, reached as `settings` and the AWS environment say (see `S3Settings`).
    public init(location: S3Location, settings: S3Settings, environment: @escaping (String) -> String? = ProcessEnvironment.value,
                client: HTTPClient = HTTPClient(attempts: 5, initialBackoff: 0.5, timeoutSeconds: 600)) throws(S3Error) {
        guard let credentials = S3Credentials.fromEnvironment(profile: settings.profile, environment: environment) else {
            throw .noCredentials("no AWS credentials for \(location): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put the key pair in ~/.aws/credentials (the profile is AWS_PROFILE, remote.s3.profile, or default). mlgate never reads them from mlgate.yaml.")
        }
        func nonEmpty(_ name: String) -> String? { environment(name).flatMap { $0.isEmpty ? nil : $0 } }
        let endpoint = settings.endpoint ?? nonEmpty("AWS_ENDPOINT_URL_S3") ?? nonEmpty("AWS_ENDPOINT_URL") ?? nonEmpty("MLFLOW_S3_ENDPOINT_URL")
        let region = settings.region ?? nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION")
            ?? S3Credentials.profileRegion(profile: settings.profile, environment: environment) ?? "us-east-1"
        let pathStyle = settings.pathStyle ?? (endpoint != nil)
        let service = (endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }) ?? "https://s3.\(region).amazonaws.com"
        if pathStyle {
            baseURL = service + "/" + location.bucket
        } else {
            let scheme = service.prefix { $0 != ":" }
            baseURL = "\(scheme)://\(location.bucket).\(service.dropFirst(scheme.count + 3))"
        }
        self.location = location
        self.region = region
        self.credentials = credentials
        self.client = client
        partSize = Int64(settings.partSizeMB) << 20
        multipartThreshold = Int64(settings.multipartThresholdMB) << 20
    }

    // MARK: Objects

    /// The size of object `name` (under the prefix), or nil when there is none.
    public func size(_ name: String) throws(S3Error) -> Int64? {
        let response = try send("HEAD", name, what: "a look at \(name)", accepting: [404])
        guard response.status != 404 else { return nil }
        return response.headers["content-length"].flatMap { Int64($0) } ?? 0
    }

    /// Stores `bytes` as object `name`.
    public func put(_ name: String, bytes: [UInt8]) throws(S3Error) {
        let digest = SHA256.hash(data: bytes)
        _ = try send("PUT", name, body: bytes, digest: digest, what: "the upload of \(name)")
    }

    /// The bytes of object `name`, or nil when there is none. For objects the caller knows are small.
    public func get(_ name: String) throws(S3Error) -> [UInt8]? {
        let response = try send("GET", name, what: "the download of \(name)", accepting: [404])
        return response.status == 404 ? nil : response.body
    }

    /// Uploads the file at `path` as object `name`: in one PUT, or in parts above the multipart threshold.
    public func upload(_ name: String, file path: String) throws(S3Error) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io("cannot stat \(path): \(String(cString: strerror(errno)))") }
        let size = Int64(info.st_size)
        guard size > multipartThreshold else { return try put(name, bytes: try Self.read(fd, at: 0, count: Int(size), path: path)) }
        try uploadInParts(name, fd: fd, size: size, path: path)
    }

    /// Writes object `name` to a new file at `path` (ranges at once for a large object); false when there is none.
    /// `size`, when the caller has just asked for it, saves a HEAD.
    public func download(_ name: String, to path: String, size known: Int64? = nil) throws(S3Error) -> Bool {
        let size: Int64
        if let known { size = known } else if let found = try self.size(name) { size = found } else { return false }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var ranges: [(offset: Int64, count: Int64)] = []
        var offset: Int64 = 0
        // Above the multipart threshold (or what one response may hold), in ranges of a part's size at most.
        let step = size <= min(multipartThreshold, Self.largestRange) ? max(size, 1) : min(partSize, Self.largestRange)
        repeat {
            ranges.append((offset, min(step, size - offset)))
            offset += step
        } while offset < size
        let parts = ranges
        try Self.inLanes(parts.count) { (index) throws(S3Error) in
            let (offset, count) = parts[index]
            let headers = parts.count == 1 ? [:] : ["range": "bytes=\(offset)-\(offset + count - 1)"]
            let response = try send("GET", name, headers: headers, what: "the download of \(name)")
            guard Int64(response.body.count) == count else {
                throw .transport("the download of \(name) gave \(response.body.count) bytes where \(count) were expected")
            }
            try Self.write(fd, response.body, at: offset, path: path)
        }
        return true
    }

    /// The names of the objects under `directory` (relative to the prefix, such as `runcache/…`), in key order.
    public func list(_ directory: String) throws(S3Error) -> [String] {
        var names: [String] = []
        var token: String?
        let keyPrefix = location.key(directory.hasSuffix("/") ? directory : directory + "/")
        repeat {
            var query = [("list-type", "2"), ("prefix", keyPrefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try send("GET", nil, query: query, what: "the listing of \(location.key(directory))")
            let text = response.text
            let skip = location.prefix.isEmpty ? 0 : location.prefix.count + 1
            names += XMLFields.values("Key", in: text).map { String($0.dropFirst(skip)) }
            token = XMLFields.values("IsTruncated", in: text).first == "true" ? XMLFields.values("NextContinuationToken", in: text).first : nil
        } while token != nil
        return names
    }

    // MARK: Multipart

    /// Creates a multipart upload, sends the parts over several lanes, completes it; aborts it on any failure, so
    /// nothing appears under the key unless every part arrived.
    private func uploadInParts(_ name: String, fd: Int32, size: Int64, path: String) throws(S3Error) {
        let partSize = max(self.partSize, (size + 9_999) / 10_000)  // S3 allows at most 10,000 parts
        let count = Int((size + partSize - 1) / partSize)
        let created = try send("POST", name, query: [("uploads", "")], what: "the start of the upload of \(name)")
        guard let uploadID = XMLFields.values("UploadId", in: created.text).first else {
            throw .transport("the store did not return an upload id for \(name)")
        }
        do throws(S3Error) {
            let tags = try Self.mapInLanes(count) { (index) throws(S3Error) -> String in
                let offset = Int64(index) * partSize
                let bytes = try Self.read(fd, at: offset, count: Int(min(partSize, size - offset)), path: path)
                let response = try send("PUT", name, query: [("partNumber", String(index + 1)), ("uploadId", uploadID)], body: bytes,
                                        digest: SHA256.hash(data: bytes), what: "part \(index + 1) of \(count) of \(name)")
                guard let tag = response.headers["etag"] else { throw .transport("the store sent no ETag for part \(index + 1) of \(name)") }
                return tag
            }
            let parts = tags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(XMLFields.escaped($0.element))</ETag></Part>" }
            let body = Array("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>".utf8)
            let completed = try send("POST", name, query: [("uploadId", uploadID)], body: body, digest: SHA256.hash(data: body),
                                     what: "the completion of the upload of \(name)")
            // S3 can answer 200 with an error in the body when completing.
            if let code = XMLFields.values("Code", in: completed.text).first {
                throw .refused(status: completed.status, code: code, message: XMLFields.values("Message", in: completed.text).first ?? "",
                               what: "the completion of the upload of \(name)")
            }
        } catch {
            _ = try? send("DELETE", name, query: [("uploadId", uploadID)], what: "the abort of the upload of \(name)", accepting: [404])
            throw error
        }
    }

    // MARK: Requests

    /// Sends one signed request for object `name` (nil: the bucket itself) and returns the answer when it is 2xx or
    /// one of `accepting`; anything else is thrown with S3's error code and message.
    private func send(_ method: String, _ name: String?, query: [(String, String)] = [], headers extra: [String: String] = [:],
                      body: [UInt8]? = nil, digest: SHA256.Digest? = nil, what: String, accepting: Set<Int> = []) throws(S3Error) -> HTTPResponse {
        var headers = extra
        headers["x-amz-content-sha256"] = digest.map(Self.hex) ?? Self.emptyHash
        // A whole object's checksum, which S3 checks and keeps; a part's integrity rests on the signed payload hash (a
        // part may carry a checksum only when the upload was started with that algorithm).
        if let digest, method == "PUT", query.isEmpty { headers["x-amz-checksum-sha256"] = Data(digest).base64EncodedString() }
        if body != nil, headers["content-type"] == nil {
            // Not libcurl's default form type, which some servers parse (and empty) as a form.
            headers["content-type"] = method == "POST" ? "application/xml" : "application/octet-stream"
        }
        if let token = credentials.sessionToken { headers["x-amz-security-token"] = token }
        let url = baseURL + (name.map { "/" + Self.encoded(location.key($0), keepingSlashes: true) } ?? "/") + Self.canonicalQuery(query)
        let request = HTTPRequest(method: method, url: url, headers: headers, body: body ?? (method == "PUT" || method == "POST" ? [] : nil),
                                  signing: RequestSigning(region: region, service: "s3", accessKey: credentials.accessKey, secretKey: credentials.secretKey))
        let response: HTTPResponse
        do {
            response = try client.send(request)
        } catch {
            throw .transport("the S3 store at \(baseURL) did not answer \(what): \(error)")
        }
        guard response.isSuccess || accepting.contains(response.status) else {
            let text = response.text
            throw .refused(status: response.status, code: XMLFields.values("Code", in: text).first ?? "",
                           message: XMLFields.values("Message", in: text).first ?? "", what: what)
        }
        return response
    }

    /// `?name=value&…` sorted by name, each part percent-encoded as SigV4's canonical query string has it (libcurl
    /// 7.88 signs the query as written, so it must already be canonical); empty for no parameters.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let parts = query.map { (encoded($0.0, keepingSlashes: false), encoded($0.1, keepingSlashes: false)) }.sorted { $0 < $1 }
        return "?" + parts.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `text` with every byte but `A-Z a-z 0-9 - . _ ~` (and `/` when kept) as `%XX`, as SigV4 encodes.
    static func encoded(_ text: String, keepingSlashes: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepingSlashes:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in String(byte >> 4, radix: 16) + String(byte & 15, radix: 16) }.joined()
    }

    // MARK: Files and lanes

    /// `count` bytes of `fd` from `offset`.
    static func read(_ fd: Int32, at offset: Int64, count: Int, path: String) throws(S3Error) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { throw .io("cannot read \(path): \(got < 0 ? String(cString: strerror(errno)) : "it is shorter than it was")") }
            done += got
        }
        return bytes
    }

    /// Writes `bytes` to `fd` at `offset`.
    static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws(S3Error) {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            if wrote < 0, errno == EINTR { continue }
            guard wrote > 0 else { throw .io("cannot write \(path): \(String(cString: strerror(errno)))") }
            done += wrote
        }
    }

    /// `transform` of each index below `count`, in order, computed in lanes as `inLanes` runs them.
    public static func mapInLanes<T, Failure: Error>(_ count: Int, _ transform: @Sendable (Int) throws(Failure) -> T) throws(Failure) -> [T] {
        var results = [T?](repeating: nil, count: count)
        try results.withUnsafeMutableBufferPointer { (buffer) throws(Failure) in
            nonisolated(unsafe) let out = buffer  // each lane writes only its own indices
            try inLanes(count) { (index) throws(Failure) in out[index] = try transform(index) }
        }
        return results.compactMap { $0 }
    }

    /// Runs `body` for each index below `count` on up to `lanes` threads; the first error is thrown after all stop.
    /// The lanes are threads of their own (`Parallel`), not Dispatch's: a push runs objects in lanes and a large
    /// object its parts in lanes, and a `concurrentPerform` inside another runs serially.
    public static func inLanes<Failure: Error>(_ count: Int, _ body: @Sendable (Int) throws(Failure) -> Void) throws(Failure) {
        guard count > 1 else {
            if count == 1 { try body(0) }
            return
        }
        let lanes = min(Self.lanes, count)
        let failures = Failures<Failure>()
        withoutActuallyEscaping(body) { body in
            Parallel.forEach(lanes) { lane in
                for index in stride(from: lane, to: count, by: lanes) where failures.first == nil {
                    do throws(Failure) { try body(index) } catch { failures.record(error) }
                }
            }
        }
        if let failure = failures.first { throw failure }
    }
}

/// The first error of several lanes.
private final class Failures<Failure: Error>: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var stored: Failure?
    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    var first: Failure? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return stored
    }
    func record(_ error: Failure) {
        pthread_mutex_lock(&lock)
        if stored == nil { stored = error }
        pthread_mutex_unlock(&lock)
    }
}

/// The text of simple XML elements in S3's answers (`<Key>…</Key>`), with the five predefined entities decoded.
enum XMLFields {
    /// The text of every `<tag>…</tag>` in `text`, in order.
    static func values(_ tag: String, in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        let open = "<\(tag)>", close = "</\(tag)>"
        while let start = rest.range(of: open), let end = rest.range(of: close, range: start.upperBound..<rest.endIndex) {
            found.append(unescaped(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return found
    }

    static func unescaped(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
