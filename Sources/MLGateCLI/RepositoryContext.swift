import Foundation
import MLGateConfig
import MLGateCore
import MLGateGit
import MLGateSystem
import MLGateHooks
import MLGateStore

/// The repository a command runs in, and where mlgate keeps its files for it.
struct RepositoryContext {
    /// The open repository.
    let repository: GitRepository
    /// This worktree's root (where `mlgate.yaml` lives).
    let worktreeRoot: String
    /// `.mlgate/` at the main worktree's root, shared by all linked worktrees.
    let layout: StoreLayout

    /// Opens the repository containing the current directory.
    static func current() throws -> RepositoryContext {
        let here = FileManager.default.currentDirectoryPath
        let repository = try GitRepository.open(at: here)
        guard let worktreeRoot = repository.workingDirectory else { throw GitError(reason: .bareRepository) }
        return RepositoryContext(
            repository: repository,
            worktreeRoot: worktreeRoot,
            layout: StoreLayout(repositoryRoot: try repository.mainWorktreeRoot())
        )
    }

    /// `mlgate.yaml` in this worktree.
    var configPath: String { worktreeRoot + "/" + ConfigLoader.fileName }

    /// The validated configuration, or the defaults when there is no `mlgate.yaml`.
    func configuration() throws -> MLGateConfiguration {
        try ConfigLoader.load(path: configPath) ?? MLGateConfiguration()
    }

    /// Opens the store, creating `.mlgate/` and migrating as needed.
    func openStore() throws -> Store {
        try layout.create()
        return try Store(path: layout.database)
    }

    /// The lineage service over this repository, its store and its journal.
    func lineage() throws -> LineageService {
        LineageService(
            repository: repository,
            store: try openStore(),
            journal: LineageJournal(path: layout.journal),
            projects: try configuration().projects
        )
    }
}
