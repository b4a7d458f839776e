import MLGateCore
import Yams

/// Reads the `stages:` section: each stage's keys, with every path resolved against the repository root.
extension ConfigReader {
    static let stageKeys = ["cmd", "wdir", "deps", "params", "outs", "metrics", "env", "environment", "always_changed", "frozen", "desc"]

    func stages(_ node: Node) throws(ConfigError) -> [StageSpec] {
        var stages: [StageSpec] = []
        for (key, value) in try mapping(node, context: "'stages'") {
            let name = try name(of: key)
            guard isName(name) else {
                throw error(at: key, "stage name '\(name)' may only use letters, digits, '.', '_' and '-'.")
            }
            stages.append(try stage(name, value))
        }
        return stages
    }

    private func stage(_ name: String, _ node: Node) throws(ConfigError) -> StageSpec {
        let fields = try mapping(node, context: "stage '\(name)'")
        var command: StageCommand?
        var wdir = ""
        var raw: [(key: String, node: Node)] = []
        for (keyNode, value) in fields {
            let key = try self.name(of: keyNode)
            guard Self.stageKeys.contains(key) else {
                throw error(at: keyNode, "unknown key '\(key)' in stage '\(name)'\(suggestion(key, among: Self.stageKeys)); a stage has \(Self.stageKeys.joined(separator: ", ")).")
            }
            switch key {
            case "cmd": command = try self.command(value, what: "the cmd of stage '\(name)'")
            case "wdir": wdir = try repositoryPath(value, base: "", what: "the wdir of stage '\(name)'").path
            default: raw.append((key, value))
            }
        }
        guard let command else {
            throw error(at: node, "stage '\(name)' needs a 'cmd': a string run by /bin/sh, or a list of arguments run without a shell.")
        }
        var stage = StageSpec(name: name, command: command, workingDirectory: wdir)
        for (key, value) in raw {
            let what = "'\(key)' of stage '\(name)'"
            switch key {
            case "deps":
                stage.dependencies = try sequence(value, what).map { (item) throws(ConfigError) in try repositoryPath(item, base: wdir, what: what) }
            case "outs":
                stage.outputs = try sequence(value, what).map { (item) throws(ConfigError) in try output(item, base: wdir, what: what) }
            case "metrics":
                stage.metrics = try sequence(value, what).map { (item) throws(ConfigError) in try repositoryPath(item, base: wdir, what: what) }
            case "params":
                stage.parameters = try parameters(value, base: wdir, what: what)
            case "env":
                stage.environmentVariables = try variables(value, what: what)
            case "environment":
                stage.environment = try environment(value, base: wdir, what: what)
            case "always_changed":
                stage.alwaysChanged = try bool(value, key: "stages.\(name).always_changed")
            case "frozen":
                stage.frozen = try bool(value, key: "stages.\(name).frozen")
            default:
                break  // desc: free text for people
            }
        }
        return stage
    }

    /// A command: a string for `/bin/sh -c`, or a list of string arguments; `what` names it in errors
    /// ("the cmd of stage 'train'").
    func command(_ node: Node, what: String) throws(ConfigError) -> StageCommand {
        if let scalar = node.scalar {
            guard !scalar.string.trimmingWhitespace.isEmpty else { throw error(at: node, "\(what) is empty.") }
            return .shell(scalar.string)
        }
        let words = try sequence(node, what).map { (item) throws(ConfigError) -> String in
            guard let word = item.scalar?.string else {
                // `[python3, serve.py, {model}]`: YAML reads an unquoted {model} in a list as a mapping.
                let hint = item.mapping.map { _ in " (in a [list], quote a placeholder: '{model}')" } ?? ""
                throw error(at: item, "each argument in \(what) must be a string\(hint).")
            }
            return word
        }
        guard let first = words.first, !first.isEmpty else { throw error(at: node, "\(what) is an empty list.") }
        return .arguments(words)
    }

    func sequence(_ node: Node, _ what: String) throws(ConfigError) -> [Node] {
        if node.scalar != nil { return [node] }
        guard let items = node.sequence else { throw error(at: node, "\(what) must be a list.") }
        return Array(items)
    }

    private func output(_ node: Node, base: String, what: String) throws(ConfigError) -> OutputSpec {
        if node.scalar != nil { return OutputSpec(path: try repositoryPath(node, base: base, what: what)) }
        let fields = try mapping(node, context: "an entry of \(what)")
        // Either {path: p, cache: false} or DVC's {p: {cache: false}}.
        if let pathNode = fields.first(where: { $0.key.string == "path" })?.value {
            var output = OutputSpec(path: try repositoryPath(pathNode, base: base, what: what))
            for (key, value) in fields where key.string != "path" {
                guard key.string == "cache" else { throw error(at: key, "an output has 'path' and 'cache' only.") }
                output.cache = try bool(value, key: "cache")
            }
            return output
        }
        guard fields.count == 1, let (key, options) = fields.first else {
            throw error(at: node, "an entry of \(what) is a path, or {path: PATH, cache: false}.")
        }
        var output = OutputSpec(path: try repositoryPath(key, base: base, what: what))
        for (option, value) in try mapping(options, context: "the options of output '\(key.string ?? "")'") {
            guard option.string == "cache" else { throw error(at: option, "an output's only option is 'cache'.") }
            output.cache = try bool(value, key: "cache")
        }
        return output
    }

