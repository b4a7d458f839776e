import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// `mlgate models sync`.
struct ModelsSyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Rebuild the registry index from git: registration and stage tags (GTO's grammar).",
        discussion: """
            Every registration is also an annotated tag NAME@vN.0.0 on the version's commit, and every stage \
            move a tag NAME#STAGE#K, with one JSON line per event in refs/notes/mlgate. In a fresh clone or a \
            CI job (fetch the tags, and the notes with 'git fetch origin refs/notes/mlgate:refs/notes/mlgate'), \
            this command brings those versions and their stages into the local store, so 'mlgate gate' knows \
            the champion without the SQLite file. Artifacts come from the object store ('mlgate pull').
            """)

    func run() throws {
        let registry = try RegistryContext.current()
        RegistryMirror.drain(registry)
        let result = try RegistrySync.run(registry)
        print("synced \(result.found) versions from git (\(result.added) new)" + (result.stages.isEmpty ? "." : "; stages: " + result.stages.joined(separator: ", ") + "."))
        for note in result.notes { printError("note: \(note.name): \(note.reason)") }
        guard !result.rejected.isEmpty else { return }
        for rejection in result.rejected { printError("refused refs/tags/\(rejection.name): \(rejection.reason)") }
        throw RegistryError(.refused, "\(result.rejected.count) registry tag\(result.rejected.count == 1 ? " was" : "s were") refused and left out (above); nothing of \(result.rejected.count == 1 ? "it" : "them") was imported. docs/registry.md#trust explains what a tag must satisfy.")
    }
}

/// `mlgate models push`.
struct ModelsPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push the registry's tags and notes to the git remote (fetch, merge, retry; never forced).",
        discussion: """
            Sends the registration and stage tags, and refs/notes/mlgate, to the remote named by --remote or \
            'remote.git' in mlgate.yaml (default origin). The remote's notes are fetched and merged line by \
            line first, and the push is retried when another writer pushed in between. When 'remote.git' is \
            set, every registry command pushes after its change. A version number is final once its tag is on \
            the remote: a local version whose number the remote already holds is renumbered past it first.
            """)

    @Option(help: "The git remote (default: remote.git in mlgate.yaml, else origin).")
    var remote: String?

    func run() throws {
        let registry = try RegistryContext.current()
        RegistryMirror.drain(registry)
        let name = try remote ?? registry.workspace.configuration().remote.git ?? "origin"
        let result = try RegistryRemote.push(registry, remote: name, transport: RegistryRemote.transport(for: registry))
        print("pushed \(result.tags) tag\(result.tags == 1 ? "" : "s") and the registry notes to \(name)\(result.attempts > 1 ? " (after \(result.attempts) attempts)" : "").")
    }
}
