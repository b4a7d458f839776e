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

/// Reads one answer at a time from a keep-alive connection to an instance.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var pending: EventLoopPromise<UpstreamResponse>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    /// Whether any part of the current answer arrived (a request on a reused connection that closed before that may
    /// be sent again on a new one).
    private(set) var answerStarted = false

    /// Expects the next answer, delivered to `promise`.
    func expect(_ promise: EventLoopPromise<UpstreamResponse>) {
        pending = promise
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
            guard let promise = pending, let head else { return }
            pending = nil
            promise.succeed(UpstreamResponse(head: head, body: body))
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
        guard let promise = pending else { return }
        pending = nil
        promise.fail(error)
    }
}

/// HTTP/1.1 to the instances of one event loop, over keep-alive connections kept per port. It lives on its event
/// loop and is only used there (each loop has its own), so it takes no locks.
final class UpstreamClient {
    /// A connection and its reader.
    private struct Connection {
        let channel: any Channel
        let handler: UpstreamHandler
    }

    let eventLoop: any EventLoop
    private var idle: [Int: [Connection]] = [:]
    /// Idle connections kept per port; more are closed.
    private let idleLimit = 256

    /// A client on `eventLoop`.
    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// Sends `head` and `body` to the instance on 127.0.0.1:`port` and waits at most `timeout` for its answer. A
    /// request that finds a reused connection closed before any answer arrives is sent once more on a new one.
    func send(port: Int, head: HTTPRequestHead, body: ByteBuffer?, timeout: TimeAmount) -> EventLoopFuture<UpstreamResponse> {
        let deadline = NIODeadline.now() + timeout
        while let connection = idle[port]?.popLast() {
            guard connection.channel.isActive else { continue }
            return exchange(connection, port: port, head: head, body: body, deadline: deadline).assumeIsolated().flatMapError { error in
                guard error as? UpstreamError == .closed, !connection.handler.answerStarted else {
                    return self.eventLoop.makeFailedFuture(error)
                }
                return self.connectAndExchange(port: port, head: head, body: body, deadline: deadline)
            }.nonisolated()
        }
        return connectAndExchange(port: port, head: head, body: body, deadline: deadline)
    }

    /// Closes every idle connection to `port` (its instance is gone).
    func forget(port: Int) {
        for connection in idle.removeValue(forKey: port) ?? [] { connection.channel.close(promise: nil) }
    }

    private func connectAndExchange(port: Int, head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline) -> EventLoopFuture<UpstreamResponse> {
        connect(port: port, deadline: deadline).assumeIsolated().flatMap { connection in
            self.exchange(connection, port: port, head: head, body: body, deadline: deadline)
        }.nonisolated()
    }

    private func connect(port: Int, deadline: NIODeadline) -> EventLoopFuture<Connection> {
        let remaining = deadline - NIODeadline.now()
        guard remaining > .zero else { return eventLoop.makeFailedFuture(UpstreamError.timeout) }
        return ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(remaining)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .flatMapErrorThrowing { _ in throw UpstreamError.connect }
            .assumeIsolated()
            .flatMapThrowing { channel in Connection(channel: channel, handler: try channel.pipeline.syncOperations.handler(type: UpstreamHandler.self)) }
            .nonisolated()
    }

    private func exchange(_ connection: Connection, port: Int, head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline) -> EventLoopFuture<UpstreamResponse> {
        let promise = eventLoop.makePromise(of: UpstreamResponse.self)
        connection.handler.expect(promise)
        let timer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            connection.handler.fail(.timeout)
            connection.channel.close(promise: nil)
        }
        let pipeline = connection.channel.pipeline.syncOperations
        pipeline.write(NIOAny(HTTPClientRequestPart.head(head)), promise: nil)
        if let body, body.readableBytes > 0 { pipeline.write(NIOAny(HTTPClientRequestPart.body(.byteBuffer(body))), promise: nil) }
        pipeline.writeAndFlush(NIOAny(HTTPClientRequestPart.end(nil)), promise: nil)
        return promise.futureResult.assumeIsolated().map { response in
            timer.cancel()
            if response.head.isKeepAlive, connection.channel.isActive, self.idle[port, default: []].count < self.idleLimit {
                self.idle[port, default: []].append(connection)
            } else {
                connection.channel.close(promise: nil)
            }
            return response
        }.flatMapErrorThrowing { error in
            timer.cancel()
            throw error
        }.nonisolated()
    }
}
