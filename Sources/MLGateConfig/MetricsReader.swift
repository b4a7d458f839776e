import Foundation
import Yams

/// Reads the numbers out of a metrics file (JSON or YAML) as dotted keys: `{"test": {"auc": 0.8}}` gives `test.auc`.
public enum MetricsReader {
    /// The numeric leaves of the file at `path`, sorted by key.
    ///
    /// - Throws: `ConfigError` naming the file when it cannot be read or parsed.
    public static func numbers(path: String, display: String) throws(ConfigError) -> [(name: String, value: Double)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: display, message: "the metrics file could not be read.")
        }
        guard data.count <= ConfigLoader.maximumBytes, let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: display, message: "a metrics file must be UTF-8 JSON or YAML of at most \(ConfigLoader.maximumBytes) bytes.")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text, .basic) } catch {
            throw ConfigError(file: display, message: "not valid JSON or YAML: \(error)")
        }
        var result: [(name: String, value: Double)] = []
        var budget = ConfigLoader.maximumNodes
        func visit(_ node: Node, _ prefix: String, depth: Int) {
            budget -= 1
            guard budget >= 0, depth <= ConfigLoader.maximumDepth else { return }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    guard let name = key.string else { continue }
                    visit(value, prefix.isEmpty ? name : prefix + "." + name, depth: depth + 1)
                }
            case .scalar(let scalar) where scalar.style == .plain || scalar.style == .any:
                if node.bool == nil, let number = node.float ?? node.int.map(Double.init), !prefix.isEmpty { result.append((prefix, number)) }
            default:
                break
            }
        }
        if let root { visit(root, "", depth: 0) }
        return result.sorted { $0.name < $1.name }
    }
}
