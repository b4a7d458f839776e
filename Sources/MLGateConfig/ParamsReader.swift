public import MLGateCore
import Yams

/// Reads the parameter values a stage declares from YAML or JSON files, as canonical JSON.
public enum ParamsReader {
    /// The values of `source`'s keys in the file under `root`, sorted by key; every key of the top level
    /// when `source.keys` is empty.
    ///
    /// - Throws: `ConfigError` naming the file (and `stage`) when the file is missing or malformed, or a key is absent.
    public static func values(of source: ParameterSource, root: String, stage: String) throws(ConfigError) -> [ParameterValue] {
        let purpose = RepositoryFile.Purpose(display: source.file, fix: "fix 'params' of stage '\(stage)' in mlgate.yaml")
        guard let text = try RepositoryFile.text(at: root + "/" + source.file, repository: root, limit: ConfigLoader.maximumBytes, purpose: purpose) else {
            throw ConfigError(file: source.file, message: "stage '\(stage)' reads parameters from this file, but it does not exist; create it or fix 'params' in mlgate.yaml.")
        }
        let document = try YAMLDocument.compose(text, file: source.file) ?? Node("")
        let keys = source.keys.isEmpty ? (document.mapping?.keys.compactMap(\.string) ?? []) : source.keys
        return try keys.sorted().map { (key) throws(ConfigError) -> ParameterValue in
            var node = document
            for part in key.split(separator: ".", omittingEmptySubsequences: false) {
                guard let next = node.mapping?[Node(String(part))] else {
                    throw ConfigError(file: source.file, line: node.mark?.line, column: node.mark?.column,
                                      message: "stage '\(stage)' reads parameter '\(key)', which is not in this file; add it or remove it from 'params' in mlgate.yaml.")
                }
                node = next
            }
            return ParameterValue(file: source.file, key: key, json: canonicalJSON(node))
        }
    }

    /// `node` as JSON with sorted keys: plain scalars resolve to null, booleans and numbers as YAML does.
    static func canonicalJSON(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain || scalar.style == .any {
                if node.null != nil { return "null" }
                if let bool = node.bool { return bool ? "true" : "false" }
                if let int = node.int { return String(int) }
                if let double = node.float, double.isFinite { return "\(double)" }
            }
            return JSONText.quoted(scalar.string)
        case .mapping(let mapping):
            let pairs = mapping.map { (key: $0.key.string ?? canonicalJSON($0.key), value: canonicalJSON($0.value)) }
                .sorted { $0.key < $1.key }
            return "{" + pairs.map { JSONText.quoted($0.key) + ":" + $0.value }.joined(separator: ",") + "}"
        case .sequence(let sequence):
            return "[" + sequence.map(canonicalJSON).joined(separator: ",") + "]"
        case .alias:
            return "null"
        }
    }
}
