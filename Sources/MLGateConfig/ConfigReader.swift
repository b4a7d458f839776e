import MLGateCore
import Yams

/// Turns composed YAML nodes into Core configuration, with an error at the offending node for anything wrong.
struct ConfigReader {
    let file: String

    func configuration(_ root: Node) throws(ConfigError) -> MLGateConfiguration {
        let top = try mapping(root, context: "the file")
        var configuration = MLGateConfiguration()
        for (keyNode, value) in top {
            let key = try name(of: keyNode)
            switch key {
            case "version":
                guard let version = value.scalar.flatMap({ Int($0.string) }), version == 1 else {
                    throw error(at: value, "'version' must be 1 (the only format this mlgate reads).")
                }
                configuration.version = version
            case "projects":
                configuration.projects = try projects(value)
            case "hooks":
                configuration.hooks = try hooks(value)
            case "remote":
                configuration.remote = try remote(value)
            case "models":
                configuration.models = try models(value)
            case "deploy":
                configuration.deployTargets = try deployTargets(value)
            case "endpoints":
                configuration.endpoints = try endpoints(value)
            case "ci":
                configuration.ci = try ci(value)
            case "notify":
                configuration.notify = try notify(value)
            case "executor":
                configuration.executor = try executor(value)
            case "stages":
                configuration.stages = try stages(value)
                do {
                    _ = try Pipeline(stages: configuration.stages)
                } catch {
                    throw self.error(at: keyNode, error.description)
                }
            default:
                guard ConfigLoader.sections.contains(key) else {
                    throw error(at: keyNode, "unknown section '\(key)'\(suggestion(key, among: ConfigLoader.sections)); the sections are \(ConfigLoader.sections.joined(separator: ", ")).")
                }
            }
        }
        return configuration
    }

    private func projects(_ node: Node) throws(ConfigError) -> [ProjectSpec] {
        var projects: [ProjectSpec] = []
        for (key, value) in try mapping(node, context: "'projects'") {
            let name = try name(of: key)
            guard isName(name) else {
                throw error(at: key, "project name '\(name)' may only use letters, digits, '.', '_' and '-'.")
            }
            let pathNode: Node
            if value.scalar != nil {
                pathNode = value
            } else {
                let fields = try mapping(value, context: "project '\(name)'")
                for (field, _) in fields where field.string != "path" {
                    throw error(at: field, "unknown key '\(field.string ?? "?")' in project '\(name)'; a project has only 'path'.")
                }
                guard let found = fields.first(where: { $0.key == "path" })?.value else {
                    throw error(at: value, "project '\(name)' needs a 'path' (a folder relative to the repository root).")
                }
                pathNode = found
            }
            projects.append(ProjectSpec(name: name, path: try projectPath(pathNode, project: name)))
        }
        return projects
    }

    private func projectPath(_ node: Node, project: String) throws(ConfigError) -> String {
        guard let raw = node.scalar?.string else {
            throw error(at: node, "the path of project '\(project)' must be a string such as models/\(project).")
        }
        let trimmed = raw.split(separator: "/", omittingEmptySubsequences: true).joinedPath()
        guard !raw.hasPrefix("/"), !trimmed.split(separator: "/").contains(".."), !trimmed.isEmpty else {
            throw error(at: node, "the path of project '\(project)' must be a folder inside the repository, relative to its root (got '\(raw)').")
        }
        return trimmed
    }

    private func remote(_ node: Node) throws(ConfigError) -> RemoteSettings {
        var settings = RemoteSettings()
        for (key, value) in try mapping(node, context: "'remote'") {
            switch try name(of: key) {
            case "git":
                settings.git = try string(value, key: "remote.git")
            case "objects":
                let path = try string(value, key: "remote.objects")
                if path.contains("://") {
                    guard path.hasPrefix("s3://") else {
                        throw error(at: value, "'remote.objects' must be a directory path (a mounted volume) or s3://bucket/prefix; other URLs are not supported (got '\(path)').")
                    }
                    guard S3Location(path) != nil else {
                        throw error(at: value, "'remote.objects' is not a usable s3:// URL: write s3://BUCKET or s3://BUCKET/PREFIX, with a bucket name of 3–63 lower-case letters, digits, '.' and '-', and no '..' or '//' in the prefix (got '\(path)').")
                    }
                }
                settings.objects = path
            case "s3":
                settings.s3 = try s3(value)
            case "artifacts_in_git":
                settings.artifactsInGit = try bool(value, key: "remote.artifacts_in_git")
            case "artifacts_in_git_max_mb":
                guard let megabytes = value.scalar.flatMap({ Int($0.string) }), (1...2000).contains(megabytes) else {
                    throw error(at: value, "'remote.artifacts_in_git_max_mb' must be a whole number of megabytes from 1 to 2000 (default 100).")
                }
                settings.artifactsInGitMaxBytes = Int64(megabytes) << 20
            default:
                let keys = ["git", "objects", "s3", "artifacts_in_git", "artifacts_in_git_max_mb"]
                throw error(at: key, "unknown key '\(key.string ?? "?")' in 'remote'\(suggestion(key.string ?? "", among: keys)); the keys are \(keys.joined(separator: ", ")).")
            }
        }
        return settings
    }

