import CCurlShim

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A libcurl opened with `dlopen` by the C shim; the only door to libcurl in mlgate.
///
/// Opening happens on first use, never at start-up, so commands and hooks that send nothing don't
/// pay for loading libcurl (and work on machines without it).
struct CurlLibrary: @unchecked Sendable {
    // The shim's table is written once under a lock and never freed or changed afterwards.
    private let handle: OpaquePointer

    /// The names tried for the default library, in order.
    static var defaultNames: [String] {
        #if os(macOS)
        ["libcurl.4.dylib", "/usr/lib/libcurl.4.dylib", "libcurl.dylib"]
        #else
        ["libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"]
        #endif
    }

    /// Opens the first of `names` that loads and has every function the shim needs.
    /// A library already opened is reused, so this is cheap after the first call.
    static func load(names: [String]) -> Result<CurlLibrary, HTTPError> {
        let capacity = 1024
        var error = [CChar](repeating: 0, count: capacity)
        let opened: OpaquePointer? = withCStrings(names) { pointers in
            pointers.withUnsafeBufferPointer { buffer in
                mlgate_curl_load(buffer.baseAddress, buffer.count, &error, capacity)
            }
        }
        guard let opened else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(.libcurlMissing(message.isEmpty ? "libcurl could not be loaded; install libcurl4" : message))
        }
        return .success(CurlLibrary(handle: opened))
    }

    /// Performs one request without following redirects. Transport failures and a missing library
    /// are thrown; any HTTP status is a response.
    func perform(method: String, url: String, headerLines: [String], body: [UInt8]?, timeoutSeconds: Int, addresses: AddressPolicy,
                 signing: RequestSigning? = nil) throws(HTTPError) -> HTTPResponse
    {
        var result = mlgate_http_result()
        defer { mlgate_http_free(&result) }
        let code: Int32 = withCStrings(headerLines) { headers in
            headers.withUnsafeBufferPointer { headerBuffer in
                withBodyPointer(body) { bodyPointer, bodyLength in
                    withGuard(addresses) { guardPointer in
                        withSigning(signing) { signingPointer in
                            mlgate_http_perform_signed(
                                handle, method, url, headerBuffer.baseAddress, headerBuffer.count, bodyPointer, bodyLength,
                                CLong(timeoutSeconds), guardPointer, signingPointer, &result)
                        }
                    }
                }
            }
        }
        let message = result.error.map { String(cString: $0) } ?? "unknown error"
        switch Int(code) {
        case MLGATE_HTTP_OK:
            var bytes: [UInt8] = []
            if let body = result.body, result.body_length > 0 {
                bytes = Array(UnsafeBufferPointer(start: body, count: result.body_length))
            }
            let headers = result.headers.map { HTTPResponse.headerFields(String(cString: $0)) } ?? [:]
            return HTTPResponse(status: Int(result.status), body: bytes, redirectURL: result.redirect_url.map { String(cString: $0) }, headers: headers)
        case MLGATE_HTTP_LIBRARY_MISSING:
            throw .libcurlMissing(message)
        case MLGATE_HTTP_TRANSPORT:
            throw .transport(message)
        case MLGATE_HTTP_REFUSED:
            throw .refusedAddress(message)
        default:
            throw .invalidRequest(message)
        }
    }
}

/// Calls `work` with the C guard for `policy` (`nil` when any address may be connected to).
private func withGuard<R>(_ policy: AddressPolicy, _ work: (UnsafePointer<mlgate_http_guard>?) -> R) -> R {
    guard case .publicOnly(let allowed) = policy else { return work(nil) }
    return withCStrings(allowed) { networks in
        networks.withUnsafeBufferPointer { buffer in
            var guardValue = mlgate_http_guard(refuse_internal: 1, allowed: buffer.baseAddress, allowed_count: buffer.count)
            return withUnsafePointer(to: &guardValue) { work($0) }
        }
    }
}

/// Calls `work` with the C signing for `signing` (`nil` when the request is not signed).
private func withSigning<R>(_ signing: RequestSigning?, _ work: (UnsafePointer<mlgate_http_signing>?) -> R) -> R {
    guard let signing else { return work(nil) }
    return withCStrings([signing.provider, signing.accessKey + ":" + signing.secretKey]) { strings in
        var value = mlgate_http_signing(provider: strings[0], user: strings[1])
        return withUnsafePointer(to: &value) { work($0) }
    }
}

/// Calls `body` with NUL-terminated copies of `strings` (as `const char *const *`), freed afterwards.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { $0.map { UnsafePointer($0) } })
}

/// Calls `work` with the body's bytes (or `nil` and 0 when there is no body).
private func withBodyPointer<R>(_ bytes: [UInt8]?, _ work: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return work(nil, 0) }
    guard !bytes.isEmpty else {
        // An empty body still needs a non-NULL pointer, so the shim sends "Content-Length: 0".
        var zero: UInt8 = 0
        return withUnsafeBytes(of: &zero) { work($0.baseAddress, 0) }
    }
    return bytes.withUnsafeBytes { work($0.baseAddress, $0.count) }
}
