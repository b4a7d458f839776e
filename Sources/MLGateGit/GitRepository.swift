internal import CGit2
public import MLGateCore
import Foundation

/// libgit2 is initialised on first use, never at load time: `git_libgit2_init` costs ≈ 3 ms because
/// Debian's mbedTLS build parses the system CA bundle, and most mlgate commands never touch git.
private let libgit2InitResult: Int32 = git_libgit2_init()

/// An open git repository; the only owner of a `git_repository *` (freed on deinit).
///
/// Every value it returns is copied out of libgit2 into Swift types, so nothing outlives the C object.
public final class GitRepository {
    let raw: OpaquePointer

    private init(raw: OpaquePointer) { self.raw = raw }

    deinit { git_repository_free(raw) }

    /// Opens the repository containing `path`, the way git's own hooks see it.
    ///
    /// Uses `GIT_REPOSITORY_OPEN_FROM_ENV`, so `GIT_DIR` and `GIT_INDEX_FILE` are honoured (inside a hook
    /// run by `git commit -a`, git points `GIT_INDEX_FILE` at `index.lock`). libgit2 1.5 refuses that flag
    /// when `GIT_WORK_TREE` or `GIT_COMMON_DIR` is set, so then the repository is opened from `GIT_DIR`
    /// (or discovered from `path`) and the work tree and index are set by hand.
    public static func open(at path: String) throws(GitError) -> GitRepository {
        try check(libgit2InitResult, "git_libgit2_init")
        let environment = ProcessInfo.processInfo.environment
        let workTree = environment["GIT_WORK_TREE"]
        var raw: OpaquePointer?
        let code: Int32
        if workTree != nil || environment["GIT_COMMON_DIR"] != nil {
            if let gitDir = environment["GIT_DIR"] {
                code = git_repository_open_ext(&raw, gitDir, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
            } else {
                code = git_repository_open_ext(&raw, path, 0, nil)
            }
        } else {
            code = git_repository_open_ext(&raw, path, GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, nil)
        }
        guard code == 0, let raw else { throw openError(code, path: path) }
        let repository = GitRepository(raw: raw)
        if let workTree {
            let absolute = workTree.hasPrefix("/") ? workTree : FileManager.default.currentDirectoryPath + "/" + workTree
            try check(git_repository_set_workdir(raw, absolute, 0), "git_repository_set_workdir")
            if let indexFile = environment["GIT_INDEX_FILE"] {
                var index: OpaquePointer?
                try check(git_index_open(&index, indexFile), "git_index_open")
                defer { git_index_free(index) }
                try check(git_repository_set_index(raw, index), "git_repository_set_index")
            }
        }
        return repository
    }

    private static func openError(_ code: Int32, path: String) -> GitError {
        var error = GitError.last(code, "git_repository_open_ext")
        if error.message.contains("objectformat") {
            error.reason = .unsupportedObjectFormat
        } else if code == GIT_EOWNER.rawValue || error.message.contains("safe.directory") {
            error.reason = .unsafeOwnership(path: path)
        } else if code == GIT_ENOTFOUND.rawValue {
            error.reason = .notARepository(path: path)
        }
        return error
    }

    // MARK: Layout

    /// This worktree's git directory (`.git`, or `.git/worktrees/<name>` in a linked worktree), no trailing slash.
    public var gitDirectory: String { Self.trimmed(git_repository_path(raw)) ?? "" }

    /// The directory shared by all worktrees (`.git` of the main worktree), no trailing slash.
    public var commonDirectory: String { Self.trimmed(git_repository_commondir(raw)) ?? gitDirectory }

    /// This worktree's root, or nil for a bare repository.
    public var workingDirectory: String? { Self.trimmed(git_repository_workdir(raw)) }

    /// True inside a linked worktree (`git worktree add`).
    public var isLinkedWorktree: Bool { git_repository_is_worktree(raw) == 1 }

    /// True in a shallow clone.
    public var isShallow: Bool { git_repository_is_shallow(raw) == 1 }

    /// The main worktree's root, shared by every linked worktree; mlgate keeps `.mlgate/` there.
    public func mainWorktreeRoot() throws(GitError) -> String {
        let common = commonDirectory
        if !isLinkedWorktree, let workingDirectory { return workingDirectory }
        if common.hasSuffix("/.git") { return String(common.dropLast(5)) }
        let main = try GitRepository.openExactly(common)
        guard let root = main.workingDirectory else { throw GitError(reason: .bareRepository) }
        return root
    }

    private static func openExactly(_ gitDirectory: String) throws(GitError) -> GitRepository {
        var raw: OpaquePointer?
        let code = git_repository_open_ext(&raw, gitDirectory, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        guard code == 0, let raw else { throw openError(code, path: gitDirectory) }
        return GitRepository(raw: raw)
    }

    private static func trimmed(_ text: UnsafePointer<CChar>?) -> String? {
        guard let text else { return nil }
        var path = String(cString: text)
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    // MARK: HEAD and refs

    /// Where HEAD points.
    public func head() throws(GitError) -> Head {
        var reference: OpaquePointer?
        try check(git_reference_lookup(&reference, raw, "HEAD"), "git_reference_lookup")
        defer { git_reference_free(reference) }
        if git_reference_type(reference) == GIT_REFERENCE_SYMBOLIC {
            guard let target = git_reference_symbolic_target(reference) else {
                throw GitError(reason: .other, message: "HEAD has no target", function: "git_reference_symbolic_target")
            }
            let name = String(cString: target)
            let branch = name.hasPrefix("refs/heads/") ? String(name.dropFirst(11)) : name
            var oid = git_oid()
            let code = git_reference_name_to_id(&oid, raw, name)
            if code == GIT_ENOTFOUND.rawValue { return .unborn(branch: branch) }
            try check(code, "git_reference_name_to_id")
            return .branch(name: branch, commit: Self.commitID(oid))
        }
        guard let target = git_reference_target(reference) else {
            throw GitError(reason: .other, message: "HEAD points at nothing", function: "git_reference_target")
        }
        return .detached(Self.commitID(target.pointee))
    }

    /// Every local branch and the commit it points at, sorted by name.
    public func localBranches() throws(GitError) -> [(name: String, commit: CommitID)] {
        var iterator: OpaquePointer?
        try check(git_branch_iterator_new(&iterator, raw, GIT_BRANCH_LOCAL), "git_branch_iterator_new")
        defer { git_branch_iterator_free(iterator) }
        var branches: [(name: String, commit: CommitID)] = []
        while true {
            var reference: OpaquePointer?
            var type = GIT_BRANCH_LOCAL
            let code = git_branch_next(&reference, &type, iterator)
            if code == GIT_ITEROVER.rawValue { break }
            try check(code, "git_branch_next")
            defer { git_reference_free(reference) }
            var namePointer: UnsafePointer<CChar>?
            try check(git_branch_name(&namePointer, reference), "git_branch_name")
            guard let namePointer, let target = git_reference_target(reference) else { continue }
            branches.append((String(cString: namePointer), Self.commitID(target.pointee)))
        }
        return branches.sorted { $0.name < $1.name }
    }

    /// Resolves a revision (`HEAD~2`, `main`, an id prefix) to the commit it names.
    public func resolve(_ revision: String) throws(GitError) -> CommitID {
        var object: OpaquePointer?
        let code = git_revparse_single(&object, raw, revision)
        guard code == 0 else {
            var error = GitError.last(code, "git_revparse_single")
            if code == GIT_ENOTFOUND.rawValue || code == GIT_EAMBIGUOUS.rawValue || code == GIT_EINVALIDSPEC.rawValue {
                error.reason = .notFound(what: "revision '\(revision)'")
            }
            throw error
        }
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        let peeled = git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
        guard peeled == 0 else {
            var error = GitError.last(peeled, "git_object_peel")
            error.reason = .notFound(what: "commit for revision '\(revision)'")
            throw error
        }
        defer { git_object_free(commit) }
        return Self.commitID(git_object_id(commit).pointee)
    }

    // MARK: Commits

    /// The facts of a commit, or nil when the repository does not have it (beyond a shallow boundary).
    ///
    /// - Parameter projects: path prefixes to check; a project is "touched" when its subtree differs
    ///   from the first parent's (or exists at all, for a root commit). Compared by tree-entry id, so
    ///   the cost is a few lookups per project, not a diff.
    public func commitFacts(_ id: CommitID, projects: [ProjectSpec] = []) throws(GitError) -> CommitFacts? {
        var oid = try Self.oid(id)
        var commit: OpaquePointer?
        let code = git_commit_lookup(&commit, raw, &oid)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_commit_lookup")
        defer { git_commit_free(commit) }

        var parents: [CommitID] = []
        var parentsMissing = false
        for index in 0..<git_commit_parentcount(commit) {
            guard let parent = git_commit_parent_id(commit, index) else { continue }
            parents.append(Self.commitID(parent.pointee))
            if !parentsMissing, !contains(parent) { parentsMissing = true }
        }
        guard let tree = git_commit_tree_id(commit), let author = git_commit_author(commit),
              let committer = git_commit_committer(commit)
        else { throw GitError(reason: .other, message: "commit \(id) is missing a field", function: "git_commit_lookup") }

        return CommitFacts(
            id: id,
            parents: parents,
            tree: Self.commitID(tree.pointee),
            author: Self.signature(author.pointee),
            committer: Self.signature(committer.pointee),
            subject: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            projects: projects.isEmpty ? [] : try touchedProjects(commit, projects: projects, parentsMissing: parentsMissing),
            parentsMissing: parentsMissing
        )
    }

    private func contains(_ oid: UnsafePointer<git_oid>) -> Bool {
        var database: OpaquePointer?
        guard git_repository_odb(&database, raw) == 0 else { return false }
        defer { git_odb_free(database) }
        return git_odb_exists(database, oid) == 1
    }

    private func touchedProjects(_ commit: OpaquePointer?, projects: [ProjectSpec], parentsMissing: Bool) throws(GitError) -> [String] {
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "git_commit_tree")
        defer { git_tree_free(tree) }
        var parentTree: OpaquePointer?
        if git_commit_parentcount(commit) > 0, !parentsMissing {
            var parent: OpaquePointer?
            try check(git_commit_parent(&parent, commit, 0), "git_commit_parent")
            defer { git_commit_free(parent) }
            try check(git_commit_tree(&parentTree, parent), "git_commit_tree")
        }
        defer { if let parentTree { git_tree_free(parentTree) } }
        return projects.filter { project in
            entryID(in: tree, path: project.path) != entryID(in: parentTree, path: project.path)
        }.map(\.name)
    }

    /// Which of `paths` (files or folders, repository-relative) commit `id` changed against its first parent
    /// (all that exist, for a root commit or one whose parent is missing).
    public func changedPaths(_ id: CommitID, among paths: [String]) throws(GitError) -> [String] {
        try withTree(of: id) { (commit, tree) in
            var parentTree: OpaquePointer?
            var parent: OpaquePointer?
            if git_commit_parentcount(commit) > 0, git_commit_parent(&parent, commit, 0) == 0 {
                _ = git_commit_tree(&parentTree, parent)
                git_commit_free(parent)
            }
            defer { if let parentTree { git_tree_free(parentTree) } }
            return paths.filter { entryID(in: tree, path: $0) != entryID(in: parentTree, path: $0) }
        }
    }

    /// Calls `body` with commit `id` and its tree, freeing both afterwards.
    private func withTree<T>(of id: CommitID, _ body: (OpaquePointer?, OpaquePointer?) throws(GitError) -> T) throws(GitError) -> T {
        var oid = try Self.oid(id)
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, raw, &oid), "git_commit_lookup")
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "git_commit_tree")
        defer { git_tree_free(tree) }
        return try body(commit, tree)
    }

    /// The commits reachable from `tip` but not from `hidden` commits or from refs matching `hiddenGlob`
    /// (`refs/remotes/origin/*`), newest first, at most `limit`.
    public func commits(from tip: CommitID, hiding hidden: [CommitID], hidingRefs hiddenGlob: String?, limit: Int) throws(GitError) -> [CommitID] {
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, raw), "git_revwalk_new")
        defer { git_revwalk_free(walker) }
        var start = try Self.oid(tip)
        try check(git_revwalk_push(walker, &start), "git_revwalk_push")
        for id in hidden {
            var oid = try Self.oid(id)
            _ = git_revwalk_hide(walker, &oid)  // a remote tip this clone lacks hides nothing
        }
        if let hiddenGlob { _ = git_revwalk_hide_glob(walker, hiddenGlob) }
        var result: [CommitID] = []
        var next = git_oid()
        while result.count < limit, git_revwalk_next(&next, walker) == 0 { result.append(Self.commitID(next)) }
        return result
    }

    /// The text of the file at `path` in commit `id`, or nil when the commit has no such file.
    public func fileText(at id: CommitID, path: String) throws(GitError) -> String? {
        try withTree(of: id) { (_, tree) in
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, tree, path) == 0 else { return nil }
            defer { git_tree_entry_free(entry) }
            var blob: OpaquePointer?
            guard let entryOID = git_tree_entry_id(entry), git_blob_lookup(&blob, raw, entryOID) == 0 else { return nil }
            defer { git_blob_free(blob) }
            guard let content = git_blob_rawcontent(blob) else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: content, count: Int(git_blob_rawsize(blob))), as: UTF8.self)
        }
    }

    /// Writes the files of commit `id` into `directory` (created if needed), leaving the repository's index,
    /// HEAD and worktree untouched: a clean checkout for a worker to train in.
    public func export(_ id: CommitID, to directory: String) throws(GitError) {
        var oid = try Self.oid(id)
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, raw, &oid), "git_commit_lookup")
        defer { git_commit_free(commit) }
        var options = git_checkout_options()
        try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "git_checkout_options_init")
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
            | GIT_CHECKOUT_DONT_WRITE_INDEX.rawValue | GIT_CHECKOUT_RECREATE_MISSING.rawValue
        let code = directory.withCString { path in
            options.target_directory = path
            return git_checkout_tree(raw, commit, &options)
        }
        try check(code, "git_checkout_tree")
    }

    private func entryID(in tree: OpaquePointer?, path: String) -> CommitID? {
        guard let tree else { return nil }
        if path.isEmpty { return Self.commitID(git_tree_id(tree).pointee) }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, tree, path) == 0 else { return nil }
        defer { git_tree_entry_free(entry) }
        return git_tree_entry_id(entry).map { Self.commitID($0.pointee) }
    }

    // MARK: Config

    /// A config value as a string (repository, global and system config), or nil when unset.
    public func configString(_ key: String) throws(GitError) -> String? {
        var config: OpaquePointer?
        try check(git_repository_config_snapshot(&config, raw), "git_repository_config_snapshot")
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        let code = git_config_get_string(&value, config, key)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_config_get_string")
        return value.map { String(cString: $0) }
    }

    /// The uncommitted changes in the worktree against HEAD — tracked files (staged or not) and new files
    /// that are not ignored — as a patch, like `git diff HEAD` plus the new files; empty when clean.
    public func uncommittedChanges() throws(GitError) -> WorktreeChanges {
        var headTree: OpaquePointer?
        var object: OpaquePointer?
        if git_revparse_single(&object, raw, "HEAD^{tree}") == 0 { headTree = object }
        defer { git_object_free(object) }
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.flags = GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_DIFF_SHOW_UNTRACKED_CONTENT.rawValue | GIT_DIFF_SHOW_BINARY.rawValue
        var diff: OpaquePointer?
        try check(git_diff_tree_to_workdir_with_index(&diff, raw, headTree, &options), "git_diff_tree_to_workdir_with_index")
        defer { git_diff_free(diff) }
        let count = git_diff_num_deltas(diff)
        guard count > 0 else { return WorktreeChanges(patch: "", paths: []) }
        var paths: [String] = []
        for index in 0..<count {
            guard let delta = git_diff_get_delta(diff, index) else { continue }
            if let path = delta.pointee.new_file.path ?? delta.pointee.old_file.path { paths.append(String(cString: path)) }
        }
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try check(git_diff_to_buf(&buffer, diff, GIT_DIFF_FORMAT_PATCH), "git_diff_to_buf")
        guard let pointer = buffer.ptr else { return WorktreeChanges(patch: "", paths: paths) }
        return WorktreeChanges(patch: String(decoding: UnsafeRawBufferPointer(start: pointer, count: buffer.size), as: UTF8.self), paths: paths)
    }

    /// The directory git runs hooks from, as `git rev-parse --git-path hooks` resolves it: `core.hooksPath`
    /// (`~` expanded, relative to this worktree's root) when set, else the common directory's `hooks`.
    /// libgit2's own `GIT_REPOSITORY_ITEM_HOOKS` ignores `core.hooksPath`, so it is not used.
    public func hooksDirectory() throws(GitError) -> String {
        guard var configured = try configString("core.hooksPath"), !configured.isEmpty else {
            return commonDirectory + "/hooks"
        }
        if configured.hasPrefix("~/") {
            configured = (ProcessInfo.processInfo.environment["HOME"] ?? "") + configured.dropFirst(1)
        }
        if configured.hasPrefix("/") { return configured }
        return (workingDirectory ?? commonDirectory) + "/" + configured
    }

    // MARK: Conversions

    static func commitID(_ oid: git_oid) -> CommitID {
        withUnsafeBytes(of: oid.id) { CommitID(bytes: $0.prefix(Int(GIT_OID_RAWSZ))) }
    }

    static func oid(_ id: CommitID) throws(GitError) -> git_oid {
        var oid = git_oid()
        try check(git_oid_fromstrn(&oid, id.hex, id.hex.utf8.count), "git_oid_fromstrn")
        return oid
    }

    static func signature(_ signature: git_signature) -> Signature {
        Signature(
            name: signature.name.map { String(cString: $0) } ?? "",
            email: signature.email.map { String(cString: $0) } ?? "",
            time: Int64(signature.when.time),
            offsetMinutes: Int(signature.when.offset)
        )
    }
}

/// How a worktree differs from its HEAD commit (tracked and new files, not ignored ones).
public struct WorktreeChanges: Sendable, Equatable {
    /// The differences as a patch (`git diff` of HEAD against the worktree, new files included); empty when clean.
    public var patch: String
    /// The paths that differ, relative to the worktree's root.
    public var paths: [String]

    /// Creates changes.
    public init(patch: String, paths: [String]) {
        self.patch = patch
        self.paths = paths
    }

    /// Whether nothing differs.
    public var isEmpty: Bool { paths.isEmpty && patch.isEmpty }
}
