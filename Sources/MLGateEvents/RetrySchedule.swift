/// When a failed delivery is tried again: Standard Webhooks' example schedule, with ±20 % jitter so receivers
/// coming back from an outage are not hit by every sender at once.
///
/// Attempts are immediate, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: eight attempts over about
/// 28 hours, then the delivery is dead-lettered.
public struct RetrySchedule: Sendable {
    /// The waits after the first, second, … failed attempt, in seconds.
    public static let waits: [Double] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]
    /// Every wait is multiplied by this (tests set `MLGATE_EVENTS_RETRY_SCALE` to make hours into milliseconds).
    public let scale: Double

    /// A schedule scaled by `scale` (at most 1; values that are not positive count as 1).
    public init(scale: Double = 1) {
        self.scale = scale.isFinite && scale > 0 ? min(scale, 1) : 1
    }

    /// The schedule scaled by `MLGATE_EVENTS_RETRY_SCALE` when set.
    public init(environment: [String: String]) {
        self.init(scale: environment["MLGATE_EVENTS_RETRY_SCALE"].flatMap(Double.init) ?? 1)
    }

    /// How many attempts a delivery gets before it is dead-lettered.
    public var attempts: Int { Self.waits.count + 1 }

    /// The wait in milliseconds after failed attempt number `attempt` (1-based), jittered by `random` in 0..<1;
    /// nil when that was the last attempt.
    public func wait(afterAttempt attempt: Int, random: Double) -> Int64? {
        guard attempt >= 1, attempt <= Self.waits.count else { return nil }
        let jitter = 0.8 + 0.4 * min(max(random, 0), 1)
        return Int64((Self.waits[attempt - 1] * scale * jitter * 1000).rounded())
    }
}
