/// git's rules for reference names (`git check-ref-format`), so every name mlgate turns into a tag is one git
/// can hold: a registry event whose tag git would refuse would otherwise fail to mirror for ever.
public enum RefName {
    /// Why `name` (a full reference name such as `refs/tags/churn@v1.0.0`) is not a valid git reference, or nil
    /// when it is. The rules are those of `git check-ref-format` without `--allow-onelevel`.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name == "@" { return "it is the single character '@'" }
        if name.hasPrefix("/") || name.hasSuffix("/") { return "it begins or ends with '/'" }
        if name.contains("//") { return "it holds '//'" }
        if name.hasSuffix(".") { return "it ends with '.'" }
        if name.contains("..") { return "it holds '..'" }
        if name.contains("@{") { return "it holds '@{'" }
        for scalar in name.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F { return "it holds a control character" }
            if " ~^:?*[\\".unicodeScalars.contains(scalar) { return "it holds '\(scalar)'" }
        }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        if components.count < 2 { return "it has no '/' (git wants refs/…)" }
        for component in components {
            if component.hasPrefix(".") { return "a part of it begins with '.'" }
            if component.hasSuffix(".lock") { return "a part of it ends with '.lock'" }
        }
        return nil
    }

    /// Whether `name` is a valid full git reference name.
    public static func isValid(_ name: String) -> Bool { problem(name) == nil }
}

/// A content address of the object store: the SHA-256 of an object's bytes, as 64 lowercase hex digits.
///
/// Every hash that arrives from outside (a tag message, a note, a manifest, a remote's listing) is checked with
/// `isWellFormed` where it is parsed, before any path is built from it: `../../etc/passwd` is not a hash.
public enum ContentDigest {
    /// Whether `text` is 64 lowercase hexadecimal digits.
    public static func isWellFormed(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
