public import MLGateCore
import Foundation
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
    public static let sections = ["version", "projects", "remote", "hooks", "stages", "models", "deploy", "ci", "notifications", "monitor"]

    /// Loads the configuration at `path`, or returns nil when there is no such file.
    public static func load(path: String) throws(ConfigError) -> MLGateConfiguration? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, message: "cannot read the file (check its permissions).")
        }
        guard data.count <= maximumBytes else {
            throw ConfigError(file: path, message: "the file is \(data.count) bytes; mlgate reads at most \(maximumBytes).")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, message: "the file is not valid UTF-8; save it as UTF-8 text.")
        }
        return try parse(text, file: path)
    }

    /// Parses configuration text; `file` is only used in error messages.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> MLGateConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw yamlError(error, file: file)
        } catch {
            throw ConfigError(file: file, message: "\(error)")
        }
        guard let root else { return MLGateConfiguration() }
        var budget = maximumNodes
        try checkShape(root, depth: 0, budget: &budget, file: file)
        return try ConfigReader(file: file).configuration(root)
    }

    private static func checkShape(_ node: Node, depth: Int, budget: inout Int, file: String) throws(ConfigError) {
        budget -= 1
        guard budget >= 0 else {
            throw ConfigError(file: file, line: node.mark?.line, column: node.mark?.column,
                              message: "the file expands to more than \(maximumNodes) values (too many aliases?); simplify it.")
        }
        guard depth <= maximumDepth else {
            throw ConfigError(file: file, line: node.mark?.line, column: node.mark?.column,
                              message: "nesting deeper than \(maximumDepth) levels; flatten it.")
        }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                try checkShape(key, depth: depth + 1, budget: &budget, file: file)
                try checkShape(value, depth: depth + 1, budget: &budget, file: file)
            }
        case .sequence(let sequence):
            for element in sequence { try checkShape(element, depth: depth + 1, budget: &budget, file: file) }
        case .scalar, .alias:
            break
        }
    }

    private static func yamlError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem).")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(file: file, line: context.mark.line, column: context.mark.column,
                               message: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")); each key may appear once.")
        default:
            return ConfigError(file: file, message: "invalid YAML: \(error)")
        }
    }
}
