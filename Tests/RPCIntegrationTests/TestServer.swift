import Logging
import Metrics
import NIOCore
import NIOPosix
import RPCClient
import RPCCore
import RPCEchoService
import RPCServer
import Synchronization
import Testing

/// A real server on 127.0.0.1 port 0 serving the echo methods, for the duration of `body`.
func withEchoServer<Result: Sendable>(
    configure: (inout RPCServer.Configuration) -> Void = { _ in },
    interceptors: [any ServerInterceptor] = [],
    extraMethods: [ServerMethod] = [],
    metricsFactory: (any MetricsFactory)? = nil,
    _ body: (SocketAddress, EchoService, RPCServer) async throws -> Result
) async throws -> Result {
    var configuration = RPCServer.Configuration()
    configure(&configuration)
    let service = EchoService()
    var logger = Logger(label: "test.server")
    logger.logLevel = .critical
    let server = try RPCServer(
        configuration: configuration, methods: service.methods + extraMethods, interceptors: interceptors, logger: logger,
        metricsFactory: metricsFactory)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        let address = try await server.localAddress()
        do {
            let result = try await body(address, service, server)
            server.beginGracefulShutdown()
            try await group.waitForAll()
            return result
        } catch {
            server.beginGracefulShutdown()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// A u32 payload.
func payload(_ value: UInt32) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(value)
    return buffer
}

/// The u32 at the start of a payload.
func value(_ buffer: ByteBuffer) -> UInt32? {
    buffer.getInteger(at: buffer.readerIndex, as: UInt32.self)
}

/// A raw TCP peer: sends bytes it builds itself and records everything the server sends.
final class RawSession: Sendable {
    private let channel: any Channel
    private let received: ReceivedBytes

    private init(channel: any Channel, received: ReceivedBytes) {
        self.channel = channel
        self.received = received
    }

    static func open(_ address: SocketAddress) async throws -> RawSession {
        let received = ReceivedBytes()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawCollector(received: received))
                }
            }
            .connect(to: address).get()
        return RawSession(channel: channel, received: received)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Everything received so far, and whether the server closed the connection.
    var bytes: [UInt8] { received.state.withLock { $0.bytes } }
    var isClosed: Bool { received.state.withLock { $0.isClosed } }

    /// Waits until the frames received satisfy `condition`, and returns them.
    func waitForFrames(_ condition: ([Frame]) -> Bool) async throws -> [Frame] {
        try await waitForFramesSatisfying(condition) { try frames(in: bytes) }
    }

    /// Waits until the server closes the connection; returns every byte it sent.
    func waitForClose() async throws -> [UInt8] {
        try await waitUntilClosed { isClosed }
        return bytes
    }

    func close() async {
        try? await channel.close()
    }
}

