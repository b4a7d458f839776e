import MLGateCore
import MLGateDeploy
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// The router's shared state: the routing table in force (swapped whole when a plan changes), the endpoint's
/// limits and metrics, and the mirror's copies in flight. Every connection's `RouterHandler` reads it.
final class Router: Sendable {
    /// The endpoint's name.
    let endpoint: String
    /// What each request is allowed.
    let limits: ServeLimits
    /// The metrics served at `/-/metrics`.
    let metrics: ServeMetrics
    /// Where sampled requests and answers are recorded, if the endpoint collects.
    let collector: DataCollector?
    private let table = NIOLockedValueBox<RoutingTable?>(nil)
    private let mirrorInFlight = NIOLockedValueBox(0)
    private let stopping = NIOLockedValueBox(false)

    /// A router of `endpoint` with `limits`, collecting into `collector`.
    init(endpoint: String, limits: ServeLimits, metrics: ServeMetrics, collector: DataCollector?) {
        self.endpoint = endpoint
        self.limits = limits
        self.metrics = metrics
        self.collector = collector
    }

    /// The routing table in force, nil before the first plan is ready.
    var current: RoutingTable? { table.withLockedValue { $0 } }

    /// Puts `new` in force for every request that starts from now on.
    func install(_ new: RoutingTable) { table.withLockedValue { $0 = new } }

    /// Whether the router is shutting down (connections are closed after their current answer).
    var isStopping: Bool {
        get { stopping.withLockedValue { $0 } }
        set { stopping.withLockedValue { $0 = newValue } }
    }

    /// Whether every deployment that takes live traffic has an instance ready (`/-/ready`).
    var isReady: Bool {
        guard let table = current, !isStopping else { return false }
        return table.plan.endpoint.traffic.live.allSatisfy { !(table.routes[$0]?.readyPorts.isEmpty ?? true) }
    }

    /// Takes a mirror slot, or says the copy is to be dropped (the mirror is at its limit).
    func takeMirrorSlot() -> Bool {
        mirrorInFlight.withLockedValue { count in
            guard count < limits.mirrorInFlight else { return false }
            count += 1
            return true
        }
    }

    /// Gives back a mirror slot.
    func releaseMirrorSlot() { mirrorInFlight.withLockedValue { $0 -= 1 } }

    /// The request's id: the client's `x-request-id` when it is a sensible one (visible ASCII, at most 128
    /// characters), else a new random one in UUID form.
    static func requestID(_ headers: HTTPHeaders) -> String {
        if let given = headers.first(name: "x-request-id"), !given.isEmpty, given.utf8.count <= 128,
           given.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) {
            return given
        }
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        let hex = String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(16)
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }

    /// The headers hop-by-hop (RFC 9110 §7.6.1), never passed on by a proxy.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]

    /// `headers` without the hop-by-hop ones and those the `Connection` header names.
    static func endToEnd(_ headers: HTTPHeaders) -> HTTPHeaders {
        let named = Set(headers[canonicalForm: "connection"].map { $0.lowercased() })
        var kept = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.lowercased()
            if hopByHop.contains(lower) || named.contains(lower) || lower == "content-length" { continue }
            kept.add(name: name, value: value)
        }
        return kept
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
