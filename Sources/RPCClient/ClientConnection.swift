public import NIOCore
import NIOPosix
public import RPCCore
import Synchronization

/// What a pool reads about a connection from any thread: open calls and whether it takes new ones.
final class ConnectionStatus: Sendable {
    private let inFlight = Atomic(0)
    private let limit = Atomic(0)
    private let isUsable = Atomic(false)

    var openCalls: Int { inFlight.load(ordering: .relaxed) }
    /// Whether new calls may be sent here (ready, not draining, not closed).
    var acceptsCalls: Bool { isUsable.load(ordering: .relaxed) }
    var isFull: Bool { openCalls >= limit.load(ordering: .relaxed) }

    func markReady(maxConcurrentCalls: Int) {
        limit.store(maxConcurrentCalls, ordering: .relaxed)
        isUsable.store(true, ordering: .relaxed)
    }
    func markDraining() { isUsable.store(false, ordering: .relaxed) }
    func markClosed() { isUsable.store(false, ordering: .relaxed) }
    func callOpened() { inFlight.add(1, ordering: .relaxed) }
    func callClosed() { inFlight.subtract(1, ordering: .relaxed) }
}

/// One multiplexed HabitRPC connection: many calls at once, each matched to its response by call id.
///
/// Deadlines run on event-loop timers; cancelling the calling task sends CANCEL. After the server
/// drains the connection, new calls fail with UNAVAILABLE + NOT_PROCESSED, which ``RPCClient``
/// retries on a fresh connection.
public final class ClientConnection: RPCClientTransport, Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<ClientConnectionHandler>
    let status: ConnectionStatus
    private let nextToken = Atomic<UInt64>(0)
    /// The connection's event loop as a task executor: calls made from tasks placed here
    /// (`Task(executorPreference: connection.taskExecutor)`) cost no thread hop, which suits load
    /// generators; such tasks must not compute for long between awaits.
    public let taskExecutor: EventLoopTaskExecutor

    private init(channel: any Channel, handler: NIOLoopBound<ClientConnectionHandler>, status: ConnectionStatus) {
        self.channel = channel
        self.handler = handler
        self.status = status
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: channel.eventLoop)
    }

    /// Connects, sends the preface and SETTINGS, and returns once the server's SETTINGS arrived, all within
    /// `connectTimeout`; `group` defaults to NIO's singleton.
    ///
    /// The connection pings a server it has heard nothing from for `settings.keepaliveTimeMilliseconds`
    /// (0: never), and closes, failing its open calls UNAVAILABLE, when nothing arrives within
    /// `keepaliveTimeout` of that PING (docs/PROTOCOL.md §9: 10 s; shorter only in tests).
    public static func connect(
        to address: SocketAddress,
        settings: ConnectionSettings = ConnectionSettings(),
        keepaliveTimeout: TimeAmount = .seconds(10),
        connectTimeout: TimeAmount = .seconds(5),
        group: (any EventLoopGroup)? = nil
    ) async throws -> ClientConnection {
        let group = group ?? MultiThreadedEventLoopGroup.singleton
        let status = ConnectionStatus()
        let eventLoop = group.next()
        let ready = eventLoop.makePromise(of: Void.self)
        // Bounds the handshake too: a peer that accepts TCP but never sends SETTINGS must not hang the caller.
        let handshakeTimer = eventLoop.scheduleTask(in: connectTimeout) {
            ready.fail(RPCError(code: .unavailable, message: "no SETTINGS within \(connectTimeout)"))
        }
        defer { handshakeTimer.cancel() }
        let channel = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ClientConnectionHandler(settings: settings, keepaliveTimeout: keepaliveTimeout, status: status,
                                                readyPromise: ready))
                }
            }
            .connect(to: address).get()
        let handler = try await channel.pipeline.handler(type: ClientConnectionHandler.self).map {
            NIOLoopBound($0, eventLoop: channel.eventLoop)
        }.get()
        do {
            try await ready.futureResult.get()
        } catch {
            channel.close(promise: nil)
            throw RPCError(code: .unavailable, message: "\(address) did not complete the HabitRPC handshake: \(error)", isNotProcessed: true)
        }
        return ClientConnection(channel: channel, handler: handler, status: status)
    }

    /// Calls this connection has open.
    public var openCalls: Int { status.openCalls }
    /// Whether new calls may go here (not draining or closed).
    public var acceptsCalls: Bool { status.acceptsCalls }

    /// Closes the connection; open calls fail with UNAVAILABLE.
    public func close() async {
        try? await channel.close()
    }

    public func unary(_ method: MethodDescriptor, request: ByteBuffer, options: CallOptions) async throws -> ByteBuffer {
        let token = nextToken.add(1, ordering: .relaxed).newValue
        let (handler, eventLoop) = (handler, channel.eventLoop)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                startUnary(method, request: request, options: options, token: token) { continuation.resume(with: $0) }
            }
        } onCancel: {
            eventLoop.execute { handler.value.cancel(token: token) }
        }
    }

    /// Starts a unary call without a task and calls `completion` with its outcome on the connection's
    /// event loop (``taskExecutor``'s `eventLoop`). A caller on that loop pays no continuation, task or
    /// thread hop per call: the shape of a pipelining load generator. Cancel is not offered; use
    /// `options.timeout` to bound the call.
    public func unary(
        _ method: MethodDescriptor, request: ByteBuffer, options: CallOptions,
        completion: @escaping @Sendable (Result<ByteBuffer, RPCError>) -> Void
    ) {
        startUnary(method, request: request, options: options, token: nextToken.add(1, ordering: .relaxed).newValue,
                   completion: completion)
    }

    /// Validates the metadata and opens the call on the loop; both unary forms go through here.
    private func startUnary(
        _ method: MethodDescriptor, request: ByteBuffer, options: CallOptions, token: UInt64,
        completion: @escaping @Sendable (Result<ByteBuffer, RPCError>) -> Void
    ) {
        let (handler, eventLoop) = (handler, channel.eventLoop)
        do {
            try options.metadata.validateForWire()
        } catch {
            eventLoop.runOnLoop { completion(.failure(error)) }
            return
        }
        let head = RequestHead(methodID: method.id, metadata: options.metadata)
        let timeout = options.timeout.map(Self.timeAmount)
        eventLoop.runOnLoop {
            handler.value.start(token: token, head: head, message: request, endStream: true, timeout: timeout,
                                waiter: .unary(completion))
        }
    }

    public func streaming<Result: Sendable>(
        _ method: MethodDescriptor,
        options: CallOptions,
        requests: @escaping @Sendable (RPCWriter<ByteBuffer>) async throws -> Void,
        responses: @escaping @Sendable (RPCAsyncSequence<ByteBuffer>) async throws -> Result
    ) async throws -> Result {
        try options.metadata.validateForWire()
        let token = nextToken.add(1, ordering: .relaxed).newValue
        let head = RequestHead(methodID: method.id, metadata: options.metadata)
        let timeout = options.timeout.map(Self.timeAmount)
        let (handler, eventLoop) = (handler, channel.eventLoop)
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        return try await withTaskCancellationHandler {
            let callID: UInt32 = try await withCheckedThrowingContinuation { opened in
                eventLoop.execute {
                    handler.value.start(token: token, head: head, message: nil, endStream: false, timeout: timeout,
                                        waiter: .streaming(continuation), opened: { opened.resume(with: $0) })
                }
            }
            let writer = RPCWriter<ByteBuffer> { message in
                try await withCheckedThrowingContinuation { sent in
                    eventLoop.execute { handler.value.send(callID: callID, message: message, continuation: sent) }
                }
            }
            let responseSequence = RPCAsyncSequence(wrapping: ConsumedMessages(base: stream) {
                eventLoop.execute { handler.value.consumed(callID: callID) }
            })
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await requests(writer)
                    try await withCheckedThrowingContinuation { sent in
                        eventLoop.execute { handler.value.send(callID: callID, message: nil, continuation: sent) }
                    }
                }
                let result: Result
                do {
                    result = try await responses(responseSequence)
                } catch {
                    // The reader gave up (or the call failed): make sure the server stops too.
                    eventLoop.execute { handler.value.abandon(callID: callID) }
                    throw error
                }
                eventLoop.execute { handler.value.abandon(callID: callID) }
                group.cancelAll()
                while let next = await group.nextResult() {
                    if case .failure(let error) = next, !(error is CancellationError), (error as? RPCError)?.code != .cancelled {
                        throw error
                    }
                }
                return result
            }
        } onCancel: {
            eventLoop.execute { handler.value.cancel(token: token) }
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }
}

/// Tells the response reader's consumption back to the connection, which returns credit.
struct ConsumedMessages: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    typealias Failure = any Error
    let base: AsyncThrowingStream<ByteBuffer, any Error>
    let onConsume: @Sendable () -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let onConsume: @Sendable () -> Void

        mutating func next() async throws -> ByteBuffer? {
            guard let element = try await base.next() else { return nil }
            onConsume()
            return element
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), onConsume: onConsume) }
}
