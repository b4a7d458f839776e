import Foundation
import MLGateConfig
package import MLGateCore
package import MLGateGit
package import MLGateSystem
import MLGateHooks
package import MLGateStore

/// The repository a command runs in, and where mlgate keeps its files for it.
package struct RepositoryContext {
    /// The open repository.
    package let repository: GitRepository
    /// This worktree's root (where `mlgate.yaml` lives).
    package let worktreeRoot: String
    /// `.mlgate/` at the main worktree's root, shared by all linked worktrees.
    package let layout: StoreLayout

    /// Opens the repository containing the current directory.
    package static func current() throws -> RepositoryContext {
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
    package var configPath: String { worktreeRoot + "/" + ConfigLoader.fileName }

    /// The validated configuration, or the defaults when there is no `mlgate.yaml`.
    package func configuration() throws -> MLGateConfiguration {
        try ConfigLoader.load(path: configPath) ?? MLGateConfiguration()
    }

    /// Opens the store, creating `.mlgate/` and migrating as needed.
    package func openStore() throws -> Store {
        try layout.create()
        return try Store(path: layout.database)
    }
}
