/// `mlgate.lock`: what each stage last ran with and produced, committed beside the code (like `dvc.lock`).
///
/// A stage is up to date when its memo — a hash over its command, dependency hashes, parameter values,
/// environment file and declared outputs — equals the locked one and its outputs still hash to the
/// locked values. The text is deterministic (stages and entries sorted), so it diffs and merges cleanly.
public struct LockFile: Hashable, Sendable {
    /// The file name at the repository root.
    public static let fileName = "mlgate.lock"
    /// Each stage's entry, by stage name.
    public var stages: [String: StageLock]

    /// Creates a lock file.
    public init(stages: [String: StageLock] = [:]) { self.stages = stages }

    /// The file's text: YAML whose values are JSON literals, so any YAML or JSON tool reads it.
    public var text: String {
        var lines = [
            "# mlgate.lock: written by 'mlgate run'. Commit it with the code; do not edit it by hand.",
            "version: 1",
            stages.isEmpty ? "stages: {}" : "stages:",
        ]
        for name in stages.keys.sorted() {
            guard let stage = stages[name] else { continue }
            lines.append("  \(JSONText.quoted(name)):")
            lines.append("    cmd: \(JSONText.quoted(stage.command))")
            lines.append("    memo: \(JSONText.quoted(stage.memo))")
            lines.append(list("deps", stage.dependencies.map { "{path: \(JSONText.quoted($0.path)), sha256: \(JSONText.quoted($0.hash))}" }))
            if !stage.parameters.isEmpty {
                lines.append(list("params", stage.parameters.map {
                    "{file: \(JSONText.quoted($0.file)), key: \(JSONText.quoted($0.key)), value: \($0.json)}"
                }))
            }
            if let environment = stage.environment {
                lines.append("    environment: {path: \(JSONText.quoted(environment.path)), sha256: \(JSONText.quoted(environment.hash))}")
            }
            lines.append(list("outs", stage.outputs.map {
                "{path: \(JSONText.quoted($0.path)), sha256: \(JSONText.quoted($0.hash)), cache: \($0.cache)}"
            }))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func list(_ key: String, _ items: [String]) -> String {
        items.isEmpty ? "    \(key): []" : "    \(key):\n" + items.map { "      - \($0)" }.joined(separator: "\n")
    }
}

/// One stage's entry in `mlgate.lock`.
public struct StageLock: Hashable, Sendable {
    /// The command as one line.
    public var command: String
    /// The memo the stage ran with.
    public var memo: String
    /// Dependency hashes, sorted by path.
    public var dependencies: [HashedPath]
    /// Parameter values, sorted by file and key.
    public var parameters: [ParameterValue]
    /// The environment file's hash, when the stage names one.
    public var environment: HashedPath?
    /// Output (and metric file) hashes, in declaration order.
    public var outputs: [LockedOutput]

    /// Creates an entry.
    public init(command: String, memo: String, dependencies: [HashedPath], parameters: [ParameterValue],
                environment: HashedPath?, outputs: [LockedOutput]) {
        self.command = command
        self.memo = memo
        self.dependencies = dependencies
        self.parameters = parameters
        self.environment = environment
        self.outputs = outputs
    }
}

/// A path and the SHA-256 of its content (for a directory, of its manifest).
public struct HashedPath: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey { case path, hash = "sha256" }

    /// Repository-relative path.
    public var path: String
    /// Lowercase hex SHA-256.
    public var hash: String

    /// Creates a hashed path.
    public init(path: String, hash: String) {
        self.path = path
        self.hash = hash
    }
}

/// An output's path, hash and whether the object store keeps it.
public struct LockedOutput: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey { case path, hash = "sha256", cache, isDirectory = "is_directory" }

    /// Repository-relative path.
    public var path: String
    /// Lowercase hex SHA-256 (of the manifest for a directory).
    public var hash: String
    /// Whether the content is in the object store.
    public var cache: Bool
    /// Whether it is a directory.
    public var isDirectory: Bool

    /// Creates a locked output.
    public init(path: String, hash: String, cache: Bool, isDirectory: Bool) {
        self.path = path
        self.hash = hash
        self.cache = cache
        self.isDirectory = isDirectory
    }
}

/// One parameter's value as canonical JSON (sorted keys, shortest numbers), so equal values compare equal.
public struct ParameterValue: Hashable, Sendable, Codable {
    /// The file it came from.
    public var file: String
    /// The dotted key.
    public var key: String
    /// The value as canonical JSON text.
    public var json: String

    /// Creates a value.
    public init(file: String, key: String, json: String) {
        self.file = file
        self.key = key
        self.json = json
    }
}

/// The canonical text a stage's memo hashes: everything that decides what the stage produces.
public enum StageMemo {
    /// One line per fact, in a fixed order; the caller hashes it with SHA-256.
    public static func text(stage: StageSpec, dependencies: [HashedPath], parameters: [ParameterValue],
                            environment: HashedPath?) -> String {
        var lines = ["mlgate-memo 1", "cmd \(JSONText.quoted(stage.command.display))",
                     "shell \(stage.command.argv.first == "/bin/sh" && stage.command.argv.count == 3)",
                     "wdir \(JSONText.quoted(stage.workingDirectory))"]
        lines += dependencies.map { "dep \(JSONText.quoted($0.path)) \($0.hash)" }
        lines += parameters.map { "param \(JSONText.quoted($0.file)) \(JSONText.quoted($0.key)) \($0.json)" }
        lines += stage.environmentVariables.map { "env \(JSONText.quoted($0.name)) \(JSONText.quoted($0.value))" }
        if let environment { lines.append("environment \(JSONText.quoted(environment.path)) \(environment.hash)") }
        lines += stage.outputs.map { "out \(JSONText.quoted($0.path.path)) \($0.path.isDirectory) \($0.cache)" }
        lines += stage.metrics.map { "metric \(JSONText.quoted($0.path))" }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The canonical text of what a pipeline would execute — each stage's argv, working directory and
/// environment variables — whose hash `mlgate trust` approves. Changing any byte of a command needs a new approval.
public enum CommandTrust {
    /// One block per stage, sorted by name.
    public static func text(_ stages: [StageSpec]) -> String {
        var lines = ["mlgate-trust 1"]
        for stage in stages.sorted(by: { $0.name < $1.name }) {
            lines.append("stage \(JSONText.quoted(stage.name))")
            lines.append("argv [" + stage.command.argv.map(JSONText.quoted).joined(separator: ",") + "]")
            lines.append("wdir \(JSONText.quoted(stage.workingDirectory))")
            lines += stage.environmentVariables.map { "env \(JSONText.quoted($0.name))=\(JSONText.quoted($0.value))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
