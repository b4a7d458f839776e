import Foundation
import MLGateCore
import MLGateDeploy
import NIOCore
import NIOHTTP1

/// One client connection: reads each request whole (up to the body limit), routes it to a deployment by the table in
/// force (or the pin header), sends it to one of the deployment's instances, copies it to the mirror when sampled,
/// and answers with the instance's answer and the headers that say who answered.
final class RouterHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Where the connection is between requests.
    private enum State {
        /// Waiting for a request's head.
        case idle
        /// Reading a request's body.
        case reading(HTTPRequestHead, ByteBuffer?)
        /// Answered early (413) and discarding the rest of the request before closing.
        case discarding
        /// Waiting for a deployment's answer.
        case waiting
    }

    private let router: Router
    private let client: UpstreamClient
    private var state = State.idle
    private var headerTimer: Scheduled<Void>?
    /// Since when the connection has waited for a request head; nil while a request is read or answered.
    private var idleSince: NIODeadline?
    /// Parts of requests a client sent before the answer to its previous one (HTTP/1.1 pipelining), handled in order
    /// once it is answered; a client that sends too many is disconnected.
    private var pipelined: [HTTPServerRequestPart] = []
    private var draining = false
    /// The client's IP address, written out once (it is on every request sent to an instance as x-forwarded-for).
    private var remoteAddress: String?

    /// The handler of a connection served by `router`, reaching instances through `client` (its event loop's).
    init(router: Router, client: UpstreamClient) {
        self.router = router
        self.client = client
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.remoteAddress?.ipAddress
        idleSince = .now()
        watchHeaderTimeout(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        headerTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handle(context: context, unwrapInboundIn(data))
    }

    private func handle(context: ChannelHandlerContext, _ part: HTTPServerRequestPart) {
        if case .waiting = state {
            guard pipelined.count < 256 else { return context.close(promise: nil) }
            return pipelined.append(part)
        }
        switch (part, state) {
        case (.head(let head), .idle):
            idleSince = nil
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > router.limits.maxRequestBytes {
                rejectTooLarge(context: context, head: head)
            } else {
                state = .reading(head, nil)
            }
        case (.body(var part), .reading(let head, var body)):
            if (body?.readableBytes ?? 0) + part.readableBytes > router.limits.maxRequestBytes {
                rejectTooLarge(context: context, head: head)
                return
            }
            if body == nil { body = part } else { body?.writeBuffer(&part) }
            state = .reading(head, body)
        case (.end, .reading(let head, let body)):
            state = .waiting
            route(context: context, head: head, body: body)
        case (.end, .discarding):
            context.close(promise: nil)
        default:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed requests are answered 400 by NIO's error handler before this; anything else ends the connection.
        context.close(promise: nil)
    }

    // MARK: - Routing

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?) {
        let started = NIODeadline.now()
        let requestID = Router.requestID(head.headers)
        if head.uri.hasPrefix("/-/") { return answerOwn(context: context, head: head, requestID: requestID) }
        guard let table = router.current else {
            return answerError(context: context, head: head, status: .serviceUnavailable, requestID: requestID, message: "the endpoint is starting; try again shortly", retryAfter: true)
        }
        let pin = head.headers.first(name: "mlgate-deployment") ?? head.headers.first(name: "azureml-model-deployment")
        let route: DeploymentRoute
        var mirror: DeploymentRoute?
        if let pin {
            guard let pinned = table.routes[pin] else {
                router.metrics.count("mlgate_rejected_total", ["reason": "unknown_deployment"])
                let names = table.plan.deployments.map(\.name).joined(separator: ", ")
                return answerError(context: context, head: head, status: .notFound, requestID: requestID,
                                   message: "endpoint '\(router.endpoint)' has no deployment '\(pin)'; its deployments are \(names)")
            }
            route = pinned  // a pinned request bypasses the shares and is never mirrored (Azure's rule)
        } else {
            guard let live = table.nextLive() else {
                router.metrics.count("mlgate_rejected_total", ["reason": "no_live_traffic"])
                return answerError(context: context, head: head, status: .serviceUnavailable, requestID: requestID,
                                   message: "no deployment of endpoint '\(router.endpoint)' takes live traffic; pin one with the mlgate-deployment header or set the traffic")
            }
            route = live
            mirror = table.nextMirror()
        }
        let port: Int
        switch route.acquire() {
        case .success(let acquired): port = acquired
        case .failure(let refusal):
            let full = refusal == .full
            router.metrics.count("mlgate_rejected_total", ["reason": full ? "concurrency" : "no_ready_instance"])
            return answerError(context: context, head: head, status: .serviceUnavailable, requestID: requestID, deployment: route,
                               message: full ? "deployment '\(route.name)' is working on as many requests as it may; retry shortly"
                                             : "deployment '\(route.name)' has no instance ready", retryAfter: true)
        }
        let upstreamHead = Self.upstreamHead(head, body: body, requestID: requestID, client: remoteAddress)
        let timeout = TimeAmount.milliseconds(Int64(router.limits.requestTimeoutMilliseconds))
        if let mirror { sendMirror(mirror, head: upstreamHead, body: body, timeout: timeout) }
        client.send(port: port, head: upstreamHead, body: body, timeout: timeout) { result in
            route.release()
            let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            switch result {
            case .success(let response):
                self.router.metrics.answered(deployment: route.name, code: response.head.status.code, seconds: seconds)
                self.router.collector?.record(endpoint: self.router.endpoint, deployment: route.plan, requestID: requestID, request: head, body: body,
                                              response: response)
                var headers = Router.endToEnd(response.head.headers)
                Self.addIdentity(&headers, route: route, requestID: requestID)
                self.answer(context: context, head: head, status: response.head.status, headers: headers, body: response.body)
            case .failure(let error):
                let kind = error
                self.router.metrics.count("mlgate_upstream_errors_total", ["deployment": route.name, "kind": "\(kind)"])
                // Nothing was sent to an instance that refused the connection (it just died): the request can be retried.
                let status: HTTPResponseStatus = switch kind {
                case .timeout: .gatewayTimeout
                case .connect: .serviceUnavailable
                case .closed: .badGateway
                }
                self.router.metrics.answered(deployment: route.name, code: status.code, seconds: seconds)
                let message = switch kind {
                case .timeout: "deployment '\(route.name)' did not answer within \(self.router.limits.requestTimeoutMilliseconds) ms"
                case .connect: "an instance of deployment '\(route.name)' is not reachable; retry shortly"
                case .closed: "deployment '\(route.name)' closed the connection without an answer"
                }
                self.answerError(context: context, head: head, status: status, requestID: requestID, deployment: route, message: message,
                                 retryAfter: kind == .connect)
            }
        }
    }

    /// Copies the request to the mirror off the request path: its answer is discarded, and when the mirror is at its
    /// limit (slow or dead) the copy is dropped and counted instead of waiting.
    private func sendMirror(_ route: DeploymentRoute, head: HTTPRequestHead, body: ByteBuffer?, timeout: TimeAmount) {
        guard router.takeMirrorSlot() else {
            router.metrics.count("mlgate_mirror_requests_total", ["deployment": route.name, "result": "dropped"])
            return
        }
        guard case .success(let port) = route.acquire() else {
            router.releaseMirrorSlot()
            router.metrics.count("mlgate_mirror_requests_total", ["deployment": route.name, "result": "dropped"])
            return
        }
        router.metrics.count("mlgate_mirror_requests_total", ["deployment": route.name, "result": "sent"])
        var headers = head.headers
        headers.replaceOrAdd(name: "mlgate-mirror", value: "1")
        let copy = HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: headers)
        client.send(port: port, head: copy, body: body, timeout: timeout) { result in
            route.release()
            self.router.releaseMirrorSlot()
            let answered = if case .success = result { "answered" } else { "failed" }
            self.router.metrics.count("mlgate_mirror_requests_total", ["deployment": route.name, "result": answered])
        }
    }

    /// The router's own paths: `/-/health` (it runs), `/-/ready` (every live deployment has an instance ready) and
    /// `/-/metrics` (Prometheus).
    private func answerOwn(context: ChannelHandlerContext, head: HTTPRequestHead, requestID: String) {
        var headers = HTTPHeaders()
        headers.add(name: "x-request-id", value: requestID)
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        switch path {
        case "/-/health":
            headers.add(name: "content-type", value: "application/json")
            answer(context: context, head: head, status: .ok, headers: headers, body: ByteBuffer(string: "{\"status\":\"ok\"}\n"))
        case "/-/ready":
            let ready = router.isReady
            headers.add(name: "content-type", value: "application/json")
            answer(context: context, head: head, status: ready ? .ok : .serviceUnavailable, headers: headers,
                   body: ByteBuffer(string: ready ? "{\"ready\":true}\n" : "{\"ready\":false}\n"))
        case "/-/metrics":
            headers.add(name: "content-type", value: "text/plain; version=0.0.4")
            answer(context: context, head: head, status: .ok, headers: headers, body: ByteBuffer(string: router.metrics.render()))
        default:
            answerError(context: context, head: head, status: .notFound, requestID: requestID, message: "the router's own paths are /-/health, /-/ready and /-/metrics")
        }
    }

    private func rejectTooLarge(context: ChannelHandlerContext, head: HTTPRequestHead) {
        state = .discarding
        router.metrics.count("mlgate_rejected_total", ["reason": "body_too_large"])
        answerError(context: context, head: head, status: .payloadTooLarge, requestID: Router.requestID(head.headers),
                    message: "the request body is larger than the endpoint's limit of \(router.limits.maxRequestBytes) bytes (limits.max_request_bytes)",
                    close: true)
    }

    // MARK: - Answers

    private func answerError(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, requestID: String,
                             deployment: DeploymentRoute? = nil, message: String, retryAfter: Bool = false, close: Bool = false) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        if retryAfter { headers.add(name: "retry-after", value: "1") }
        if let deployment { Self.addIdentity(&headers, route: deployment, requestID: requestID) } else { headers.add(name: "x-request-id", value: requestID) }
        let body = ByteBuffer(string: "{\"error\":\(JSONText.quoted(message))}\n")
        answer(context: context, head: head, status: status, headers: headers, body: body, close: close)
    }

    private func answer(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer?,
                        close: Bool = false) {
        let keepAlive = head.isKeepAlive && !close && !router.isStopping
        var headers = headers
        headers.replaceOrAdd(name: "content-length", value: String(body?.readableBytes ?? 0))
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let body, head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let end = wrapOutboundOut(.end(nil))
        guard keepAlive else {
            // A future only when the connection closes after the write.
            let done = context.writeAndFlush(end)
            if case .discarding = state { return }  // closed once the rest of the request is read
            state = .idle
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.writeAndFlush(end, promise: nil)
        state = .idle
        idleSince = .now()
        handlePipelined(context: context)
    }

    /// Handles the parts of pipelined requests that arrived while the previous one was waiting, in order.
    private func handlePipelined(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !pipelined.isEmpty {
            if case .waiting = state { return }
            handle(context: context, pipelined.removeFirst())
        }
    }

    /// Closes the connection when a request head does not arrive within the header timeout of the connection
    /// opening or the last answer (an idle keep-alive connection too). One check every quarter of the timeout per
    /// connection, instead of a timer set and cancelled for every request.
    private func watchHeaderTimeout(context: ChannelHandlerContext) {
        let timeout = TimeAmount.milliseconds(Int64(router.limits.headerTimeoutMilliseconds))
        headerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(max(timeout.nanoseconds / 4, 1_000_000))) {
            if let since = self.idleSince, NIODeadline.now() - since >= timeout { return context.close(promise: nil) }
            self.watchHeaderTimeout(context: context)
        }
    }

    // MARK: - Headers

    /// The request as an instance gets it: end-to-end headers only, the body's length, the request id, and who sent it.
    static func upstreamHead(_ head: HTTPRequestHead, body: ByteBuffer?, requestID: String, client address: String?) -> HTTPRequestHead {
        var headers = Router.endToEnd(head.headers)
        headers.replaceOrAdd(name: "x-request-id", value: requestID)
        if let body { headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes)) }
        else if head.method == .POST || head.method == .PUT || head.method == .PATCH { headers.replaceOrAdd(name: "content-length", value: "0") }
        if let address {
            let forwarded = headers.first(name: "x-forwarded-for").map { $0 + ", " + address } ?? address
            headers.replaceOrAdd(name: "x-forwarded-for", value: forwarded)
        }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
    }

    /// Says which deployment and version answered, under mlgate's names and Azure's, and the request id.
    static func addIdentity(_ headers: inout HTTPHeaders, route: DeploymentRoute, requestID: String) {
        headers.replaceOrAdd(name: "mlgate-deployment", value: route.name)
        headers.replaceOrAdd(name: "azureml-model-deployment", value: route.name)
        headers.replaceOrAdd(name: "mlgate-model-version", value: route.plan.version)
        headers.replaceOrAdd(name: "x-request-id", value: requestID)
    }
}
