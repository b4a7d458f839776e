public import MLGateCore
import Yams

/// Reads `mlgate.yaml` into a validated `MLGateConfiguration`.
///
/// The YAML is composed into nodes (never `Yams.load`) and walked with caps on size, depth and node
/// count, so an alias bomb or a deeply nested file is refused in microseconds instead of exhausting memory.
/// Every refusal names the file, line and column.
public enum ConfigLoader {
    /// The file name mlgate reads at the repository root.
    public static let fileName = "mlgate.yaml"
    /// Largest accepted file.
    public static let maximumBytes = 1 << 20
    /// Deepest accepted nesting.
    public static let maximumDepth = 32
    /// Most nodes a file may expand to, counting every alias use.
    public static let maximumNodes = 100_000
    /// The top-level sections; those not read yet are accepted as they are (later features use them).
    public static let sections = ["version", "projects", "remote", "hooks", "stages", "models", "deploy", "endpoints", "ci", "notify", "executor", "monitor"]

    /// Loads the configuration at `path`, or returns nil when there is no such file.
    ///
    /// The file may be a symbolic link to another file in its folder's tree (the repository); one leading out
    /// of it is refused without opening the target. Its size is checked before anything is read.
    public static func load(path: String) throws(ConfigError) -> MLGateConfiguration? {
        let repository = RepositoryFile.folder(of: path)
        let purpose = RepositoryFile.Purpose(display: path, fix: "remove it to use the defaults")
        guard let text = try RepositoryFile.text(at: path, repository: repository, limit: maximumBytes, purpose: purpose) else { return nil }
        return try parse(text, file: path)
    }

    /// Parses configuration text; `file` is only used in error messages.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> MLGateConfiguration {
        guard text.utf8.count <= maximumBytes else {
            throw ConfigError(file: file, message: "this file is \(text.utf8.count) bytes; mlgate reads at most \(maximumBytes). Make it smaller.")
        }
        guard let root = try YAMLDocument.compose(text, file: file) else { return MLGateConfiguration() }
        return try ConfigReader(file: file).configuration(root)
    }
}
