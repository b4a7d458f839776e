internal import CGit2
public import MLGateCore
import Foundation

/// Fetching and pushing the registry's refs with libgit2 (remotes reachable without credentials: paths,
/// file:// and anything libgit2 opens on its own).
extension GitRepository {
    /// Fetches `refspecs` from the configured remote `name`.
    public func fetch(remote name: String, refspecs: [String]) throws(GitError) {
        var remote: OpaquePointer?
        try check(git_remote_lookup(&remote, raw, name), "git_remote_lookup")
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "git_fetch_options_init")
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        let code = Self.withStrings(refspecs) { array in git_remote_fetch(remote, &array, &options, "mlgate registry fetch") }
        try check(code, "git_remote_fetch")
    }

    /// Pushes `refspecs` (never forced) to the configured remote `name`; returns the refs the remote refused,
    /// with its reason (a non-fast-forward notes ref, a tag that exists there).
    public func push(remote name: String, refspecs: [String]) throws(GitError) -> [String: String] {
        var remote: OpaquePointer?
        try check(git_remote_lookup(&remote, raw, name), "git_remote_lookup")
        defer { git_remote_free(remote) }
        var options = git_push_options()
        try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "git_push_options_init")
        let rejections = Rejections()
        options.callbacks.payload = Unmanaged.passUnretained(rejections).toOpaque()
        options.callbacks.push_update_reference = { reference, status, payload in
            guard let reference, let status, let payload else { return 0 }
            Unmanaged<Rejections>.fromOpaque(payload).takeUnretainedValue().refused[String(cString: reference)] = String(cString: status)
            return 0
        }
        let code = Self.withStrings(refspecs) { array in git_remote_push(remote, &array, &options) }
        try check(code, "git_remote_push")
        return rejections.refused
    }

    /// The names of the references matching the glob `pattern` (`refs/mlgate/remote-tags/churn@v*`).
    public func references(matching pattern: String) throws(GitError) -> [String] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_glob_new(&iterator, raw, pattern), "git_reference_iterator_glob_new")
        defer { git_reference_iterator_free(iterator) }
        var names: [String] = []
        var name: UnsafePointer<CChar>?
        while git_reference_next_name(&name, iterator) == 0 {
            if let name { names.append(String(cString: name)) }
        }
        return names
    }

    /// The object a reference points at, or nil when it does not exist.
    public func target(of reference: String) -> CommitID? {
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, raw, reference) == 0 else { return nil }
        return Self.commitID(oid)
    }

    /// Rewrites the local registry notes on top of the notes commit at `base` (the remote's, just fetched):
    /// every note becomes the union of both sides' lines, sorted — `cat_sort_uniq` — so the result descends
    /// from the remote's notes and can be pushed without force. Does nothing when `base` does not exist.
    public func mergeRegistryNotes(onto base: String) throws(GitError) {
        var baseID = git_oid()
        guard git_reference_name_to_id(&baseID, raw, base) == 0 else { return }
        var localID = git_oid()
        if git_reference_name_to_id(&localID, raw, Self.registryNotesRef) == 0, git_oid_equal(&localID, &baseID) == 1 { return }
        let local = try registryNotes()
        var parent: OpaquePointer?
        try check(git_commit_lookup(&parent, raw, &baseID), "git_commit_lookup")
        let signature = try committer()
        defer { git_signature_free(signature) }
        var head = baseID
        for (commit, lines) in local {
            var annotated = try Self.oid(commit)
            var existing: OpaquePointer?
            var theirs = ""
            if git_note_commit_read(&existing, raw, parent, &annotated) == 0 {
                theirs = git_note_message(existing).map { String(cString: $0) } ?? ""
                git_note_free(existing)
            }
            let union = Set(theirs.split(separator: "\n").map(String.init)).union(lines)
            let text = union.sorted().joined(separator: "\n") + "\n"
            if text == theirs { continue }
            var blob = git_oid()
            let code = git_note_commit_create(&head, &blob, raw, parent, signature, signature, &annotated, text, 1)
            git_commit_free(parent)
            parent = nil
            try check(code, "git_note_commit_create")
            try check(git_commit_lookup(&parent, raw, &head), "git_commit_lookup")
        }
        git_commit_free(parent)
        var reference: OpaquePointer?
        try check(git_reference_create(&reference, raw, Self.registryNotesRef, &head, 1, "mlgate: merge the remote's registry notes"),
                  "git_reference_create")
        git_reference_free(reference)
    }

    /// Calls `body` with `strings` as a `git_strarray`.
    private static func withStrings<T>(_ strings: [String], _ body: (inout git_strarray) -> T) -> T {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var array = git_strarray(strings: buffer.baseAddress, count: strings.count)
            return body(&array)
        }
    }
}

/// What a push's remote refused, filled from libgit2's callback.
private final class Rejections {
    var refused: [String: String] = [:]
}
