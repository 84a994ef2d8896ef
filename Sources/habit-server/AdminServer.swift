import HabitAPI
import HabitHandlers
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The admin HTTP port: `/health` (liveness: the process serves HTTP) and `/ready` (readiness: the
/// HealthService status, with the reason when not ready). Loopback by default; no authentication.
struct AdminServer: Service {
    let host: String
    let port: Int
    let board: ServingStatusBoard
    let logger: Logger

    func run() async throws {
        let board = board
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(AdminHTTPHandler(board: board))
                }
            }
            .bind(host: host, port: port).get()
        logger.info("admin ready", metadata: ["admin.port": "\(channel.localAddress?.port ?? 0)"])
        try? await gracefulShutdown()
        try await channel.close()
    }
}

/// Answers one admin request per HTTP request from the status board; everything else is 404.
final class AdminHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let board: ServingStatusBoard

    init(board: ServingStatusBoard) { self.board = board }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else { return }
        let (status, body) = response(for: request)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: "\(body.utf8.count)")
        if !request.isKeepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let keepAlive = request.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    private func response(for request: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        guard request.method == .GET else { return (.methodNotAllowed, "only GET\n") }
        switch request.uri {
        case "/health":
            return (.ok, "ok\n")
        case "/ready":
            let (status, reason) = board.current
            return status == .serving ? (.ok, "ready\n") : (.serviceUnavailable, "not ready: \(reason)\n")
        default:
            return (.notFound, "not found; try /health or /ready\n")
        }
    }
}
