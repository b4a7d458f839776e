internal import CGit2
public import MLGateCore

/// Registered artifacts carried in the git remote itself, for CI runners that have nothing but the repository:
/// each artifact is a parentless commit under `refs/mlgate/objects/<hash>` whose tree holds the object store's
/// files, named by their SHA-256 (a file artifact is one entry; a folder is its manifest and every file it
/// lists). The commit has no history, so the ref is fetched by refspec in any clone, shallow ones too; a commit
/// (not a bare tree) because git transports push and fetch refs to commits everywhere.
extension GitRepository {
    /// The ref namespace artifacts travel under.
    public static let artifactRefPrefix = "refs/mlgate/objects/"

    /// Writes `files` (entry name → a file on disk) as blobs of one tree and points `reference` at it, unless it
    /// already exists. Returns whether it wrote the ref.
    @discardableResult
    public func storeArtifactTree(_ reference: String, files: [(name: String, path: String)]) throws(GitError) -> Bool {
        guard target(of: reference) == nil else { return false }
        var builder: OpaquePointer?
        try check(git_treebuilder_new(&builder, raw, nil), "git_treebuilder_new")
        defer { git_treebuilder_free(builder) }
        for file in files {
            var blob = git_oid()
            try check(git_blob_create_from_disk(&blob, raw, file.path), "git_blob_create_from_disk")
            try check(git_treebuilder_insert(nil, builder, file.name, &blob, GIT_FILEMODE_BLOB), "git_treebuilder_insert")
        }
        var treeID = git_oid()
        try check(git_treebuilder_write(&treeID, builder), "git_treebuilder_write")
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, raw, &treeID), "git_tree_lookup")
        defer { git_tree_free(tree) }
        // A fixed author and time: the commit depends on the files alone, so every clone that stores one artifact
        // writes the same commit, and pushes of it never conflict.
        var signature: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&signature, "mlgate", "mlgate@localhost", 0, 0), "git_signature_new")
        defer { git_signature_free(signature) }
        var commit = git_oid()
        let name = String(reference.dropFirst(Self.artifactRefPrefix.count))
        try check(git_commit_create(&commit, raw, reference, signature, signature, "UTF-8", "mlgate artifact \(name)\n", tree, 0, nil),
                  "git_commit_create")
        return true
    }

    /// Calls `body` with each blob of the tree `reference` points at whose entry name `wanted` accepts (name,
    /// bytes), in name order; nothing else is read. Throws when the ref is missing or is not a tree of blobs.
    public func readArtifactTree(_ reference: String, wanted: (String) -> Bool,
                                 _ body: (String, UnsafeRawBufferPointer) throws -> Void) throws {
        var oid = git_oid()
        try check(git_reference_name_to_id(&oid, raw, reference), "git_reference_name_to_id")
        var object: OpaquePointer?
        try check(git_object_lookup(&object, raw, &oid, GIT_OBJECT_ANY), "git_object_lookup")
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        try check(git_object_peel(&peeled, object, GIT_OBJECT_TREE), "git_object_peel")
        let tree = peeled
        defer { git_object_free(peeled) }
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let name = git_tree_entry_name(entry), let id = git_tree_entry_id(entry),
                  wanted(String(cString: name)) else { continue }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else {
                throw GitError(reason: .other, message: "\(reference) holds '\(String(cString: name))', which is not a file", function: "git_tree_entry_type")
            }
            var blob: OpaquePointer?
            var blobID = id.pointee
            try check(git_blob_lookup(&blob, raw, &blobID), "git_blob_lookup")
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            let bytes = UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: size)
            try body(String(cString: name), bytes)
        }
    }
}
