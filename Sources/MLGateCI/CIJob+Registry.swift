package import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateConfig
package import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// The registry in a CI job: fetched by refspec, artifacts pulled, the run noted in refs/notes/mlgate, and
/// everything published.
extension CIJob {
    /// Fetches the registry's tags and notes by refspec (no history), rebuilds the registry from them, and
    /// fetches the run cache and the champions' artifacts from the remote object store when one is set.
    package func fetchRegistry(_ registry: RegistryContext, remote: String, configuration: MLGateConfiguration) throws {
        let names = Set(configuration.models.map(\.name))
        let patterns = names.isEmpty ? ["refs/tags/*"] : names.sorted().flatMap { ["refs/tags/\($0)@*", "refs/tags/\($0)#*"] }
        // Ask the remote what exists first: fetching a pattern that matches nothing fails in a shallow clone.
        let listed = try git.run(["ls-remote", remote] + patterns + [GitRepository.registryNotesRef])
        guard listed.status == 0 else {
            throw EnvironmentError("could not read the registry's refs from '\(remote)' (git ls-remote exit \(listed.status)): \(secrets.redact(listed.output)). Check the job's access to the repository.")
        }
        let references = listed.output.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) }.filter { !$0.hasSuffix("^{}") }
        let tags = references.filter { $0.hasPrefix("refs/tags/") }
        if !tags.isEmpty { try git.fetch(remote: remote, refspecs: tags.map { "+\($0):\($0)" }) }
        if references.contains(GitRepository.registryNotesRef) {
            try git.fetch(remote: remote, refspecs: ["+\(GitRepository.registryNotesRef):refs/mlgate/remote-notes"])
            try GitRepository.open(at: workspace.root).mergeRegistryNotes(onto: "refs/mlgate/remote-notes")
        }
        let synced = try RegistrySync.run(registry)
        for rejection in synced.rejected { warn("refused registry tag \(rejection.name) from \(remote), left out: \(rejection.reason)") }
        result.refusedTags = synced.rejected.map(\.name)
        for note in synced.notes { say("note: \(note.name): \(note.reason)") }
        say("registry: \(synced.found) version\(synced.found == 1 ? "" : "s") from \(tags.count) tag\(tags.count == 1 ? "" : "s") on \(remote)"
            + (synced.stages.isEmpty ? "" : " (\(synced.stages.joined(separator: ", ")))"))
    }

    /// Objects the job needs: the run cache and mlgate.lock's outputs from the remote object store, and the
    /// `versions`' artifacts (the champions, or the version released) from there, or else from the git remote's
    /// `refs/mlgate/objects/` (`remote.artifacts_in_git`). A version whose artifact is nowhere stops the job
    /// (exit 3) with where it looked and the fix.
    package func pullObjects(_ registry: RegistryContext, configuration: MLGateConfiguration, versions: [ModelVersion], remote: String?) throws {
        let artifacts = Set(versions.map(\.artifact))
        if configuration.remote.objects != nil {
            let store = try RemoteObjects(workspace: workspace, override: nil)
            let pulled = try store.pull(into: workspace, store: registry.store, all: false, extra: artifacts)
            say("object store: \(pulled.fetched) objects and \(pulled.imported) run-cache entries from \(store.root)")
        }
        let inGit = try GitArtifacts(registry: registry)
        for version in versions where !registry.objects.contains(version.artifact) {
            if let remote, try inGit.fetch(version.artifact, remote: remote, git: git) {
                say("artifact of \(version.uri): fetched from \(remote) (\(GitArtifacts.reference(version.artifact)))")
                continue
            }
            var looked = [".mlgate/objects"]
            looked.append(configuration.remote.objects.map { "remote.objects (\($0))" } ?? "no remote.objects (not set)")
            if configuration.remote.artifactsInGit {
                looked.append(remote.map { "\($0)'s \(GitArtifacts.reference(version.artifact).prefix(32))… (not there)" } ?? "no git remote")
            } else {
                looked.append("not in git (remote.artifacts_in_git is false)")
            }
            throw EnvironmentError("the artifact of \(version.uri) (\(version.stage.map { "the champion in \($0)" } ?? "the version to release"), \(version.artifact.prefix(12))) is not on this runner: looked in \(looked.joined(separator: ", ")). Push it from the machine that registered it with 'mlgate models push' (artifacts travel in git unless remote.artifacts_in_git is false), set remote.objects to a shared folder, or cache .mlgate/objects between jobs; see docs/ci.md#artifacts.")
        }
    }

    /// On the default branch, writes the job's run and the pushed commits into `refs/notes/mlgate`, so they
    /// outlive the runner: one `ci-run` line on the commit built (its metrics, verdicts and link), and one
    /// `lineage` line on each commit pushed since the provider's previous commit that the hooks may have missed.
    package func recordInNotes(_ registry: RegistryContext, remote: String?) {
        guard let head = context.commit, let headID = CommitID(hex: head), let repository = try? GitRepository.open(at: workspace.root) else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let quoted = JSONText.quoted(orNull:)
        let metrics = (result.run.flatMap { try? registry.store.run($0) } ?? nil)?.metrics ?? [:]
        let run = JSONText.object([
            ("action", quoted("ci-run")), ("actor", quoted(context.actor)), ("at_ms", String(now)), ("branch", quoted(context.branch)),
            ("commit", quoted(head)), ("event", quoted(context.event.rawValue)), ("provider", quoted(context.provider.rawValue)),
            ("run", result.run.map(String.init) ?? "null"), ("run_url", quoted(context.runURL)),
            ("metrics", "{" + metrics.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\($0.value.isFinite ? String($0.value) : "null")" }.joined(separator: ",") + "}"),
            ("gates", "{" + result.models.map { "\(JSONText.quoted($0.model)):\($0.passed)" }.joined(separator: ",") + "}"),
        ])
        do {
            try repository.appendNote([secrets.redact(run)], to: headID)
            for commit in pushedCommits(remote: remote) where commit != head {
                guard let id = CommitID(hex: commit) else { continue }
                try repository.appendNote([JSONText.object([("action", quoted("lineage")), ("at_ms", String(now)), ("branch", quoted(context.branch)),
                                                  ("commit", quoted(commit)), ("provider", quoted(context.provider.rawValue)),
                                                  ("source", quoted("ci"))])], to: id)
            }
            result.changedRegistry = true
        } catch {
            warn("the run was not recorded in refs/notes/mlgate: \(error)")
        }
    }

    /// The commits a push brought (previous..HEAD, at most 500). In a shallow clone, history is deepened in
    /// steps of 50 commits, four times at most, until the previous commit is reached; past that only HEAD is
    /// recorded, with the provider's fix for full history.
    package func pushedCommits(remote: String?) -> [String] {
        guard let previous = context.previousCommit, let head = context.commit else { return [] }
        // Reachable through history, not merely present (a registry tag's fetch may have brought it alone).
        func present() -> Bool { (try? git.run(["merge-base", "--is-ancestor", previous, head]).status) == 0 }
        var deepened = 0
        while !present(), git.isShallow, let remote, let branch = context.branch, deepened < 4 {
            guard (try? git.run(["fetch", "--quiet", "--no-tags", "--deepen=50", remote, "+refs/heads/\(branch):refs/remotes/\(remote)/\(branch)"]).status) == 0 else { break }
            deepened += 1
        }
        guard present() else {
            warn("the commit before this push (\(previous.prefix(10))) is not within reach of this clone\(deepened > 0 ? " after deepening by \(deepened * 50) commits" : ""); lineage is recorded for \(head.prefix(10)) only. To record every pushed commit, \(context.provider.fullHistoryFix).")
            return []
        }
        if deepened > 0 { say("deepened the clone by \(deepened * 50) commits to reach \(previous.prefix(10))") }
        guard let listed = try? git.run(["rev-list", "--max-count=500", "\(previous)..\(head)"]), listed.status == 0 else { return [] }
        return listed.output.split(separator: "\n").map(String.init)
    }

    /// Pushes the objects, then the registry's tags and notes (fetch → merge → retry). What the job registered
    /// lives only on this runner until then, so a failure is exit 3 (after the reports are written).
    package func publish(_ registry: RegistryContext, remote: String, configuration: MLGateConfiguration) throws {
        // A version registered, promoted or deployed here exists nowhere else: failing to push it fails the job.
        // Notes alone (the run of a failed gate) are worth a warning, not a different exit code.
        let critical = result.models.contains { $0.registered != nil || !$0.stages.isEmpty || !$0.deployed.isEmpty }
        do {
            try push(registry, remote: remote, configuration: configuration)
        } catch where !critical {
            warn(secrets.redact(String(describing: error)))
        }
    }

    package func push(_ registry: RegistryContext, remote: String, configuration: MLGateConfiguration) throws {
        RegistryMirror.drain(registry)
        if let pending = try? registry.store.pendingMirrorEvents(), !pending.isEmpty {
            throw EnvironmentError("\(pending.count) registry change\(pending.count == 1 ? "" : "s") could not be written to git tags and notes (see the warnings above); nothing was pushed. Re-run the job.")
        }
        if configuration.remote.objects != nil {
            do {
                _ = try RemoteObjects(workspace: workspace, override: nil).push(from: workspace, store: registry.store)
            } catch {
                throw EnvironmentError("the objects were not copied to the remote object store: \(error). The registry was not pushed either, so no tag names an artifact the next job cannot find; re-run the job.")
            }
        }
        do {
            let pushed = try RegistryRemote.push(registry, remote: remote, transport: git)
            result.pushedTags = pushed.tags
            say("pushed \(pushed.tags) registry tag\(pushed.tags == 1 ? "" : "s") and refs/notes/mlgate to \(remote)")
        } catch {
            throw EnvironmentError("the registry was not pushed to \(remote): \(secrets.redact(String(describing: error))). Give the job's credentials the right to push tags and refs/notes/mlgate (docs/ci.md#pushing-the-registry), then re-run it.")
        }
    }
}
