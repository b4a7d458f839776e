import MLGateCore
import Yams

/// Reads the `executor:` section: where the queue's training jobs run.
extension ConfigReader {
    static let executorKeys: [String: [String]] = [
        "local": ["type"],
        "github": ["type", "repository", "workflow", "token_env", "api"],
        "gitlab": ["type", "project", "trigger_token_env", "token_env", "api"],
        "kubernetes": ["type", "image", "namespace", "kubectl", "service_account", "deadline_seconds", "secret"],
    ]

    func executor(_ node: Node) throws(ConfigError) -> ExecutorSpec {
        let fields = try mapping(node, context: "'executor'")
        let types = ["local", "github", "gitlab", "kubernetes"]
        guard let typeNode = fields["type"], let type = typeNode.string, let keys = Self.executorKeys[type] else {
            throw error(at: fields["type"] ?? node, "'executor' needs a 'type': \(types.joined(separator: ", "))\(suggestion(fields["type"]?.string ?? "", among: types)).")
        }
        for (key, _) in fields where !keys.contains(key.string ?? "") {
            throw error(at: key, "unknown key '\(key.string ?? "?")' in the \(type) executor\(suggestion(key.string ?? "", among: keys)); it has \(keys.joined(separator: ", ")).")
        }
        func required(_ key: String, example: String) throws(ConfigError) -> String {
            guard let value = fields[key]?.string, !value.isEmpty else {
                throw error(at: fields[key] ?? node, "the \(type) executor needs '\(key)', such as \(key): \(example).")
            }
            return value
        }
        func variable(_ key: String, default value: String) throws(ConfigError) -> String {
            guard let node = fields[key] else { return value }
            guard let name = node.string, !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw error(at: node, "'executor.\(key)' names an environment variable (letters, digits, '_'); never write a token itself in mlgate.yaml.")
            }
            return name
        }
        func api(default value: String) throws(ConfigError) -> String {
            guard let node = fields["api"] else { return value }
            // The token travels with every request: plain http only to this machine (a test double, a tunnel).
            guard let url = node.string, url.hasPrefix("https://") || ["http://127.0.0.1", "http://localhost", "http://[::1]"].contains(where: {
                url.hasPrefix($0 + ":") || url.hasPrefix($0 + "/") || url == $0
            }) else {
                throw error(at: node, "'executor.api' is the API's https:// root URL, such as \(value) (http:// only to this machine: the token goes with every request).")
            }
            return url
        }
        switch type {
        case "github":
            let repository = try required("repository", example: "acme/churn")
            guard repository.split(separator: "/").count == 2 else {
                throw error(at: fields["repository"] ?? node, "'executor.repository' is owner/name, such as acme/churn.")
            }
            return .github(GitHubExecutor(repository: repository, workflow: try required("workflow", example: "mlgate-train.yml"),
                                          tokenVariable: try variable("token_env", default: "GITHUB_TOKEN"), api: try api(default: "https://api.github.com")))
        case "gitlab":
            return .gitlab(GitLabExecutor(project: try required("project", example: "acme/churn"),
                                          triggerTokenVariable: try variable("trigger_token_env", default: "GITLAB_TRIGGER_TOKEN"),
                                          tokenVariable: try variable("token_env", default: "GITLAB_TOKEN"), api: try api(default: "https://gitlab.com/api/v4")))
        case "kubernetes":
            var spec = KubernetesExecutor(image: try required("image", example: "registry.example.com/churn-train:1"))
            if let namespace = fields["namespace"] {
                guard let name = namespace.string, Self.isKubernetesName(name) else {
                    throw error(at: namespace, "'executor.namespace' is a Kubernetes name: lower-case letters, digits and '-', at most 63.")
                }
                spec.namespace = name
            }
            if fields["kubectl"] != nil { spec.kubectl = try required("kubectl", example: "/usr/local/bin/kubectl") }
            if let account = fields["service_account"] {
                guard let name = account.string, Self.isKubernetesName(name) else {
                    throw error(at: account, "'executor.service_account' is a Kubernetes name: lower-case letters, digits and '-'.")
                }
                spec.serviceAccount = name
            }
            if let deadline = fields["deadline_seconds"] {
                guard let seconds = deadline.int, seconds > 0 else {
                    throw error(at: deadline, "'executor.deadline_seconds' is a whole number of seconds above 0 (default 21600).")
                }
                spec.deadlineSeconds = seconds
            }
            if let secret = fields["secret"] {
                guard let name = secret.string, Self.isKubernetesName(name) else {
                    throw error(at: secret, "'executor.secret' names a Secret in the namespace: lower-case letters, digits and '-'.")
                }
                spec.secret = name
            }
            return .kubernetes(spec)
        default:
            return .local
        }
    }

    /// A DNS-1123 label: what Kubernetes accepts as a namespace or service account name.
    static func isKubernetesName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63 && name.first != "-" && name.last != "-"
            && name.allSatisfy { $0.isASCII && (($0.isLowercase && $0.isLetter) || $0.isNumber || $0 == "-") }
    }
}
