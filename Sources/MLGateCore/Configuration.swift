/// The settings in `mlgate.yaml` that mlgate acts on, after validation.
public struct MLGateConfiguration: Hashable, Sendable {
    /// The file format version; only 1 exists.
    public var version: Int
    /// Named path prefixes for monorepos; a commit "touches" a project when it changes a path under it.
    public var projects: [ProjectSpec]
    /// How the git hooks behave.
    public var hooks: HookSettings

    /// Creates a configuration.
    public init(version: Int = 1, projects: [ProjectSpec] = [], hooks: HookSettings = HookSettings()) {
        self.version = version
        self.projects = projects
        self.hooks = hooks
    }
}

/// A named part of a monorepo.
public struct ProjectSpec: Hashable, Sendable {
    /// The project's name, as lineage shows it.
    public var name: String
    /// Its path prefix relative to the repository root, without leading or trailing slashes.
    public var path: String

    /// Creates a project.
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// The `hooks:` section.
public struct HookSettings: Hashable, Sendable {
    /// What `pre-push` does: warn (default), strict (block on a policy failure) or off.
    public var prePush: PrePushMode

    /// Creates hook settings.
    public init(prePush: PrePushMode = .warn) {
        self.prePush = prePush
    }
}

/// The `hooks.pre_push` modes.
public enum PrePushMode: String, Hashable, Sendable, CaseIterable {
    case warn, strict, off
}