    /// `remote.s3`: endpoint, region, path_style, profile, multipart_threshold_mb, part_size_mb.
    private func s3(_ node: Node) throws(ConfigError) -> S3Settings {
        var settings = S3Settings()
        for (key, value) in try mapping(node, context: "'remote.s3'") {
            switch try name(of: key) {
            case "endpoint":
                let endpoint = try string(value, key: "remote.s3.endpoint")
                let lower = endpoint.lowercased()
                guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), !endpoint.contains(" "),
                      !endpoint.dropFirst(lower.hasPrefix("https://") ? 8 : 7).contains(where: { $0 == "/" || $0 == "?" || $0 == "@" }) else {
                    throw error(at: value, "'remote.s3.endpoint' must be the service's base URL, http(s)://HOST[:PORT] with no path or credentials (got '\(endpoint)').")
                }
                settings.endpoint = endpoint
            case "region":
                let region = try string(value, key: "remote.s3.region")
                guard !region.isEmpty, region.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "-") }) else {
                    throw error(at: value, "'remote.s3.region' must be a region name such as us-east-1 (got '\(region)').")
                }
                settings.region = region
            case "path_style":
                settings.pathStyle = try bool(value, key: "remote.s3.path_style")
            case "profile":
                settings.profile = try string(value, key: "remote.s3.profile")
            case "multipart_threshold_mb", "part_size_mb":
                let field = key.string ?? ""
                let range = field == "part_size_mb" ? 5...5120 : 5...5_242_880
                guard let megabytes = value.scalar.flatMap({ Int($0.string) }), range.contains(megabytes) else {
                    throw error(at: value, "'remote.s3.\(field)' must be a whole number of MiB from \(range.lowerBound) to \(range.upperBound) (S3's limits for one part and one object).")
                }
                if field == "part_size_mb" { settings.partSizeMB = megabytes } else { settings.multipartThresholdMB = megabytes }
            default:
                let keys = ["endpoint", "region", "path_style", "profile", "multipart_threshold_mb", "part_size_mb"]
                throw error(at: key, "unknown key '\(key.string ?? "?")' in 'remote.s3'\(suggestion(key.string ?? "", among: keys)); the keys are \(keys.joined(separator: ", ")).")
            }
        }
        return settings
    }

    private func ci(_ node: Node) throws(ConfigError) -> CISettings {
        var settings = CISettings()
        for (key, value) in try mapping(node, context: "'ci'") {
            switch try name(of: key) {
            case "promote_to": settings.promoteTo = try string(value, key: "ci.promote_to")
            case "deploy": settings.deploy = try names(value, key: "ci.deploy")
            case "default_branch": settings.defaultBranch = try string(value, key: "ci.default_branch")
            case "reports": settings.reports = try string(value, key: "ci.reports")
            case "require_signed_tags": settings.requireSignedTags = try bool(value, key: "ci.require_signed_tags")
            case "pass_env":
                settings.passEnvironment = try names(value, key: "ci.pass_env")
                for variable in value.sequence.map(Array.init) ?? [value] where !(variable.scalar?.string ?? "").allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                    throw error(at: variable, "'ci.pass_env' lists variable names (letters, digits, '_'), not values.")
                }
            default:
                let keys = ["promote_to", "deploy", "default_branch", "pass_env", "reports", "require_signed_tags"]
                throw error(at: key, "unknown key '\(key.string ?? "?")' in 'ci'\(suggestion(key.string ?? "", among: keys)); the keys are \(keys.joined(separator: ", ")).")
            }
        }
        return settings
    }

    /// A name or a list of names.
    func names(_ node: Node, key: String) throws(ConfigError) -> [String] {
        if node.scalar != nil { return [try string(node, key: key)] }
        guard let items = node.sequence else { throw error(at: node, "'\(key)' must be a name or a list of names.") }
        return try items.map { (item) throws(ConfigError) in try string(item, key: key) }
    }

    /// A scalar string value.
    func string(_ node: Node, key: String) throws(ConfigError) -> String {
        guard let scalar = node.scalar, !scalar.string.isEmpty else { throw error(at: node, "'\(key)' must be a non-empty string.") }
        return scalar.string
    }

    /// A true/false value.
    func bool(_ node: Node, key: String) throws(ConfigError) -> Bool {
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(at: node, "'\(key)' must be true or false.")
        }
    }

    private func hooks(_ node: Node) throws(ConfigError) -> HookSettings {
        var settings = HookSettings()
        for (key, value) in try mapping(node, context: "'hooks'") {
            switch try name(of: key) {
            case "pre_push":
                guard let mode = value.scalar.flatMap({ PrePushMode(rawValue: $0.string) }) else {
                    throw error(at: value, "'hooks.pre_push' must be one of warn, strict, off.")
                }
                settings.prePush = mode
            case "start_worker":
                settings.startWorker = try bool(value, key: "hooks.start_worker")
            default:
                throw error(at: key, "unknown key '\(key.string ?? "?")' in 'hooks'; the keys are pre_push and start_worker.")
            }
        }
        return settings
    }

    func name(of key: Node) throws(ConfigError) -> String {
        guard let text = key.scalar?.string else { throw error(at: key, "keys must be plain words, not lists or mappings.") }
        return text
    }

    func mapping(_ node: Node, context: String) throws(ConfigError) -> Node.Mapping {
        guard let mapping = node.mapping else { throw error(at: node, "\(context) must be a mapping of keys to values.") }
        return mapping
    }

    func isName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic && $0.isASCII || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }

    /// ` (did you mean 'x'?)` for an unknown key, or "".
    func suggestion(_ word: String, among candidates: [String]) -> String {
        Suggestion.didYouMean(word, among: candidates)
    }

    func error(at node: Node, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line, column: node.mark?.column, message: message)
    }
}
