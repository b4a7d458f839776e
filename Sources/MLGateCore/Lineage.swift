/// A git object id in lowercase hexadecimal (40 characters for SHA-1 repositories).
public struct CommitID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The full hexadecimal id.
    public let hex: String

    /// Wraps a full hexadecimal id; returns nil unless `hex` is 40 or 64 hexadecimal digits.
    public init?(hex: String) {
        guard hex.utf8.count == 40 || hex.utf8.count == 64,
              hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { return nil }
        self.hex = hex
    }

    /// The id of raw object-id bytes (20 for SHA-1, 32 for SHA-256), as libgit2 hands them over.
    public init(bytes: some Collection<UInt8>) {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        self.hex = String(decoding: hex, as: UTF8.self)
    }

    /// Whether this is git's all-zero id (what pre-push shows for a deleted or new ref).
    public var isZero: Bool { hex.utf8.allSatisfy { $0 == 48 } }

    /// The first seven characters, as `git log --oneline` shows them.
    public var short: String { String(hex.prefix(7)) }
    public var description: String { hex }
    public static func < (lhs: CommitID, rhs: CommitID) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = CommitID(hex: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a commit id: \(text)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Who made a commit and when, as git records it.
public struct Signature: Hashable, Sendable, Codable {
    /// The name part of the signature.
    public var name: String
    /// The email part of the signature.
    public var email: String
    /// Seconds since 1970-01-01 UTC.
    public var time: Int64
    /// The signer's offset from UTC in minutes (git's `+0130` is 90).
    public var offsetMinutes: Int

    /// Creates a signature.
    public init(name: String, email: String, time: Int64, offsetMinutes: Int) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }
}

/// The immutable facts of one commit, read from the repository.
public struct CommitFacts: Hashable, Sendable {
    /// The commit's id.
    public var id: CommitID
    /// Parent ids in order; empty for a root commit.
    public var parents: [CommitID]
    /// The root tree's id.
    public var tree: CommitID
    /// Who wrote the change.
    public var author: Signature
    /// Who made the commit.
    public var committer: Signature
    /// The first paragraph of the message, joined into one line.
    public var subject: String
    /// Configured projects whose path prefix this commit changed, relative to its first parent.
    public var projects: [String]
    /// True when the parents are not in this repository (a shallow clone's boundary).
    public var parentsMissing: Bool

    /// Creates the facts of a commit.
    public init(
        id: CommitID, parents: [CommitID], tree: CommitID, author: Signature, committer: Signature,
        subject: String, projects: [String] = [], parentsMissing: Bool = false
    ) {
        self.id = id
        self.parents = parents
        self.tree = tree
        self.author = author
        self.committer = committer
        self.subject = subject
        self.projects = projects
        self.parentsMissing = parentsMissing
    }
}

/// How a commit came to be recorded.
public enum LineageSource: String, Sendable, Codable, CaseIterable {
    /// A git hook recorded it as it happened.
    case hook
    /// Reconciliation found it later by walking from the refs (`MLGATE_HOOKS=0`, a clone, a CI checkout).
    case sync
}

/// The git operation that produced a recorded commit.
public enum LineageEvent: String, Sendable, Codable, CaseIterable {
    /// `git commit`, `cherry-pick`, `revert`.
    case commit
    /// `git merge` or `git pull` (merge mode).
    case merge
    /// `git commit --amend`.
    case amend
    /// `git rebase` (and `pull --rebase`).
    case rebase
    /// Found by walking history, not seen by a hook.
    case sync
}

/// One commit as mlgate recorded it: the facts plus where and how it was seen.
public struct LineageCommit: Hashable, Sendable {
    /// The commit's facts.
    public var facts: CommitFacts
    /// The branch checked out when it was recorded, or nil for a detached HEAD.
    public var branch: String?
    /// Whether a hook or a sync recorded it.
    public var source: LineageSource
    /// Which git operation produced it.
    public var event: LineageEvent
    /// When mlgate recorded it, in seconds since 1970-01-01 UTC.
    public var recordedAt: Int64

    /// Creates a recorded commit.
    public init(facts: CommitFacts, branch: String?, source: LineageSource, event: LineageEvent, recordedAt: Int64) {
        self.facts = facts
        self.branch = branch
        self.source = source
        self.event = event
        self.recordedAt = recordedAt
    }
}

/// The kind of history rewrite git reported through `post-rewrite`.
public enum RewriteKind: String, Sendable, Codable, CaseIterable {
    /// `git commit --amend` (also a squash inside `rebase -i`).
    case amend
    /// `git rebase`.
    case rebase
}

/// One `old → new` pair from `post-rewrite`.
public struct Rewrite: Hashable, Sendable, Codable {
    /// The commit that was rewritten.
    public var old: CommitID
    /// The commit that replaced it.
    public var new: CommitID
    /// Amend or rebase.
    public var kind: RewriteKind

    /// Creates a rewrite record.
    public init(old: CommitID, new: CommitID, kind: RewriteKind) {
        self.old = old
        self.new = new
        self.kind = kind
    }

    /// Parses git's `post-rewrite` standard input: one `<old> SP <new> [SP <extra>] LF` per commit.
    /// Lines that do not hold two ids are skipped (git documents an optional extra field).
    public static func parse(postRewriteInput text: String, kind: RewriteKind) -> [Rewrite] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let old = CommitID(hex: String(fields[0])),
                  let new = CommitID(hex: String(fields[1])) else { return nil }
            return Rewrite(old: old, new: new, kind: kind)
        }
    }
}
