import Foundation
import MLGateConfig
package import MLGateCore
import MLGateGit
package import MLGateSystem
import MLGateHooks
package import MLGateStore

/// Where a pipeline runs: a worktree (or a worker's checkout), the store it records into, and its config.
///
/// Found from git's files without starting libgit2 (whose start-up costs more than a no-op run), which
/// is opened only when a run needs commit facts.
package struct Workspace {
    /// The folder holding `mlgate.yaml` and `mlgate.lock`; every stage path is relative to it.
    package let root: String
    /// `.mlgate/` of the repository.
    package let layout: StoreLayout

    /// Where the services working here report progress and warnings.
    package let reporter: any Reporter

    /// The workspace at `root`, keeping its state in `layout`, reporting to `reporter`.
    package init(root: String, layout: StoreLayout, reporter: any Reporter) {
        self.root = root
        self.layout = layout
        self.reporter = reporter
    }

    /// The worktree containing the current directory.
    package static func current(reporter: any Reporter) throws -> Workspace {
        var directory = Files.currentDirectory()
        if ProcessEnvironment.value("GIT_DIR") == nil, ProcessEnvironment.value("GIT_WORK_TREE") == nil {
            while true {
                if access(directory + "/.git", F_OK) == 0,
                   let files = HeadFiles(environment: nil, workingDirectory: directory), let main = files.mainWorktreeRoot {
                    return Workspace(root: directory, layout: StoreLayout(repositoryRoot: main), reporter: reporter)
                }
                guard let slash = directory.lastIndex(of: "/"), directory != "/" else { break }
                directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
            }
        }
        let context = try RepositoryContext.current()
        return Workspace(root: context.worktreeRoot, layout: context.layout, reporter: reporter)
    }

    /// A configuration file read instead of the worktree's `mlgate.yaml`, for the whole process: `mlgate ci`
    /// sets it to the base branch's file on a fork's pull request, before anything reads the configuration.
    nonisolated(unsafe) package static var configurationOverride: String?

    /// `mlgate.yaml` (or the override).
    package var configPath: String { Self.configurationOverride ?? root + "/" + ConfigLoader.fileName }
    /// `mlgate.lock`.
    package var lockPath: String { root + "/" + LockFile.fileName }
    /// The local object store.
    package var objects: ObjectStore { ObjectStore(root: layout.directory + "/objects") }
    /// Where run logs are written while a run is going.
    package var logDirectory: String { layout.directory + "/logs" }

    /// The validated configuration, or the defaults when there is no `mlgate.yaml`.
    package func configuration() throws -> MLGateConfiguration {
        try ConfigLoader.load(path: configPath) ?? MLGateConfiguration()
    }

    /// The pipeline in `mlgate.yaml`.
    package func pipeline() throws -> Pipeline {
        let configuration = try configuration()
        guard !configuration.stages.isEmpty else {
            throw UsageError("\(configPath) declares no stages; add a 'stages:' section (see docs/config.md#stages).")
        }
        return try Pipeline(stages: configuration.stages)
    }

    /// Opens the store, creating `.mlgate/` as needed.
    package func openStore() throws -> Store {
        try layout.create()
        return try Store(path: layout.database)
    }
}