/// Polls (every 10 ms, up to 60 s: a liveness bound for a loaded machine) until the frames `read` returns
/// satisfy `condition`, and returns them; records an issue if they never do.
func waitForFramesSatisfying(_ condition: ([Frame]) -> Bool, read: () throws -> [Frame]) async throws -> [Frame] {
    for _ in 0..<6000 {
        let decoded = try read()
        if condition(decoded) { return decoded }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("expected frames did not arrive within 60 s: \(try read())")
    return try read()
}

/// Polls (every 10 ms, up to 60 s) until the peer closed the connection; records an issue if it never does.
func waitUntilClosed(_ isClosed: () -> Bool) async throws {
    for _ in 0..<6000 where !isClosed() { try await Task.sleep(for: .milliseconds(10)) }
    #expect(isClosed(), "the peer did not close the connection")
}

/// A scripted HabitRPC server on 127.0.0.1 port 0, for testing the client: it sends `settings` to each
/// connection (nothing if nil), records every frame the client sends, and writes `answer(frame)` back.
final class RawServer: Sendable {
    private let listener: any Channel
    private let received: ReceivedFrames

    private init(listener: any Channel, received: ReceivedFrames) {
        self.listener = listener
        self.received = received
    }

    static func start(
        settings: [ConnectionSettings.Entry]? = [], answer: @escaping @Sendable (Frame) -> [Frame] = { _ in [] }
    ) async throws -> RawServer {
        let received = ReceivedFrames()
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ScriptedServerHandler(settings: settings, received: received, answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RawServer(listener: listener, received: received)
    }

    /// Where clients connect.
    var address: SocketAddress {
        get throws {
            guard let address = listener.localAddress else { throw RPCError(code: .internalError, message: "not bound") }
            return address
        }
    }

    /// Every frame the client sent so far (after its preface).
    var frames: [Frame] { received.state.withLock { $0.frames } }

    /// Waits until the frames received satisfy `condition`, and returns them.
    func waitForFrames(_ condition: ([Frame]) -> Bool) async throws -> [Frame] {
        try await waitForFramesSatisfying(condition) { frames }
    }

    /// Waits until the client closes its connection; returns every frame it sent.
    func waitForClose() async throws -> [Frame] {
        try await waitUntilClosed { received.state.withLock { $0.isClosed } }
        return frames
    }

    func close() async {
        try? await listener.close()
    }
}

/// The frames a ``RawServer`` received, and whether the client closed.
final class ReceivedFrames: Sendable {
    struct State {
        var frames: [Frame] = []
        var isClosed = false
    }
    let state = Mutex(State())
}

/// A ``RawServer`` connection: SETTINGS first, then records and answers each frame.
final class ScriptedServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let settings: [ConnectionSettings.Entry]?
    private let received: ReceivedFrames
    private let answer: @Sendable (Frame) -> [Frame]
    private var processor = NIOSingleStepByteToMessageProcessor(FrameDecoder(maxFrameSize: 1 << 30, expectsPreface: true))

    init(settings: [ConnectionSettings.Entry]?, received: ReceivedFrames, answer: @escaping @Sendable (Frame) -> [Frame]) {
        self.settings = settings
        self.received = received
        self.answer = answer
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let settings else { return }
        context.writeAndFlush(wrapOutboundOut(Frame.settings(settings).encoded()), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var replies = ByteBuffer()
        do {
            try processor.process(buffer: unwrapInboundIn(data)) { event in
                guard case .frame(let frame) = event else { return }
                received.state.withLock { $0.frames.append(frame) }
                for reply in answer(frame) { reply.encode(into: &replies) }
            }
        } catch {
            Issue.record("the client sent bytes that do not decode: \(error)")
            context.close(promise: nil)
        }
        if replies.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(replies), promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.state.withLock { $0.isClosed = true }
    }
}

/// The bytes a ``RawSession`` received.
final class ReceivedBytes: Sendable {
    struct State {
        var bytes: [UInt8] = []
        var isClosed = false
    }
    let state = Mutex(State())
}

/// Sends `bytes` on a new connection and returns what the server sent until it closed it.
func rawExchange(_ address: SocketAddress, _ bytes: [UInt8]) async throws -> [UInt8] {
    let session = try await RawSession.open(address)
    // The server may close before it has read everything; what it sent until then is the answer.
    try? await session.send(bytes)
    let received = try await session.waitForClose()
    await session.close()
    return received
}

/// Sends `bytes` on a new connection and returns the frames received once `responses` RESPONSEs arrived.
func rawExchangeUntil(_ address: SocketAddress, _ bytes: [UInt8], responses: Int) async throws -> [Frame] {
    let session = try await RawSession.open(address)
    try await session.send(bytes)
    let frames = try await session.waitForFrames { frames in
        frames.count { if case .response = $0 { true } else { false } } >= responses
    }
    await session.close()
    return frames
}

/// Records inbound bytes and the close.
final class RawCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let received: ReceivedBytes

    init(received: ReceivedBytes) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.state.withLock { $0.bytes += buffer.readableBytesView }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.state.withLock { $0.isClosed = true }
    }
}

/// Decodes the frames a server sent (without preface).
func frames(in bytes: [UInt8]) throws -> [Frame] {
    var decoder = FrameDecoder(maxFrameSize: 1 << 30, expectsPreface: false)
    var buffer = ByteBuffer(bytes: bytes)
    var frames: [Frame] = []
    while let event = try decoder.decodeNext(&buffer) {
        if case .frame(let frame) = event { frames.append(frame) }
    }
    return frames
}

/// The preface and a default SETTINGS frame, as a client opens.
func clientOpening() -> [UInt8] {
    FrameDecoder.preface + Array(Frame.settings(ConnectionSettings().entries).encoded().readableBytesView)
}

extension Frame {
    var bytes: [UInt8] { Array(encoded().readableBytesView) }
}
