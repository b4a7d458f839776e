/// A way to name a model version: `models:/churn/3`, `models:/churn@champion`, or the short forms `churn/3`,
/// `churn@champion` and a bare `churn` (its latest version, or every version where a command lists them).
public struct ModelURI: Hashable, Sendable, CustomStringConvertible {
    /// Which version of the model.
    public enum Selector: Hashable, Sendable {
        /// Version N.
        case version(Int)
        /// The version an alias points at.
        case alias(String)
        /// No selector: the latest version (or all, for listings).
        case latest
    }

    /// The model's name.
    public var name: String
    /// The version selector.
    public var selector: Selector

    /// Creates a URI.
    public init(name: String, selector: Selector) {
        self.name = name
        self.selector = selector
    }

    /// Parses a URI or short form; throws a `RegistryError` saying what is wrong.
    public init(parsing text: String) throws(RegistryError) {
        var body = Substring(text)
        if body.hasPrefix("models:/") { body = body.dropFirst(8) }
        if let at = body.lastIndex(of: "@") {
            let alias = String(body[body.index(after: at)...])
            try Self.validateAlias(alias)
            name = String(body[..<at])
            selector = .alias(alias)
        } else if let slash = body.lastIndex(of: "/") {
            let number = String(body[body.index(after: slash)...])
            guard let version = Int(number), version > 0 else {
                throw RegistryError(.invalidInput, "'\(text)': the version after '/' must be a positive whole number, as in models:/churn/3.")
            }
            name = String(body[..<slash])
            selector = .version(version)
        } else {
            name = String(body)
            selector = .latest
        }
        try Self.validateName(name)
    }

    public var description: String {
        switch selector {
        case .version(let version): "models:/\(name)/\(version)"
        case .alias(let alias): "models:/\(name)@\(alias)"
        case .latest: "models:/\(name)"
        }
    }

    /// Checks a model name: letters, digits, `.`, `_`, `-`, starting with a letter or digit, at most 100 characters,
    /// and within git's reference rules (no `..`, no final `.` or `.lock`), so every tag built from it
    /// (`NAME@v1.0.0`, `NAME#production#1`) is one git can hold and GTO can read.
    public static func validateName(_ name: String) throws(RegistryError) {
        guard isPlainName(name) else {
            throw RegistryError(.invalidInput, "'\(name)' is not a valid model name: use letters, digits, '.', '_' and '-', starting with a letter or digit (at most 100 characters)\(gitRuleHint(name)).")
        }
    }

    /// The part of git's reference rules a name of the allowed characters can still break, for messages.
    static func gitRuleHint(_ text: String) -> String {
        if text.contains("..") { return "; git refuses '..' in a tag name" }
        if text.hasSuffix(".") { return "; git refuses a tag name ending in '.'" }
        if text.hasSuffix(".lock") { return "; git refuses a tag name ending in '.lock'" }
        return ""
    }

    /// Checks an alias: a plain name that does not look like a version (`3`, `v1`, `v1.0.0`), so it never
    /// collides with a version number or a GTO version tag.
    public static func validateAlias(_ alias: String) throws(RegistryError) {
        guard isPlainName(alias) else {
            throw RegistryError(.invalidInput, "'\(alias)' is not a valid alias: use letters, digits, '.', '_' and '-', starting with a letter or digit\(gitRuleHint(alias)).")
        }
        if looksLikeVersion(alias) {
            throw RegistryError(.invalidInput, "the alias '\(alias)' looks like a version; choose a name such as 'champion' or 'candidate' (versions are numbers and GTO writes them v1.0.0).")
        }
    }

    /// Whether `text` reads as a version: digits, or `v` followed by dot-separated digits.
    public static func looksLikeVersion(_ text: String) -> Bool {
        var body = Substring(text.lowercased())
        if body.hasPrefix("v") { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        return !body.isEmpty && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    /// Whether `text` can name a lifecycle stage (it becomes part of a GTO tag, `name#stage#N`).
    public static func isValidStage(_ text: String) -> Bool { isPlainName(text) && !text.contains(".") }

    /// Letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 100 bytes, and a valid part of a git
    /// reference name (`RefName`): the rules every name that becomes part of a tag keeps.
    static func isPlainName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.utf8.count <= 100 else { return false }
        func allowed(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar)
        }
        return text.unicodeScalars.allSatisfy(allowed) && !".-_".unicodeScalars.contains(first) && RefName.isValid("refs/tags/" + text)
    }
}

/// A registry request that cannot be carried out, with what to do.
public struct RegistryError: MLGateError, Equatable {
    /// The failure category (exit code).
    public var category: FailureCategory
    /// What is wrong and what to do.
    public var description: String

    /// Creates an error.
    public init(_ category: FailureCategory, _ description: String) {
        self.category = category
        self.description = description
    }
}
