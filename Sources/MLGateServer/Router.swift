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

    /// This router's part of the ids it makes: random, once per process.
    private static let idPrefix: String = {
        var generator = SystemRandomNumberGenerator()
        return String((generator.next() as UInt64) | (1 << 63), radix: 16)
    }()
    private static let idCounter = NIOLockedValueBox<UInt64>(0)

    /// The request's id: the client's `x-request-id` when it is a sensible one (visible ASCII, at most 128
    /// characters), else a new one in UUID form (this process's random prefix and a counter, so unique without a
    /// system call per request).
    static func requestID(_ headers: HTTPHeaders) -> String {
        if let given = headers.first(name: "x-request-id"), !given.isEmpty, given.utf8.count <= 128,
           given.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) {
            return given
        }
        let count = idCounter.withLockedValue { value -> UInt64 in
            value &+= 1
            return value
        }
        let hex = Array(idPrefix + String(count, radix: 16).leftPadded(16))
        return String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-" + String(hex[16..<20]) + "-" + String(hex[20..<32])
    }

    /// The headers hop-by-hop (RFC 9110 §7.6.1), never passed on by a proxy.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]

    /// `headers` without the hop-by-hop ones, those the `Connection` header names, and `Content-Length` (set anew).
    static func endToEnd(_ headers: HTTPHeaders) -> HTTPHeaders {
        var kept = headers
        for name in headers[canonicalForm: "connection"] where !name.isEmpty { kept.remove(name: String(name)) }
        for name in hopByHop where kept.contains(name: name) { kept.remove(name: name) }
        kept.remove(name: "content-length")
        return kept
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
