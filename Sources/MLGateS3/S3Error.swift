/// Why a request to an S3-compatible store failed. Descriptions never hold the secret key or a session token.
public enum S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// No key pair was found in the environment or the profile files.
    case noCredentials(String)
    /// The request never got an answer (connect, DNS, TLS, timeout) after its retries, or libcurl is missing.
    case transport(String)
    /// The store answered with an error: the HTTP status, S3's error code and message, and what was asked.
    case refused(status: Int, code: String, message: String, what: String)
    /// A file to upload, or the file a download writes, could not be read or written.
    case io(String)

    /// A sentence for people.
    public var description: String {
        switch self {
        case .noCredentials(let text), .transport(let text), .io(let text): text
        case .refused(let status, let code, let message, let what):
            "the S3 store refused \(what): HTTP \(status)\(code.isEmpty ? "" : " \(code)")\(message.isEmpty ? "" : ": \(message)")"
                + (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" || (code.isEmpty && status == 403)
                    ? " (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or the profile, the key's permissions, and the region)" : "")
                + (code == "NoSuchBucket" ? " (create the bucket, or fix remote.objects)" : "")
        }
    }
}
