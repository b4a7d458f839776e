import MLGateCore
import Yams

#if canImport(Glibc)
import Glibc
#endif

/// Reads the `notify:` section: each subscription's URL, secret variable, filters, format and allowed networks,
/// refusing at its line anything delivery could not use as written.
extension ConfigReader {
    static let subscriptionKeys = ["url", "secret_env", "events", "models", "format", "allow_addresses", "timeout_s"]

    func notify(_ node: Node) throws(ConfigError) -> [NotifySubscription] {
        var subscriptions: [NotifySubscription] = []
        for (key, value) in try mapping(node, context: "'notify'") {
            let name = try self.name(of: key)
            guard isName(name) else { throw error(at: key, "subscription name '\(name)' may only use letters, digits, '.', '_' and '-'.") }
            subscriptions.append(try subscription(value, name: name))
        }
        return subscriptions
    }

    private func subscription(_ node: Node, name: String) throws(ConfigError) -> NotifySubscription {
        let fields = try mapping(node, context: "subscription '\(name)'")
        for (field, _) in fields where !Self.subscriptionKeys.contains(field.string ?? "") {
            throw error(at: field, "unknown key '\(field.string ?? "?")' in subscription '\(name)'\(suggestion(field.string ?? "", among: Self.subscriptionKeys)); a subscription has \(Self.subscriptionKeys.joined(separator: ", ")).")
        }
        guard let urlNode = fields["url"] else {
            throw error(at: node, "subscription '\(name)' needs a 'url' to deliver to, such as url: https://hooks.example.com/mlgate.")
        }
        let url = try string(urlNode, key: "notify.\(name).url")
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), url.utf8.count > 8,
              !url.utf8.contains(where: { $0 <= 32 || $0 == 127 }) else {
            throw error(at: urlNode, "the url of subscription '\(name)' must be an absolute http:// or https:// URL without spaces.")
        }
        var subscription = NotifySubscription(name: name, url: url)
        if let secretNode = fields["secret_env"] {
            let variable = try string(secretNode, key: "notify.\(name).secret_env")
            guard variable.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw error(at: secretNode, "'notify.\(name).secret_env' names an environment variable (letters, digits, '_'); never write the secret itself in mlgate.yaml.")
            }
            subscription.secretVariable = variable
        }
        if let eventsNode = fields["events"] {
            subscription.events = try names(eventsNode, key: "notify.\(name).events")
            for (item, pattern) in zip(eventsNode.sequence.map(Array.init) ?? [eventsNode], subscription.events) where !EventType.isPattern(pattern) {
                throw error(at: item, "unknown event type '\(pattern)'\(suggestion(pattern, among: EventType.all)); the types are \(EventType.all.joined(separator: ", ")) (or a family such as model.*).")
            }
        }
        if let modelsNode = fields["models"] { subscription.models = try names(modelsNode, key: "notify.\(name).models") }
        if let formatNode = fields["format"] {
            guard let format = formatNode.scalar.flatMap({ NotifySubscription.Format(rawValue: $0.string) }) else {
                throw error(at: formatNode, "'notify.\(name).format' must be one of \(NotifySubscription.Format.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            subscription.format = format
        }
        if let allowNode = fields["allow_addresses"] {
            subscription.allowAddresses = try names(allowNode, key: "notify.\(name).allow_addresses")
            for (item, network) in zip(allowNode.sequence.map(Array.init) ?? [allowNode], subscription.allowAddresses) where !Self.isNetwork(network) {
                throw error(at: item, "'\(network)' in notify.\(name).allow_addresses is not an address or a CIDR network such as 127.0.0.1/32 or 10.0.0.0/8.")
            }
        }
        if let timeoutNode = fields["timeout_s"] {
            guard let seconds = timeoutNode.int, (1...120).contains(seconds) else {
                throw error(at: timeoutNode, "'notify.\(name).timeout_s' must be a whole number of seconds from 1 to 120 (default 15).")
            }
            subscription.timeoutSeconds = seconds
        }
        return subscription
    }

    /// Whether `text` is an IPv4 or IPv6 address, optionally with a prefix length (`10.0.0.0/8`, `::1/128`).
    static func isNetwork(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        var buffer = [UInt8](repeating: 0, count: 16)
        let address = String(parts[0])
        let maximum: Int
        if inet_pton(AF_INET, address, &buffer) == 1 { maximum = 32 } else if inet_pton(AF_INET6, address, &buffer) == 1 { maximum = 128 } else { return false }
        guard parts.count == 2 else { return true }
        guard let bits = Int(parts[1]), (0...maximum).contains(bits) else { return false }
        return true
    }
}
