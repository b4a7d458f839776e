/// The limits an endpoint's router enforces (`endpoints.NAME.limits`), with Azure ML's request timeout as default.
public struct ServeLimits: Hashable, Sendable {
    /// How long the router waits for a deployment's answer before it answers 504 (Azure's `request_timeout_ms`).
    public var requestTimeoutMilliseconds: Int
    /// The largest request body accepted; a larger one is answered 413.
    public var maxRequestBytes: Int
    /// Requests one instance of a deployment works on at once; beyond that the router answers 503 with
    /// `Retry-After` instead of queueing (Azure's `max_concurrent_requests_per_instance`, which answers 429).
    public var maxConcurrentRequestsPerInstance: Int
    /// How long a connection may take to send a request's headers (and how long an idle keep-alive connection stays open).
    public var headerTimeoutMilliseconds: Int
    /// How long a new instance may take to answer its health check before the start (or the change) is refused.
    public var startupTimeoutMilliseconds: Int
    /// Mirrored copies in flight at once, per endpoint; copies beyond that are dropped and counted.
    public var mirrorInFlight: Int

    /// The defaults: 5 s request timeout, 16 MiB bodies, 32 requests per instance, 10 s for headers, 60 s to start,
    /// 64 mirrored copies in flight.
    public init(requestTimeoutMilliseconds: Int = 5_000, maxRequestBytes: Int = 16 << 20, maxConcurrentRequestsPerInstance: Int = 32,
                headerTimeoutMilliseconds: Int = 10_000, startupTimeoutMilliseconds: Int = 60_000, mirrorInFlight: Int = 64) {
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.maxRequestBytes = maxRequestBytes
        self.maxConcurrentRequestsPerInstance = maxConcurrentRequestsPerInstance
        self.headerTimeoutMilliseconds = headerTimeoutMilliseconds
        self.startupTimeoutMilliseconds = startupTimeoutMilliseconds
        self.mirrorInFlight = mirrorInFlight
    }
}
