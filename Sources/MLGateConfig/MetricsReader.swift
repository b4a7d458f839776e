import Yams

/// Reads the numbers out of a metrics file (JSON or YAML) as dotted keys: `{"test": {"auc": 0.8}}` gives `test.auc`.
public enum MetricsReader {
    /// The numeric leaves of the metrics file `file` (relative to the repository folder `root`), sorted by key.
    ///
    /// - Throws: `ConfigError` naming the file when it is missing, leads out of the repository, is too large,
    ///   or cannot be parsed.
    public static func numbers(file: String, root: String) throws(ConfigError) -> [(name: String, value: Double)] {
        let purpose = RepositoryFile.Purpose(display: file, fix: "have the stage write it as a regular file of JSON or YAML")
        guard let text = try RepositoryFile.text(at: root + "/" + file, repository: root, limit: ConfigLoader.maximumBytes, purpose: purpose) else {
            throw ConfigError(file: file, message: "the metrics file does not exist; have the stage write it, or fix 'metrics' (or 'source') in mlgate.yaml.")
        }
        var result: [(name: String, value: Double)] = []
        func visit(_ node: Node, _ prefix: String) {
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    guard let name = key.string else { continue }
                    visit(value, prefix.isEmpty ? name : prefix + "." + name)
                }
            case .scalar(let scalar) where scalar.style == .plain || scalar.style == .any:
                if node.bool == nil, let number = node.float ?? node.int.map(Double.init), !prefix.isEmpty { result.append((prefix, number)) }
            default:
                break
            }
        }
        if let root = try YAMLDocument.compose(text, file: file) { visit(root, "") }
        return result.sorted { $0.name < $1.name }
    }
}
