import Foundation
import MLGateCore
import MLGateGit
import MLGateStore

/// Registered artifacts carried in the git remote (`remote.artifacts_in_git`, on by default), so the first pull
/// request on a fresh CI runner finds the champion with nothing but the repository: the registry push writes each
/// registered version's objects as a tree under `refs/mlgate/objects/<hash>` and pushes it beside the tags; a job
/// missing an artifact fetches exactly that ref and imports its files into `.mlgate/objects`, each checked against
/// its SHA-256. Artifacts larger than `remote.artifacts_in_git_max_mb` stay out, with a warning that says so.
struct GitArtifacts {
    let registry: RegistryContext
    let settings: RemoteSettings

    /// For `registry`, with its configuration's `remote:` settings.
    init(registry: RegistryContext) throws {
        self.registry = registry
        settings = try registry.workspace.configuration().remote
    }

    /// The ref artifact `hash` travels under.
    static func reference(_ hash: String) -> String { GitRepository.artifactRefPrefix + hash }

    /// The object files of `artifact` in the local store (the artifact, and for a folder every file it lists), with
    /// their total size; nil when one of them is not here.
    func objects(of artifact: String) throws -> (files: [(name: String, path: String)], bytes: Int64)? {
        let store = registry.objects
        guard store.contains(artifact) else { return nil }
        var hashes = [artifact]
        if let tree = try store.tree(artifact) { hashes += tree.entries.map(\.hash) }
        var files: [(name: String, path: String)] = []
        var bytes: Int64 = 0
        for hash in Set(hashes).sorted() {
            guard store.contains(hash) else { return nil }
            files.append((hash, store.path(of: hash)))
            bytes += store.size(of: hash)
        }
        return (files, bytes)
    }

    /// Writes the ref of every registered, not deleted version's artifact that is here and within the size limit;
    /// returns the refs to push and a warning for each artifact left out.
    func prepare() throws -> (references: [String], warnings: [String]) {
        guard settings.artifactsInGit else { return ([], []) }
        let repository = try GitRepository.open(at: registry.workspace.root)
        var references: [String] = []
        var warnings: [String] = []
        var seen = Set<String>()
        for version in try registry.store.versions(model: nil) where seen.insert(version.artifact).inserted {
            guard let found = try objects(of: version.artifact) else { continue }
            guard found.bytes <= settings.artifactsInGitMaxBytes else {
                warnings.append("the artifact of \(version.uri) is \(found.bytes >> 20) MB, over remote.artifacts_in_git_max_mb (\(settings.artifactsInGitMaxBytes >> 20)); it does not travel in git. Set remote.objects to a shared folder (docs/ci.md#artifacts), or raise the limit.")
                continue
            }
            let reference = Self.reference(version.artifact)
            try repository.storeArtifactTree(reference, files: found.files)
            references.append(reference)
        }
        return (references, warnings)
    }

    /// Fetches artifact `hash` from `remote` through `git` and imports its files; returns false when the remote
    /// does not carry it. A file whose content does not hash to its name is refused (nothing of it is kept).
    func fetch(_ hash: String, remote: String, git: GitCommandLine) throws -> Bool {
        guard settings.artifactsInGit, ContentDigest.isWellFormed(hash) else { return false }
        let reference = Self.reference(hash)
        let listed = try git.run(["ls-remote", remote, reference])
        guard listed.status == 0, listed.output.contains(reference) else { return false }
        try git.fetch(remote: remote, refspecs: ["+\(reference):\(reference)"])
        try importTree(reference, artifact: hash)
        return registry.objects.contains(hash)
    }

    /// Imports the files of the tree at `reference` into the local object store, each checked against its name.
    func importTree(_ reference: String, artifact: String) throws {
        let repository = try GitRepository.open(at: registry.workspace.root)
        try registry.objects.prepare()
        try repository.readArtifactTree(reference) { name, bytes in
            guard ContentDigest.isWellFormed(name) else {
                throw EnvironmentError("\(reference) holds '\(name.prefix(80))', which is not an object hash; it was not written by mlgate.")
            }
            guard !registry.objects.contains(name) else { return }
            let found = ContentHash.of(bytes)
            guard found == name else { throw ObjectStoreError.corrupt(hash: name, path: reference, found: found) }
            try registry.objects.put(bytes: Array(bytes))
        }
    }
}