    private func parameters(_ node: Node, base: String, what: String) throws(ConfigError) -> [ParameterSource] {
        let defaultFile = Self.join(base, "params.yaml")
        var sources: [ParameterSource] = []
        func add(_ file: String, _ keys: [String]) {
            if let index = sources.firstIndex(where: { $0.file == file }) {
                sources[index].keys += keys.filter { !sources[index].keys.contains($0) }
            } else {
                sources.append(ParameterSource(file: file, keys: keys))
            }
        }
        func fromMapping(_ mapping: Node.Mapping) throws(ConfigError) {
            for (fileNode, keysNode) in mapping {
                let file = try repositoryPath(fileNode, base: base, what: what).path
                let keys: [String] = keysNode.null != nil
                    ? [] : try sequence(keysNode, "the keys of '\(file)' in \(what)").map { (key) throws(ConfigError) -> String in
                        guard let text = key.scalar?.string, !text.isEmpty else { throw error(at: key, "a parameter key must be a string such as train.learning_rate.") }
                        return text
                    }
                add(file, keys)
            }
        }
        if let mapping = node.mapping {
            try fromMapping(mapping)
        } else {
            for item in try sequence(node, what) {
                if let key = item.scalar?.string {
                    guard !key.isEmpty else { throw error(at: item, "a parameter key must not be empty.") }
                    add(defaultFile, [key])
                } else if let mapping = item.mapping {
                    try fromMapping(mapping)
                } else {
                    throw error(at: item, "an entry of \(what) is a key of params.yaml, or {FILE: [KEYS]}.")
                }
            }
        }
        return sources
    }

    private func variables(_ node: Node, what: String) throws(ConfigError) -> [EnvironmentVariable] {
        var variables: [EnvironmentVariable] = []
        for (key, value) in try mapping(node, context: what) {
            let name = try self.name(of: key)
            let valid = !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
                && !("0"..."9").contains(name.unicodeScalars.first ?? "0")
            guard valid else { throw error(at: key, "'\(name)' in \(what) is not a valid environment variable name.") }
            guard let text = value.scalar?.string else { throw error(at: value, "the value of \(name) in \(what) must be a string.") }
            variables.append(EnvironmentVariable(name: name, value: text))
        }
        return variables.sorted { $0.name < $1.name }
    }

    private func environment(_ node: Node, base: String, what: String) throws(ConfigError) -> EnvironmentSpec {
        if node.scalar != nil { return EnvironmentSpec(file: try repositoryPath(node, base: base, what: what).path) }
        var file: String?
        var check = EnvironmentCheck.warn
        for (key, value) in try mapping(node, context: what) {
            switch key.string {
            case "file": file = try repositoryPath(value, base: base, what: what).path
            case "check":
                guard let mode = value.scalar.flatMap({ EnvironmentCheck(rawValue: $0.string) }) else {
                    throw error(at: value, "the check of \(what) must be one of warn, strict, off.")
                }
                check = mode
            default:
                throw error(at: key, "\(what) has 'file' and 'check' (warn, strict or off) only.")
            }
        }
        guard let file else { throw error(at: node, "\(what) needs a 'file' such as requirements.txt.") }
        return EnvironmentSpec(file: file, check: check)
    }

    /// A path from the config, resolved against `base` (the stage's wdir) and checked to stay inside the repository.
    func repositoryPath(_ node: Node, base: String, what: String) throws(ConfigError) -> PathSpec {
        guard let raw = node.scalar?.string, !raw.isEmpty else { throw error(at: node, "each path in \(what) must be a non-empty string.") }
        guard !raw.hasPrefix("/"), !raw.hasPrefix("~") else {
            throw error(at: node, "'\(raw)' in \(what) is outside the repository; paths are relative to the repository (or the stage's wdir).")
        }
        var parts: [Substring] = []
        for part in Self.join(base, raw).split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else {
                    throw error(at: node, "'\(raw)' in \(what) is outside the repository; paths are relative to the repository (or the stage's wdir).")
                }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        let path = parts.joinedPath()
        guard !path.isEmpty || what.hasPrefix("the wdir") else {
            throw error(at: node, "'\(raw)' in \(what) names the repository itself; name a file or folder inside it.")
        }
        guard path.split(separator: "/").first != ".git", path.split(separator: "/").first != ".mlgate" else {
            throw error(at: node, "'\(raw)' in \(what) is inside .git or .mlgate, which belong to git and mlgate.")
        }
        return PathSpec(path, isDirectory: raw.hasSuffix("/"))
    }

    static func join(_ base: String, _ path: String) -> String { base.isEmpty ? path : base + "/" + path }
}
