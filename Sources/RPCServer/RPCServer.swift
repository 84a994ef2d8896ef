public import Logging
public import Metrics
public import NIOCore
import NIOPosix
public import RPCCore
import Synchronization

/// A HabitRPC server: listens on TCP, serves the given methods over docs/PROTOCOL.md.
///
/// `run()` serves until the task is cancelled or ``beginGracefulShutdown()`` is called; then every
/// connection is drained (DRAIN / DRAIN_ACK), in-flight calls get ``Configuration/drainGracePeriod``
/// to finish, queued writes are flushed and the connections closed before `run()` returns.
public final class RPCServer: Sendable {
    public let configuration: Configuration
    private let router: MethodRouter
    private let interceptors: InterceptorChain
    private let logger: Logger
    private let registry: ConnectionRegistry
    private let state = Mutex(State())

    private struct State {
        var channel: (any Channel)?
        var addressWaiters: [CheckedContinuation<SocketAddress, any Error>] = []
        var failure: (any Error)?
        var isShutdownRequested = false
    }

    /// A server for `methods`; throws if two methods share an id or a full name.
    ///
    /// Connection metrics (`hrpc_server_connections_open`, `hrpc_server_connections_accepted_total`,
    /// `hrpc_server_connections_refused_total`) go to `metricsFactory`, by default the process's
    /// `MetricsSystem`; call metrics come from ``ServerMetricsInterceptor``.
    public init(
        configuration: Configuration = Configuration(),
        methods: [ServerMethod],
        interceptors: [any ServerInterceptor] = [],
        logger: Logger = Logger(label: "habitrpc.server"),
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        self.configuration = configuration
        self.router = try MethodRouter(methods)
        self.interceptors = InterceptorChain(interceptors: interceptors)
        self.logger = logger
        self.registry = ConnectionRegistry(
            maxConnections: configuration.maxConnections, metricsFactory: metricsFactory ?? MetricsSystem.factory)
    }

    /// Binds, serves, and returns after a graceful shutdown.
    public func run() async throws {
        let group = configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let (router, configuration, interceptors, logger, registry) = (router, configuration, interceptors, logger, registry)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(
                low: configuration.writeBufferHighWaterMark / 4, high: configuration.writeBufferHighWaterMark))
            .childChannelInitializer { channel in
                guard let registration = registry.admit() else {
                    logger.warning("refusing connection: limit reached", metadata: ["limit": "\(registry.maxConnections)"])
                    let goAway = Frame.goAway(.resourceLimit, message: "too many connections: limit is \(registry.maxConnections)")
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RefusingHandler(goAway: goAway))
                    }
                }
                channel.closeFuture.whenComplete { _ in registration.unregister() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ServerConnectionHandler(
                        router: router, configuration: configuration, interceptors: interceptors, logger: logger,
                        drainRegistration: registration))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            fail(error)
            throw error
        }
        let (waiters, stopAtOnce) = state.withLock { state in
            state.channel = channel
            defer { state.addressWaiters.removeAll() }
            return (state.addressWaiters, state.isShutdownRequested)
        }
        if let address = channel.localAddress {
            logger.info("listening", metadata: ["address": "\(address)"])
            for waiter in waiters { waiter.resume(returning: address) }
        }
        if stopAtOnce { beginGracefulShutdown() }
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
            await registry.waitUntilAllClosed()
        } onCancel: {
            self.beginGracefulShutdown()
        }
    }

    /// The address the server listens on, once `run()` has bound it (port 0 resolves here).
    public func localAddress() async throws -> SocketAddress {
        try await withCheckedThrowingContinuation { continuation in
            let result: Result<SocketAddress, any Error>? = state.withLock { state in
                if let error = state.failure { return .failure(error) }
                if let address = state.channel?.localAddress { return .success(address) }
                state.addressWaiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// Stops accepting connections and drains the open ones; `run()` returns when they are closed.
    public func beginGracefulShutdown() {
        let channel = state.withLock { state in
            state.isShutdownRequested = true
            return state.channel
        }
        registry.drainAll()
        channel?.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        let waiters = state.withLock { state in
            state.failure = error
            defer { state.addressWaiters.removeAll() }
            return state.addressWaiters
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }
}

/// Answers a connection over the limit with its GOAWAY as soon as it is active, then closes it.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let goAway: Frame

    init(goAway: Frame) { self.goAway = goAway }

    func channelActive(context: ChannelHandlerContext) {
        let bytes = goAway.encoded(allocator: context.channel.allocator)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
