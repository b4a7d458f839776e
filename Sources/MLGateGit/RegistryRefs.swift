internal import CGit2
public import MLGateCore
import Foundation

/// An annotated tag as the registry mirror reads it back.
public struct AnnotatedTag: Hashable, Sendable {
    /// The tag's short name (`churn@v3.0.0`).
    public var name: String
    /// The commit it points at.
    public var target: CommitID
    /// Its message, without the signature block a signed tag carries after it.
    public var message: String
    /// The tagger and time.
    public var tagger: Signature?
}

/// Registry tags (GTO's grammar) and `refs/notes/mlgate`, written and read with libgit2.
extension GitRepository {
    /// The notes ref the registry writes one JSON line per event to.
    public static let registryNotesRef = "refs/notes/mlgate"

    /// Creates annotated tag `name` on `commit` with `message`, tagged by the committer identity (git's
    /// variables, then the config). Returns false when the tag already exists (it is never moved).
    @discardableResult
    public func createTag(_ name: String, on commit: CommitID, message: String) throws(GitError) -> Bool {
        var oid = try Self.oid(commit)
        var target: OpaquePointer?
        try check(git_object_lookup(&target, raw, &oid, GIT_OBJECT_COMMIT), "git_object_lookup")
        defer { git_object_free(target) }
        let signature = try committer()
        defer { git_signature_free(signature) }
        var created = git_oid()
        let code = git_tag_create(&created, raw, name, target, signature, message, 0)
        if code == GIT_EEXISTS.rawValue { return false }
        try check(code, "git_tag_create")
        return true
    }

    /// Deletes tag `name` (a local registry tag renumbered after a refused push).
    public func deleteTag(_ name: String) throws(GitError) {
        let code = git_tag_delete(raw, name)
        if code == GIT_ENOTFOUND.rawValue { return }
        try check(code, "git_tag_delete")
    }

    /// Every annotated tag whose name matches the glob `pattern` (`churn@v*`), lightweight tags skipped.
    public func annotatedTags(matching pattern: String) throws(GitError) -> [AnnotatedTag] {
        var names = git_strarray()
        try check(git_tag_list_match(&names, pattern, raw), "git_tag_list_match")
        defer { git_strarray_dispose(&names) }
        var result: [AnnotatedTag] = []
        for index in 0..<names.count {
            guard let pointer = names.strings[index] else { continue }
            let name = String(cString: pointer)
            var object: OpaquePointer?
            guard git_revparse_single(&object, raw, "refs/tags/" + name) == 0 else { continue }
            defer { git_object_free(object) }
            guard git_object_type(object) == GIT_OBJECT_TAG else { continue }
            let tag = object
            guard let targetID = git_tag_target_id(tag) else { continue }
            let tagger = git_tag_tagger(tag).map { Self.signature($0.pointee) }
            let message = git_tag_message(tag).map { String(cString: $0) } ?? ""
            result.append(AnnotatedTag(name: name, target: Self.commitID(targetID.pointee), message: Self.unsigned(message), tagger: tagger))
        }
        return result
    }

    /// A tag message without the signature git appends to a signed tag's message (PGP, SSH or X.509 armour).
    static func unsigned(_ message: String) -> String {
        for marker in ["-----BEGIN PGP SIGNATURE-----", "-----BEGIN SSH SIGNATURE-----", "-----BEGIN SIGNED MESSAGE-----"] {
            if let range = message.range(of: marker) { return String(message[..<range.lowerBound]) }
        }
        return message
    }

    /// Appends `lines` to the registry note of `commit`, keeping the note's lines sorted and unique
    /// (so concurrent writers merge with git's `cat_sort_uniq`).
    public func appendNote(_ lines: [String], to commit: CommitID) throws(GitError) {
        var oid = try Self.oid(commit)
        var existing: OpaquePointer?
        var text = ""
        if git_note_read(&existing, raw, Self.registryNotesRef, &oid) == 0 {
            text = git_note_message(existing).map { String(cString: $0) } ?? ""
            git_note_free(existing)
        }
        var all = Set(text.split(separator: "\n").map(String.init))
        all.formUnion(lines)
        let merged = all.sorted().joined(separator: "\n") + "\n"
        let signature = try committer()
        defer { git_signature_free(signature) }
        var created = git_oid()
        try check(git_note_create(&created, raw, Self.registryNotesRef, signature, signature, &oid, merged, 1), "git_note_create")
    }

    /// The registry note lines of every annotated commit.
    public func registryNotes() throws(GitError) -> [(commit: CommitID, lines: [String])] {
        var iterator: OpaquePointer?
        let code = git_note_iterator_new(&iterator, raw, Self.registryNotesRef)
        if code == GIT_ENOTFOUND.rawValue { return [] }
        try check(code, "git_note_iterator_new")
        defer { git_note_iterator_free(iterator) }
        var result: [(commit: CommitID, lines: [String])] = []
        var noteID = git_oid(), annotated = git_oid()
        while git_note_next(&noteID, &annotated, iterator) == 0 {
            var note: OpaquePointer?
            var target = annotated
            guard git_note_read(&note, raw, Self.registryNotesRef, &target) == 0 else { continue }
            let text = git_note_message(note).map { String(cString: $0) } ?? ""
            git_note_free(note)
            result.append((Self.commitID(annotated), text.split(separator: "\n").map(String.init)))
        }
        return result
    }

    /// The committer git would name: `GIT_COMMITTER_NAME`/`EMAIL`, else `user.name`/`user.email` from the
    /// config; nil when there is no name.
    public func committerIdentity() -> (name: String, email: String?)? {
        let environment = ProcessInfo.processInfo.environment
        let name = environment["GIT_COMMITTER_NAME"] ?? (try? configString("user.name")) ?? nil
        let email = environment["GIT_COMMITTER_EMAIL"] ?? (try? configString("user.email")) ?? nil
        guard let name, !name.isEmpty else { return nil }
        return (name, email)
    }

    /// The committer signature for registry tags and notes (mlgate's own when git names nobody).
    func committer() throws(GitError) -> UnsafeMutablePointer<git_signature>? {
        let identity = committerIdentity()
        var signature: UnsafeMutablePointer<git_signature>?
        try check(git_signature_now(&signature, identity?.name ?? "mlgate", identity?.email ?? "mlgate@localhost"), "git_signature_now")
        return signature
    }
}
