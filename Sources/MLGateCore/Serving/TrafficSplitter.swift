/// Splits requests between deployments by their shares, exactly and in a fixed order: smooth weighted round robin
/// (nginx's `upstream` weights), so every 100 consecutive requests hold each deployment's share to the request, and
/// no deployment gets a run of requests longer than its share makes necessary.
public struct TrafficSplitter: Sendable {
    private let names: [String]
    private let weights: [Int]
    private let total: Int
    private var credit: [Int]

    /// A splitter over `traffic`'s live deployments (shares above 0), by name.
    public init(_ traffic: TrafficMap) {
        names = traffic.live
        weights = names.map { traffic.weights[$0] ?? 0 }
        total = weights.reduce(0, +)
        credit = Array(repeating: 0, count: names.count)
    }

    /// The deployment that takes the next request, or nil when no deployment takes live traffic.
    public mutating func next() -> String? {
        guard total > 0 else { return nil }
        var best = 0
        for index in credit.indices {
            credit[index] += weights[index]
            if credit[index] > credit[best] { best = index }
        }
        credit[best] -= total
        return names[best]
    }
}

/// Chooses which requests a mirror copies: exactly `percent` of every 100, spread evenly, the same way on every run.
public struct MirrorSampler: Sendable {
    /// The share copied, in percent.
    public let percent: Int
    private var credit = 0

    /// A sampler of `percent` % (0 copies nothing, 100 everything).
    public init(percent: Int) { self.percent = max(0, min(100, percent)) }

    /// Whether the next request is copied.
    public mutating func take() -> Bool {
        credit += percent
        guard credit >= 100 else { return false }
        credit -= 100
        return true
    }
}
