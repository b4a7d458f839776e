/// One stage of the pipeline declared under `stages:` in `mlgate.yaml`, after validation.
///
/// Every path is relative to the repository root, normalised (no `.`/`..`, no trailing slash), and
/// known to stay inside the repository; `isDirectory` says whether the config wrote it with a slash.
public struct StageSpec: Hashable, Sendable {
    /// The stage's name, as `mlgate run NAME` takes it.
    public var name: String
    /// What to run.
    public var command: StageCommand
    /// The directory the command runs in, relative to the repository root ("" for the root).
    public var workingDirectory: String
    /// Files and directories the stage reads; a change to any of them re-runs it.
    public var dependencies: [PathSpec]
    /// Parameter keys the stage reads, grouped by file.
    public var parameters: [ParameterSource]
    /// Files and directories the stage writes.
    public var outputs: [OutputSpec]
    /// Metric files (JSON or YAML) the stage writes: cached like outputs, and their numbers read into the run record.
    public var metrics: [PathSpec]
    /// Extra environment variables for the command, sorted by name.
    public var environmentVariables: [EnvironmentVariable]
    /// The environment specification the stage needs (requirements.txt, environment.yml or a lock file).
    public var environment: EnvironmentSpec?
    /// Run the stage every time, even when nothing it reads changed.
    public var alwaysChanged: Bool
    /// Never run the stage; its outputs are taken as they are.
    public var frozen: Bool

    /// Creates a stage.
    public init(name: String, command: StageCommand, workingDirectory: String = "", dependencies: [PathSpec] = [],
                parameters: [ParameterSource] = [], outputs: [OutputSpec] = [], metrics: [PathSpec] = [],
                environmentVariables: [EnvironmentVariable] = [], environment: EnvironmentSpec? = nil,
                alwaysChanged: Bool = false, frozen: Bool = false) {
        self.name = name
        self.command = command
        self.workingDirectory = workingDirectory
        self.dependencies = dependencies
        self.parameters = parameters
        self.outputs = outputs
        self.metrics = metrics
        self.environmentVariables = environmentVariables
        self.environment = environment
        self.alwaysChanged = alwaysChanged
        self.frozen = frozen
    }

    /// Every path the stage writes: its outputs, then its metric files.
    public var writtenPaths: [PathSpec] { outputs.map(\.path) + metrics }
}

/// How a stage's command runs.
public enum StageCommand: Hashable, Sendable {
    /// A string given to `/bin/sh -c`.
    case shell(String)
    /// An argument vector run directly, without a shell.
    case arguments([String])

    /// The command as one line, for logs, the lock file and trust prompts.
    public var display: String {
        switch self {
        case .shell(let text): text
        case .arguments(let words): words.map(Self.quotedIfNeeded).joined(separator: " ")
        }
    }

    /// The argument vector to execute.
    public var argv: [String] {
        switch self {
        case .shell(let text): ["/bin/sh", "-c", text]
        case .arguments(let words): words
        }
    }

    private static func quotedIfNeeded(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}

/// A repository-relative path, with whether the config named a directory (a trailing slash).
public struct PathSpec: Hashable, Sendable, Comparable {
    /// Normalised repository-relative path.
    public var path: String
    /// Whether the config wrote it as a directory.
    public var isDirectory: Bool

    /// Creates a path.
    public init(_ path: String, isDirectory: Bool = false) {
        self.path = path
        self.isDirectory = isDirectory
    }

    /// Whether `other` is this path or lies under it.
    public func contains(_ other: String) -> Bool {
        other == path || path.isEmpty || other.hasPrefix(path + "/")
    }

    /// Whether one of the two paths contains the other.
    public func overlaps(_ other: PathSpec) -> Bool { contains(other.path) || other.contains(path) }

    public static func < (a: PathSpec, b: PathSpec) -> Bool { a.path < b.path }
}

/// An output of a stage.
public struct OutputSpec: Hashable, Sendable {
    /// Where the stage writes it.
    public var path: PathSpec
    /// Whether it is stored in the object store (and so can be restored by the run cache).
    public var cache: Bool

    /// Creates an output.
    public init(path: PathSpec, cache: Bool = true) {
        self.path = path
        self.cache = cache
    }
}

/// Parameter keys a stage reads from one YAML or JSON file.
public struct ParameterSource: Hashable, Sendable {
    /// The file, repository-relative.
    public var file: String
    /// Dotted key paths into it (`train.learning_rate`); empty means every top-level key.
    public var keys: [String]

    /// Creates a parameter source.
    public init(file: String, keys: [String]) {
        self.file = file
        self.keys = keys
    }
}

/// One environment variable a stage sets for its command.
public struct EnvironmentVariable: Hashable, Sendable {
    /// The name.
    public var name: String
    /// The value.
    public var value: String

    /// Creates a variable.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The software environment a stage needs: a specification file mlgate hashes and checks, but never builds.
public struct EnvironmentSpec: Hashable, Sendable {
    /// The file (`requirements.txt`, `environment.yml`, `conda-lock.yml`, `requirements.lock`…), repository-relative.
    public var file: String
    /// What a mismatch between the pinned versions and the installed ones does.
    public var check: EnvironmentCheck

    /// Creates an environment specification.
    public init(file: String, check: EnvironmentCheck = .warn) {
        self.file = file
        self.check = check
    }
}

/// What happens when the installed packages differ from the versions an environment file pins.
public enum EnvironmentCheck: String, Hashable, Sendable, CaseIterable {
    /// Print a warning and run.
    case warn
    /// Refuse to run the stage.
    case strict
    /// Do not compare.
    case off
}
