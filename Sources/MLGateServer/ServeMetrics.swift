import Foundation
import NIOConcurrencyHelpers

/// The router's counters, gauges and latency histograms, rendered in Prometheus' text format at `/-/metrics`.
/// Every update takes one short lock; a scrape copies the numbers under it and renders outside.
public final class ServeMetrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds (0.25 ms to 10 s).
    static let buckets: [Double] = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// A latency histogram: counts per bucket (the last one is +Inf), the sum and the count.
    struct Histogram {
        var counts = [Int](repeating: 0, count: ServeMetrics.buckets.count + 1)
        var sum = 0.0
        var count = 0

        mutating func observe(_ seconds: Double) {
            counts[ServeMetrics.buckets.firstIndex { seconds <= $0 } ?? ServeMetrics.buckets.count] += 1
            sum += seconds
            count += 1
        }
    }

    /// One series of `mlgate_requests_total`, counted on the request path without building its label text.
    struct Answered: Hashable {
        let deployment: String
        let code: UInt
    }

    struct State {
        /// Answered requests by deployment and status code.
        var answered: [Answered: Int] = [:]
        /// Counters by metric name, then by their label text (`deployment="blue",code="200"`).
        var counters: [String: [String: Int]] = [:]
        /// Latency by deployment.
        var latency: [String: Histogram] = [:]
        /// Gauges by metric name, then label text; set by the router when its state changes.
        var gauges: [String: [String: Double]] = [:]
    }

    /// The endpoint's name, a label on every series.
    let endpoint: String
    private let state = NIOLockedValueBox(State())

    /// The help line of each metric.
    static let help: [String: (type: String, text: String)] = [
        "mlgate_requests_total": ("counter", "Requests answered through a deployment, by status code."),
        "mlgate_request_duration_seconds": ("histogram", "Time from the request's end to the answer's, per deployment."),
        "mlgate_upstream_errors_total": ("counter", "Requests a deployment did not answer: timeout, connect or closed."),
        "mlgate_rejected_total": ("counter", "Requests the router refused itself, by reason."),
        "mlgate_mirror_requests_total": ("counter", "Mirrored copies, by result: sent, answered, failed or dropped."),
        "mlgate_instance_restarts_total": ("counter", "Instances restarted after they died or failed their health checks."),
        "mlgate_in_flight_requests": ("gauge", "Requests being worked on, per deployment."),
        "mlgate_instances_ready": ("gauge", "Instances answering their health check, per deployment."),
        "mlgate_traffic_percent": ("gauge", "The live share of each deployment in force."),
        "mlgate_plan_generation": ("gauge", "How many plans the router has applied since it started."),
    ]

    /// Metrics of endpoint `endpoint`.
    public init(endpoint: String) { self.endpoint = endpoint }

    /// Adds one to counter `name` with `labels` (name/value pairs).
    func count(_ name: String, _ labels: KeyValuePairs<String, String>, by amount: Int = 1) {
        let key = Self.labelText(labels)
        state.withLockedValue { $0.counters[name, default: [:]][key, default: 0] += amount }
    }

    /// Records one answered request of `deployment`: its status code and latency.
    func answered(deployment: String, code: UInt, seconds: Double) {
        state.withLockedValue { state in
            state.answered[Answered(deployment: deployment, code: code), default: 0] += 1
            state.latency[deployment, default: Histogram()].observe(seconds)
        }
    }

    /// Sets gauge `name` with `labels` to `value`.
    func set(_ name: String, _ labels: KeyValuePairs<String, String>, to value: Double) {
        let key = Self.labelText(labels)
        state.withLockedValue { $0.gauges[name, default: [:]][key] = value }
    }

    /// Removes every series of gauge `name` (before setting the current ones, when deployments came or went).
    func clear(_ name: String) {
        _ = state.withLockedValue { $0.gauges.removeValue(forKey: name) }
    }

    /// The value of counter `name` with `labels`, for tests and the status file.
    func counter(_ name: String, _ labels: KeyValuePairs<String, String>) -> Int {
        let key = Self.labelText(labels)
        return state.withLockedValue { $0.counters[name]?[key] ?? 0 }
    }

    /// Every series in Prometheus' text exposition format (version 0.0.4).
    public func render() -> String {
        var snapshot = state.withLockedValue { $0 }
        for (key, count) in snapshot.answered {
            snapshot.counters["mlgate_requests_total", default: [:]][Self.labelText(["deployment": key.deployment, "code": String(key.code)]), default: 0] += count
        }
        var text = ""
        let endpointLabel = "endpoint=\"\(Self.escaped(endpoint))\""
        func header(_ name: String) {
            guard let help = Self.help[name] else { return }
            text += "# HELP \(name) \(help.text)\n# TYPE \(name) \(help.type)\n"
        }
        func labels(_ key: String) -> String { key.isEmpty ? endpointLabel : endpointLabel + "," + key }
        for name in Self.help.keys.sorted() {
            if name == "mlgate_request_duration_seconds" {
                guard !snapshot.latency.isEmpty else { continue }
                header(name)
                for (deployment, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
                    let series = labels("deployment=\"\(Self.escaped(deployment))\"")
                    var cumulative = 0
                    for (index, bound) in Self.buckets.enumerated() {
                        cumulative += histogram.counts[index]
                        text += "\(name)_bucket{\(series),le=\"\(bound)\"} \(cumulative)\n"
                    }
                    text += "\(name)_bucket{\(series),le=\"+Inf\"} \(histogram.count)\n"
                    text += "\(name)_sum{\(series)} \(histogram.sum)\n\(name)_count{\(series)} \(histogram.count)\n"
                }
            } else if let series = snapshot.counters[name], !series.isEmpty {
                header(name)
                for (key, value) in series.sorted(by: { $0.key < $1.key }) { text += "\(name){\(labels(key))} \(value)\n" }
            } else if let series = snapshot.gauges[name], !series.isEmpty {
                header(name)
                for (key, value) in series.sorted(by: { $0.key < $1.key }) { text += "\(name){\(labels(key))} \(Self.number(value))\n" }
            }
        }
        return text
    }

    /// `a="x",b="y"`, values escaped as the format requires.
    static func labelText(_ labels: KeyValuePairs<String, String>) -> String {
        labels.map { "\($0.key)=\"\(escaped($0.value))\"" }.joined(separator: ",")
    }

    /// A label value with backslash, quote and newline escaped.
    static func escaped(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else { return value }
        return value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A gauge's value: whole numbers without a fraction.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
