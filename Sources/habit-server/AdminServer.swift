import HabitAPI
import HabitHandlers
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The admin HTTP port: `/health` (liveness: the process serves HTTP), `/ready` (readiness: the
/// HealthService status, with the reason when not ready) and `/metrics` (Prometheus text from the
/// process's registry). Loopback by default; no authentication.
struct AdminServer: Service {
    let host: String
    let port: Int
    let board: ServingStatusBoard
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    func run() async throws {
        let (board, registry) = (board, registry)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(AdminHTTPHandler(board: board, registry: registry))
                }
            }
            .bind(host: host, port: port).get()
        logger.info("admin ready", metadata: ["admin.port": "\(channel.localAddress?.port ?? 0)"])
        try? await gracefulShutdown()
        try await channel.close()
    }
}

/// Answers one admin request per HTTP request from the status board or the metrics registry; everything
/// else is 404.
final class AdminHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The content type of `/metrics`: Prometheus text exposition format 0.0.4.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    private let board: ServingStatusBoard
    private let registry: PrometheusCollectorRegistry

    init(board: ServingStatusBoard, registry: PrometheusCollectorRegistry) {
        self.board = board
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else { return }
        let (status, contentType, body) = response(for: request, allocator: context.channel.allocator)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: "\(body.readableBytes)")
        if !request.isKeepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let keepAlive = request.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    private func response(
        for request: HTTPRequestHead, allocator: ByteBufferAllocator
    ) -> (HTTPResponseStatus, contentType: String, ByteBuffer) {
        let text = "text/plain; charset=utf-8"
        guard request.method == .GET else { return (.methodNotAllowed, text, ByteBuffer(string: "only GET\n")) }
        switch request.uri {
        case "/health":
            return (.ok, text, ByteBuffer(string: "ok\n"))
        case "/ready":
            let (status, reason) = board.current
            return status == .serving
                ? (.ok, text, ByteBuffer(string: "ready\n"))
                : (.serviceUnavailable, text, ByteBuffer(string: "not ready: \(reason)\n"))
        case "/metrics":
            // A few hundred lines of text: formatting them is short CPU work, not a blocking call.
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return (.ok, Self.metricsContentType, allocator.buffer(bytes: bytes))
        default:
            return (.notFound, text, ByteBuffer(string: "not found; try /health, /ready or /metrics\n"))
        }
    }
}
