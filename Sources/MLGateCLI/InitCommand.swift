import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import ArgumentParser
import Foundation
import MLGateConfig
import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateHooks
import MLGateStore

/// `mlgate init`: set mlgate up in a repository, once; running it again changes nothing.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set mlgate up in this git repository (safe to run again).",
        discussion: """
            Writes a commented starter mlgate.yaml if there is none (never overwrites one), creates the \
            local store in .mlgate/ at the main worktree's root (shared by linked worktrees) and adds it \
            to .gitignore, installs the git hooks, and records the history that is already there.
            """
    )

    @Flag(help: "Print JSON (shape in docs/json.md).")
    var json = false

    struct Result: Encodable {
        var config: String
        var store: String
        var gitignore: String
        var hooks: [HookChange]
        var lineage: LineageService.Summary
        var changed: Bool
    }

    func run() throws {
        let context = try RepositoryContext.current()
        _ = try context.configuration()  // a malformed mlgate.yaml stops init before anything is written
        var result = Result(config: "kept", store: "existing", gitignore: "kept", hooks: [], lineage: .init(), changed: false)

        if !FileManager.default.fileExists(atPath: context.configPath) {
            try AtomicFile.write(StarterConfig.text, to: context.configPath, mode: 0o644, createFolders: true)
            result.config = "created"
        }
        if try context.layout.create() { result.store = "created" }
        if try GitignoreEntry.add(".mlgate/", to: context.worktreeRoot + "/.gitignore") { result.gitignore = "added" }
        let installer = HookInstaller(repository: context.repository, worktreeRoot: context.worktreeRoot, binary: try HooksCommand.executablePath())
        result.hooks = try installer.install(HookEvent.defaultSet)
        result.lineage = try context.lineage().reconcile()
        result.changed = result.config != "kept" || result.store != "existing" || result.gitignore != "kept"
            || result.hooks.contains(where: \.changed)

        if json {
            try Output.json(result)
            return
        }
        if let warning = context.layout.networkFilesystemWarning() { printError(warning) }
        guard result.changed else {
            print("mlgate is already set up here; nothing changed.")
            if result.lineage.backfilled + result.lineage.fromHooks > 0 {
                print("Recorded \(result.lineage.fromHooks + result.lineage.backfilled) new commit(s) in the lineage.")
            }
            return
        }
        print(result.config == "created" ? "wrote \(ConfigLoader.fileName) (a commented starter; edit it)" : "kept \(ConfigLoader.fileName)")
        print(result.store == "created" ? "created \(context.layout.directory)" : "store \(context.layout.directory) already there")
        if result.gitignore != "kept" { print("added .mlgate/ to .gitignore") }
        for change in result.hooks { print("hook \(change.event): \(change.action.sentence) (\(change.path))") }
        print("recorded \(result.lineage.backfilled) existing commit(s); see them with 'mlgate lineage'.")
        let toCommit = [result.config == "created" ? ConfigLoader.fileName : nil, result.gitignore == "added" ? ".gitignore" : nil].compactMap { $0 }
        if !toCommit.isEmpty {
            print("Next: commit \(toCommit.joined(separator: " and ")) (git add \(toCommit.joined(separator: " ")) && git commit -m 'Set up mlgate').")
        }
        print("After the first 'mlgate run', commit \(LockFile.fileName) too: it records what each stage ran with.")
    }
}

/// Adds a line to a `.gitignore` unless an equivalent line is there.
enum GitignoreEntry {
    /// Returns true when it added `entry`.
    static func add(_ entry: String, to path: String) throws -> Bool {
        let existing = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let bare = entry.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let present = existing.split(whereSeparator: \.isNewline).contains { line in
            [bare, "/" + bare, bare + "/", "/" + bare + "/"].contains(line.trimmingCharacters(in: .whitespaces))
        }
        if present { return false }
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try AtomicFile.write(existing + separator + entry + "\n", to: path, mode: 0o644, createFolders: true)
        return true
    }
}
