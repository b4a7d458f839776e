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
    private static let idPrefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next() as UInt64) | (1 << 63)
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
        return uuidText(idPrefix, count)
    }

    /// The 32 hex digits of `high` then `low`, grouped 8-4-4-4-12 as a UUID is written: one string, made in place.
    static func uuidText(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for digit in 0..<32 {
                if digit == 8 || digit == 12 || digit == 16 || digit == 20 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                let nibble = UInt8(truncatingIfNeeded: ((digit < 16 ? high : low) >> UInt64(60 - 4 * (digit % 16))) & 0xF)
                out[position] = nibble < 10 ? 48 + nibble : 87 + nibble
                position += 1
            }
            return position
        }
    }

    /// The headers hop-by-hop (RFC 9110 §7.6.1), never passed on by a proxy.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]
    /// The lengths of those names and of `content-length`: a header of another length is kept without a look at its name.
    static let hopByHopLengths = Set(hopByHop.map(\.utf8.count) + ["content-length".utf8.count])

    /// `headers` without the hop-by-hop ones, those the `Connection` header names, and `Content-Length` (set anew).
    /// One pass finds what to drop (usually only `Content-Length`), so a request without such headers is not rebuilt,
    /// and only names of a hop-by-hop header's length are lowercased to be compared.
    static func endToEnd(_ headers: HTTPHeaders) -> HTTPHeaders {
        var dropped: [String] = []
        for (name, value) in headers where hopByHopLengths.contains(name.utf8.count) {
            let lower = name.lowercased()
            guard lower == "content-length" || hopByHop.contains(lower) else { continue }
            if !dropped.contains(lower) { dropped.append(lower) }
            // The names a Connection header lists (`close` is an option, not a header).
            guard lower == "connection" else { continue }
            for token in value.split(separator: ",") {
                var name = token
                while let first = name.first, first == " " || first == "\t" { name.removeFirst() }
                while let last = name.last, last == " " || last == "\t" { name.removeLast() }
                let listed = name.lowercased()
                if !listed.isEmpty, listed != "close", !dropped.contains(listed) { dropped.append(listed) }
            }
        }
        var kept = headers
        for name in dropped { kept.remove(name: name) }
        return kept
    }
}

