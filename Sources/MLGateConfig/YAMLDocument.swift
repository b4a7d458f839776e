import MLGateCore
import Yams

/// Composes YAML (or JSON) text into nodes — never `Yams.load`, which would construct tagged objects — and
/// checks it before anyone reads it: at most `ConfigLoader.maximumNodes` values counting every alias use (an
/// alias bomb is refused in microseconds), at most `ConfigLoader.maximumDepth` levels, and no custom tags
/// (`!!python/object`, `!foo`): a tag mlgate would silently ignore is refused at its line instead.
///
/// Every reader of repository YAML (mlgate.yaml, parameters, metrics, mlgate.lock) goes through here.
enum YAMLDocument {
    /// The tags a plain YAML or JSON value may carry: the core schema's, and `!` (a non-specific tag, "a string").
    static let acceptedTags: Set<String> = Set([Tag.Name.str, .int, .float, .bool, .null, .map, .seq, .nonSpecific].map(\.rawValue))

    /// A constructor with no tag maps: composing never constructs, and Yams' default one builds its maps of
    /// closures (and `Parser.Encoding.default` reads the whole environment) at a conformance scan each on start-up.
    private static var composer: Constructor { Constructor([:], [:], [:]) }

    /// The root node of `text`, or nil for an empty document.
    ///
    /// - Parameters:
    ///   - file: The file, for messages.
    ///   - fix: What to do about a malformed file, appended to messages about its syntax (`restore it with git`).
    static func compose(_ text: String, file: String, fix: String? = nil) throws(ConfigError) -> Node? {
        let root: Node?
        do {
            root = try Parser(yaml: text, resolver: .basic, constructor: composer, encoding: .utf8).singleRoot()
        } catch let error as YamlError {
            throw syntaxError(error, file: file, fix: fix)
        } catch {
            throw ConfigError(file: file, message: "invalid YAML: \(error)" + (fix.map { "; \($0)" } ?? "."))
        }
        guard let root else { return nil }
        var budget = ConfigLoader.maximumNodes
        try check(root, depth: 0, budget: &budget, file: file)
        return root
    }

    /// How a tag is written in a file: `!!python/object` for the YAML namespace, the tag itself otherwise.
    static func written(_ tag: String) -> String {
        let namespace = "tag:yaml.org,2002:"
        return tag.hasPrefix(namespace) ? "!!" + tag.dropFirst(namespace.count) : tag
    }

    private static func check(_ node: Node, depth: Int, budget: inout Int, file: String) throws(ConfigError) {
        budget -= 1
        guard budget >= 0 else {
            throw ConfigError(file: file, line: node.mark?.line, column: node.mark?.column,
                              message: "the file expands to more than \(ConfigLoader.maximumNodes) values (too many aliases?); simplify it.")
        }
        guard depth <= ConfigLoader.maximumDepth else {
            throw ConfigError(file: file, line: node.mark?.line, column: node.mark?.column,
                              message: "nesting deeper than \(ConfigLoader.maximumDepth) levels; flatten it.")
        }
        if let tag = explicitTag(of: node), !acceptedTags.contains(tag) {
            throw ConfigError(file: file, line: node.mark?.line, column: node.mark?.column,
                              message: "the YAML tag '\(written(tag))' is not supported: mlgate reads plain values (strings, numbers, booleans, null, lists, mappings) and would ignore what the tag asks for. Remove the tag.")
        }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                try check(key, depth: depth + 1, budget: &budget, file: file)
                try check(value, depth: depth + 1, budget: &budget, file: file)
            }
        case .sequence(let sequence):
            for element in sequence { try check(element, depth: depth + 1, budget: &budget, file: file) }
        case .scalar, .alias:
            break
        }
    }

    /// The tag written on `node` in the file, or nil when it has none. Read without resolving it: `Node.tag`
    /// resolves an implicit tag in place, which would change how the node reads afterwards.
    private static func explicitTag(of node: Node) -> String? {
        let tag: String
        switch node {
        case .scalar(let scalar): tag = scalar.tag.rawValue
        case .mapping(let mapping): tag = mapping.tag.rawValue
        case .sequence(let sequence): tag = sequence.tag.rawValue
        case .alias: return nil
        }
        return tag.isEmpty ? nil : tag
    }

    private static func syntaxError(_ error: YamlError, file: String, fix: String?) -> ConfigError {
        let advice = fix.map { "; \($0)" } ?? "."
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)\(advice)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(file: file, line: context.mark.line, column: context.mark.column,
                               message: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")); each key may appear once" + advice)
        default:
            return ConfigError(file: file, message: "invalid YAML: \(error)\(advice)")
        }
    }
}
