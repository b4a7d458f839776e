import NIOCore
import NIOHTTP1
import NIOPosix

/// What an instance answered.
struct UpstreamResponse {
    /// Its status line and headers.
    var head: HTTPResponseHead
    /// Its body, if it had one.
    var body: ByteBuffer?
}

/// Why an instance gave no answer.
enum UpstreamError: Error, Equatable {
    /// It did not answer within the request timeout.
    case timeout
    /// No connection could be made.
    case connect
    /// The connection closed (or broke) before the answer was complete.
    case closed
}

/// What a request to an instance came to.
typealias UpstreamResult = Result<UpstreamResponse, UpstreamError>

/// Reads one answer at a time from a keep-alive connection to an instance, and hands it (or why there was none) to
/// the callback waiting for it, exactly once.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var pending: ((UpstreamResult) -> Void)?
    /// When the answer being waited for is late.
    var deadline = NIODeadline.distantFuture
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    /// Whether any part of the current answer arrived (a request on a reused connection that closed before that may
    /// be sent again on a new one).
    private(set) var answerStarted = false

    /// Expects the next answer, delivered to `done`.
    func expect(_ done: @escaping (UpstreamResult) -> Void) {
        pending = done
        head = nil
        body = nil
        answerStarted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received):
            // An interim answer (100 Continue) is not the answer.
            guard received.status.code >= 200 else { return }
            head = received
            answerStarted = true
        case .body(var part):
            if body == nil { body = part } else { body?.writeBuffer(&part) }
        case .end:
            guard let done = pending, let head else { return }
            pending = nil
            done(.success(UpstreamResponse(head: head, body: body)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.closed)
        context.close(promise: nil)
    }

    /// Fails the answer being waited for, if any.
    func fail(_ error: UpstreamError) {
        guard let done = pending else { return }
        pending = nil
        done(.failure(error))
    }
}

/// HTTP/1.1 to the instances of one event loop, over keep-alive connections kept per port. It lives on its event
/// loop and is only used there (each loop has its own), so it takes no locks; answers come back as callbacks on that
/// loop, without a future per request.
final class UpstreamClient {
    /// A connection and its reader.
    private struct Connection {
        let channel: any Channel
        let handler: UpstreamHandler
    }

    let eventLoop: any EventLoop
    private var idle: [Int: [Connection]] = [:]
    /// The connections waiting for an answer, checked against their deadlines by one sweep every `sweepInterval`
    /// while any wait, instead of a timer scheduled and cancelled for every request.
    private var waiting: [ObjectIdentifier: Connection] = [:]
    private var sweep: Scheduled<Void>?
    /// How late past its deadline a request may be failed with a timeout.
    static let sweepInterval = TimeAmount.milliseconds(10)
    /// Idle connections kept per port; more are closed.
    private let idleLimit = 256

    /// A client on `eventLoop`.
    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// Sends `head` and `body` to the instance on 127.0.0.1:`port` and calls `done` with its answer, or with why there
    /// was none within `timeout`. A request that finds a reused connection closed before any answer arrives is sent
    /// once more on a new one.
    func send(port: Int, head: HTTPRequestHead, body: ByteBuffer?, timeout: TimeAmount, done: @escaping (UpstreamResult) -> Void) {
        let deadline = NIODeadline.now() + timeout
        while let connection = idle[port]?.popLast() {
            guard connection.channel.isActive else { continue }
            return exchange(connection, port: port, head: head, body: body, deadline: deadline) { result in
                if case .failure(.closed) = result, !connection.handler.answerStarted {
                    return self.connectAndExchange(port: port, head: head, body: body, deadline: deadline, done: done)
                }
                done(result)
            }
        }
        connectAndExchange(port: port, head: head, body: body, deadline: deadline, done: done)
    }

    /// Schedules the next sweep, unless one is scheduled.
    private func startSweep() {
        guard sweep == nil else { return }
        sweep = eventLoop.assumeIsolated().scheduleTask(in: Self.sweepInterval) { self.sweepLate() }
    }

    /// Fails and closes every connection whose answer is past its deadline; sweeps again while any still wait.
    private func sweepLate() {
        sweep = nil
        let now = NIODeadline.now()
        for connection in waiting.values where connection.handler.deadline <= now {
            connection.handler.fail(.timeout)  // its callback takes it out of `waiting`
            connection.channel.close(promise: nil)
        }
        if !waiting.isEmpty { startSweep() }
    }

    /// Closes every idle connection to `port` (its instance is gone).
    func forget(port: Int) {
        for connection in idle.removeValue(forKey: port) ?? [] { connection.channel.close(promise: nil) }
    }

    private func connectAndExchange(port: Int, head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline, done: @escaping (UpstreamResult) -> Void) {
        let remaining = deadline - NIODeadline.now()
        guard remaining > .zero else { return done(.failure(.timeout)) }
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(remaining)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .assumeIsolated()
            .whenComplete { result in
                guard case .success(let channel) = result, let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
                    return done(.failure(.connect))
                }
                self.exchange(Connection(channel: channel, handler: handler), port: port, head: head, body: body, deadline: deadline, done: done)
            }
    }

    private func exchange(_ connection: Connection, port: Int, head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline,
                          done: @escaping (UpstreamResult) -> Void) {
        let key = ObjectIdentifier(connection.handler)
        connection.handler.deadline = deadline
        waiting[key] = connection
        startSweep()
        connection.handler.expect { result in
            self.waiting[key] = nil
            if case .success(let response) = result, response.head.isKeepAlive, connection.channel.isActive,
               self.idle[port, default: []].count < self.idleLimit {
                self.idle[port, default: []].append(connection)
            } else if case .success = result {
                connection.channel.close(promise: nil)
            }
            done(result)
        }
        let pipeline = connection.channel.pipeline.syncOperations
        pipeline.write(NIOAny(HTTPClientRequestPart.head(head)), promise: nil)
        if let body, body.readableBytes > 0 { pipeline.write(NIOAny(HTTPClientRequestPart.body(.byteBuffer(body))), promise: nil) }
        pipeline.writeAndFlush(NIOAny(HTTPClientRequestPart.end(nil)), promise: nil)
    }
}
