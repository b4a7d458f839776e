import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateStore

/// Creates registry tags: with libgit2, or signed by the `git` program when the team requires signed tags
/// (`ci.require_signed_tags`) or git is set to sign every tag (`tag.gpgSign`); libgit2 cannot sign.
package struct TagSigner {
    let signs: Bool
    let git: GitCommandLine

    init(registry: RegistryContext) {
        let required = (try? registry.workspace.configuration())?.ci.requireSignedTags == true
        let configured = ((try? GitRepository.open(at: registry.workspace.root).configString("tag.gpgSign")) ?? nil)?.lowercased() == "true"
        signs = required || configured
        git = GitCommandLine(directory: registry.workspace.root)
    }

    /// Creates annotated (signed, when asked) tag `name` on `commit`; an existing tag is never moved.
    func createTag(_ name: String, on commit: CommitID, message: String, repository: GitRepository) throws {
        guard signs else { return _ = try repository.createTag(name, on: commit, message: message) }
        guard repository.target(of: "refs/tags/" + name) == nil else { return }
        let result = try git.run(["tag", "-s", "-m", message, name, commit.hex])
        guard result.status == 0 else {
            throw EnvironmentError("git could not sign the tag \(name) (exit \(result.status)): \(result.output.split(separator: "\n").last ?? ""). Set user.signingkey (and gpg.format ssh for an SSH key), or turn off ci.require_signed_tags.")
        }
    }

    /// Whether `name`'s signature is good and its key trusted (`git verify-tag`), with git's reason when not.
    func verify(_ name: String) -> SignatureCheck {
        guard let result = try? git.run(["verify-tag", "refs/tags/" + name]) else { return .unverified("git could not be run") }
        if result.status == 0 { return .verified }
        let reason = result.output.split(separator: "\n").last.map(String.init) ?? "git verify-tag exited \(result.status)"
        return .unverified(reason)
    }
}
