/// One line of the lineage journal: what a hook saw at the moment git ran it.
///
/// Hooks append these cheaply and never touch the store; every command that reads lineage first drains
/// the journal into the store, reading each commit's facts from the repository (they never change).
public struct JournalEntry: Codable, Hashable, Sendable {
    /// The git operation.
    public var event: LineageEvent
    /// Commits the operation produced: HEAD after a commit or merge, the new ids after a rewrite.
    public var commits: [CommitID]
    /// The `old → new` pairs of a rewrite; empty otherwise.
    public var rewrites: [Rewrite]
    /// The branch checked out, or nil for a detached HEAD.
    public var branch: String?
    /// When the hook ran, in seconds since 1970-01-01 UTC.
    public var at: Int64

    /// Creates a journal entry.
    public init(event: LineageEvent, commits: [CommitID], rewrites: [Rewrite] = [], branch: String?, at: Int64) {
        self.event = event
        self.commits = commits
        self.rewrites = rewrites
        self.branch = branch
        self.at = at
    }
}

/// The hooks mlgate knows how to run; the raw value is git's hook name.
public enum HookEvent: String, Sendable, CaseIterable, Codable {
    case postCommit = "post-commit"
    case postMerge = "post-merge"
    case postRewrite = "post-rewrite"
    case prePush = "pre-push"

    /// The hooks `mlgate hooks install` writes by default.
    public static let defaultSet: [HookEvent] = [.postCommit, .postMerge, .postRewrite, .prePush]

    /// Whether git feeds this hook data on standard input, which a chained hook must also receive.
    public var readsStandardInput: Bool { self == .postRewrite || self == .prePush }
}

extension JournalEntry {
    /// The entry as one line of JSON (no newline), written by hand so the hook path needs no encoder.
    /// `Codable` reads it back: the keys and shapes are the synthesized ones.
    public var jsonLine: String {
        let rewriteObjects = rewrites.map {
            #"{"kind":\#(JSONText.quoted($0.kind.rawValue)),"new":"\#($0.new.hex)","old":"\#($0.old.hex)"}"#
        }
        return #"{"at":\#(at),"branch":\#(branch.map(JSONText.quoted) ?? "null"),"commits":[\#(commits.map { "\"\($0.hex)\"" }.joined(separator: ","))],"event":\#(JSONText.quoted(event.rawValue)),"rewrites":[\#(rewriteObjects.joined(separator: ","))]}"#
    }
}

/// Minimal JSON text helpers for code that must not pay for an encoder.
public enum JSONText {
    /// `text` as a JSON string literal, with quotes, backslashes and control characters escaped.
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// `text` as a JSON string literal, or `null` when there is none.
    public static func quoted(orNull text: String?) -> String {
        text.map(quoted) ?? "null"
    }

    /// A JSON object from keys and already-encoded values, keys sorted (the same text for the same fields).
    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.sorted { $0.0 < $1.0 }.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}
