/// Where objects live in an S3-compatible store: `s3://bucket/prefix`, parsed and checked.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    /// The bucket's name (3–63 lower-case letters, digits, dots and hyphens, as S3 requires).
    public let bucket: String
    /// The key prefix every object's key starts with, without leading or trailing `/` (may be empty).
    public let prefix: String

    /// Parses `url`; nil when it is not `s3://BUCKET[/PREFIX]` with a valid bucket name and a prefix free of `..`,
    /// `//`, control characters and `\`.
    public init?(_ url: String) {
        guard url.hasPrefix("s3://") else { return nil }
        let rest = url.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        var prefix = Substring(rest.dropFirst(bucket.count))
        while prefix.hasPrefix("/") { prefix = prefix.dropFirst() }
        while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        guard Self.isBucketName(bucket),
              !prefix.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }) || prefix.isEmpty,
              !prefix.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 || $0 == "\\" }) else { return nil }
        self.bucket = bucket
        self.prefix = String(prefix)
    }

    /// Whether `name` is a bucket name S3 accepts: 3–63 characters of `a-z0-9.-`, starting and ending with a letter or digit.
    public static func isBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func alphanumeric(_ byte: UInt8) -> Bool { (97...122).contains(byte) || (48...57).contains(byte) }
        guard (3...63).contains(bytes.count), let first = bytes.first, let last = bytes.last, alphanumeric(first), alphanumeric(last) else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") } && !name.contains("..")
    }

    /// The key of `name` under the prefix.
    public func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }

    /// `s3://bucket/prefix`.
    public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }
}
