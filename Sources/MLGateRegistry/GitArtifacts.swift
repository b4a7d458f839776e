import Foundation
import MLGateCore
package import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// Registered artifacts carried in the git remote (`remote.artifacts_in_git`, on by default), so the first pull
/// request on a fresh CI runner finds the champion with nothing but the repository: the registry push writes the
/// objects of each version a job may need (`travelling()`) as a tree under `refs/mlgate/objects/<hash>` and pushes it beside the tags; a job
/// missing an artifact fetches exactly that ref and imports its files into `.mlgate/objects`, each checked against
/// its SHA-256. Artifacts larger than `remote.artifacts_in_git_max_mb` stay out, with a warning that says so.
package struct GitArtifacts {
    let registry: RegistryContext
    let settings: RemoteSettings

    /// For `registry`, with its configuration's `remote:` settings.
    package init(registry: RegistryContext) throws {
        self.registry = registry
        settings = try registry.workspace.configuration().remote
    }

    /// The ref artifact `hash` travels under.
    package static func reference(_ hash: String) -> String { GitRepository.artifactRefPrefix + hash }

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

    /// The versions whose artifacts travel: those a job may need — every version in a lifecycle stage or under an
    /// alias (champions, candidates), and each model's newest active version (what a release job releases) — not
    /// every version ever registered, so the remote does not grow with archived history.
    func travelling() throws -> [ModelVersion] {
        let active = try registry.store.versions(model: nil).filter { $0.status == "active" }
        var newest: [String: Int] = [:]
        for version in active { newest[version.model] = max(newest[version.model] ?? 0, version.version) }
        return active.filter { $0.stage != nil || !$0.aliases.isEmpty || newest[$0.model] == $0.version }
    }

    /// Writes the ref of each travelling version's artifact that is here and within the size limit; returns the
    /// refs to push and a warning for each artifact left out.
    func prepare() throws -> (references: [String], warnings: [String]) {
        guard settings.artifactsInGit else { return ([], []) }
        let repository = try GitRepository.open(at: registry.workspace.root)
        var references: [String] = []
        var warnings: [String] = []
        var seen = Set<String>()
        for version in try travelling() where seen.insert(version.artifact).inserted {
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
    package func fetch(_ hash: String, remote: String, git: GitCommandLine) throws -> Bool {
        guard settings.artifactsInGit, ContentDigest.isWellFormed(hash) else { return false }
        let reference = Self.reference(hash)
        let listed = try git.run(["ls-remote", remote, reference])
        guard listed.status == 0 else {
            throw EnvironmentError("could not ask '\(remote)' for \(reference) (git ls-remote exit \(listed.status)): \(listed.output.split(separator: "\n").last ?? ""). Check the job's access to the repository.")
        }
        guard listed.output.contains(reference) else { return false }
        try git.fetch(remote: remote, refspecs: ["+\(reference):\(reference)"])
        try importTree(reference, artifact: hash)
        return try objects(of: hash) != nil
    }

    /// Imports artifact `artifact` from the tree at `reference` into the local object store: the artifact, then for
    /// a folder the files its manifest lists — nothing else the tree may hold — each checked against its name.
    func importTree(_ reference: String, artifact: String) throws {
        let repository = try GitRepository.open(at: registry.workspace.root)
        try registry.objects.prepare()
        func take(_ wanted: Set<String>) throws {
            try repository.readArtifactTree(reference, wanted: { wanted.contains($0) && !registry.objects.contains($0) }) { name, bytes in
                let found = ContentHash.of(bytes)
                guard found == name else { throw ObjectStoreError.corrupt(hash: name, path: reference, found: found) }
                try registry.objects.put(bytes: Array(bytes))
            }
        }
        try take([artifact])
        if registry.objects.contains(artifact), let tree = try registry.objects.tree(artifact) { try take(Set(tree.entries.map(\.hash))) }
    }
}
