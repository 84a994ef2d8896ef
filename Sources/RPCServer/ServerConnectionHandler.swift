import Logging
import NIOCore
import RPCCore

/// One server connection on its event loop: decodes frames, feeds ``ServerConnectionStateMachine``,
/// and executes its actions (start handlers, write frames, cancel, close).
///
/// Handlers run in tasks; their results come back to the event loop through `execute`. Frames are
/// encoded into one pending buffer: those made while reading go out with one write and flush in
/// `channelReadComplete`, those from finished handlers share one per event-loop tick.
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the handler keeps per call beyond the state machine: the task and its plumbing.
    struct CallRuntime {
        var task: Task<Void, Never>?
        var deadline: Scheduled<Void>?
        var inbound: AsyncThrowingStream<ByteBuffer, any Error>.Continuation?
        var blockedWriters: [(ByteBuffer, CheckedContinuation<Void, any Error>)] = []
    }

    private var machine: ServerConnectionStateMachine
    private var processor: NIOSingleStepByteToMessageProcessor<FrameDecoder>
    private let configuration: RPCServer.Configuration
    private let interceptors: InterceptorChain
    private let logger: Logger
    private let onDrainRequest: DrainRegistration
    private var calls: [ServerConnectionStateMachine.CallToken: CallRuntime] = [:]
    private var context: ChannelHandlerContext?
    private var peer = "unknown"
    private var isReading = false
    /// Frames encoded since the last flush, written as one buffer.
    private var pendingOutput = ByteBuffer()
    private var isFlushScheduled = false
    private var isClosing = false
    private var keepalive: KeepaliveStateMachine
    private var lastBusyTime = NIODeadline.now()
    private var timers: [Scheduled<Void>] = []
    private var keepaliveTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    /// The connection's event loop as a task executor, when handlers are placed on it.
    private var handlerExecutor: EventLoopTaskExecutor?

    init(router: MethodRouter, configuration: RPCServer.Configuration, interceptors: InterceptorChain, logger: Logger,
         drainRegistration: DrainRegistration) {
        self.machine = ServerConnectionStateMachine(router: router, settings: configuration.settings,
                                                    memoryBudget: configuration.memoryBudgetPerConnection)
        self.processor = NIOSingleStepByteToMessageProcessor(
            FrameDecoder(maxFrameSize: configuration.settings.maxFrameSize, expectsPreface: true))
        self.keepalive = KeepaliveStateMachine(keepaliveTimeMilliseconds: configuration.settings.keepaliveTimeMilliseconds,
                                               timeout: configuration.keepaliveTimeout, now: .now())
        self.configuration = configuration
        self.interceptors = interceptors
        self.logger = logger
        self.onDrainRequest = drainRegistration
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if configuration.handlerPlacement == .eventLoop {
            handlerExecutor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        }
        peer = context.channel.remoteAddress.map { "\($0)" } ?? "unknown"
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        onDrainRequest.register { eventLoop.execute { loopBound.value.beginDrain(reason: "server shutting down") } }
        timers.append(eventLoop.scheduleTask(in: configuration.handshakeTimeout) {
            loopBound.value.handshakeTimedOut()
        })
        if let age = configuration.maxConnectionAge {
            timers.append(eventLoop.scheduleTask(in: age) { loopBound.value.beginDrain(reason: "max connection age reached") })
        }
        armIdle(in: .milliseconds(Int64(configuration.settings.idleTimeoutMilliseconds)))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }
        isReading = true
        let now = NIODeadline.now()
        keepalive.received(at: now)
        let buffer = unwrapInboundIn(data)
        do {
            try processor.process(buffer: buffer) { event in
                guard !self.isClosing else { return }
                self.execute(self.machine.receive(event, now: now))
            }
        } catch let violation as ProtocolViolation {
            reject(violation)
        } catch {
            reject(ProtocolViolation(.malformedMeta, .protocolError, "undecodable input"))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        flushIfNeeded()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Backpressure: a peer that does not read its responses stops being read.
        let isWritable = context.channel.isWritable
        context.channel.setOption(ChannelOptions.autoRead, value: isWritable).whenFailure { _ in }
        if isWritable { context.read() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosing = true
        for token in machine.closed() { stopCall(token, error: RPCError(code: .unavailable, message: "connection closed")) }
        for token in Array(calls.keys) { stopCall(token, error: RPCError(code: .unavailable, message: "connection closed")) }
        for timer in timers { timer.cancel() }
        keepaliveTimer?.cancel()
        idleTimer?.cancel()
        timers.removeAll()
        onDrainRequest.unregister()
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["rpc.peer": "\(peer)", "error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Actions

    private func execute(_ action: ServerConnectionStateMachine.Action) {
        switch action {
        case .none:
            return
        case .handshakeCompleted:
            runKeepalive(keepalive.start(peerMinPingIntervalMilliseconds: machine.peerSettings.minPingIntervalMilliseconds))
        case .send(let frames):
            write(frames)
        case .start(let call):
            start(call)
        case .deliver(let token, let message, let isEndStream):
            guard let inbound = calls[token]?.inbound else { return }
            if let message { inbound.yield(message) }
            if isEndStream { inbound.finish() }
        case .cancel(let token, let frames):
            stopCall(token, error: RPCError(code: .cancelled, message: "call was answered"))
            write(frames)
        case .creditAvailable(let token):
            releaseWriters(token)
        case .close(let goAway, let tokens):
            for token in tokens { stopCall(token, error: RPCError(code: .unavailable, message: "connection closing")) }
            if let goAway {
                if case .goAway(let error, let message) = goAway {
                    logger.info("closing connection", metadata: ["rpc.peer": "\(peer)", "goaway": "\(error)", "reason": "\(message)"])
                }
                write([goAway])
            } else {
                close()
            }
        case .closeGracefully:
            write([.goAway(.noError, message: "drained")])
        }
        noteBusyState()
    }

    /// Queues frames for the next flush; a GOAWAY among them flushes and closes the connection.
    private func write(_ frames: [Frame]) {
        guard context != nil else { return }
        var closesAfter = false
        for frame in frames {
            frame.encode(into: &pendingOutput)
            if case .goAway = frame { closesAfter = true }
        }
        if closesAfter {
            isClosing = true
            flushIfNeeded()
            close()
        } else if !isReading {
            scheduleFlush()
        }
    }

    private func scheduleFlush() {
        guard !isFlushScheduled, let context else { return }
        isFlushScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            loopBound.value.isFlushScheduled = false
            loopBound.value.flushIfNeeded()
        }
    }

    private func flushIfNeeded() {
        guard pendingOutput.readableBytes > 0, let context else { return }
        let output = pendingOutput
        pendingOutput = context.channel.allocator.buffer(capacity: min(output.capacity, 64 * 1024))
        context.writeAndFlush(wrapOutboundOut(output), promise: nil)
    }

    private func close() {
        guard let context else { return }
        isClosing = true
        context.close(mode: .all, promise: nil)
    }

    /// A violation from the decoder: answer in a form the peer understands, then close.
    private func reject(_ violation: ProtocolViolation) {
        logger.info("rejecting connection", metadata: ["rpc.peer": "\(peer)", "reason": "\(violation.message)"])
        for token in machine.closed() { stopCall(token, error: RPCError(code: .unavailable, message: "protocol error")) }
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 256)
        switch violation.kind {
        case .badPrefaceHTTP:
            let body = "This port speaks HabitRPC, not HTTP. Expected the preface 48 52 50 43 01 00 00 00 (see docs/PROTOCOL.md).\n"
            buffer.writeString("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        case .badPrefaceTLS:
            buffer.writeBytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
        case .unsupportedVersion:
            Frame.settings(configuration.settings.entries).encode(into: &buffer)
            Frame.goAway(violation.goAwayError, message: violation.message).encode(into: &buffer)
        default:
            Frame.goAway(violation.goAwayError, message: violation.message).encode(into: &buffer)
        }
        isClosing = true
        flushIfNeeded()
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        close()
    }

    // MARK: Calls

    private func start(_ call: ServerConnectionStateMachine.StartedCall) {
        guard let context else { return }
        let eventLoop = context.eventLoop
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        let token = call.token
        let timeout = call.head.timeoutMicroseconds > 0 ? TimeAmount.microseconds(Int64(clamping: call.head.timeoutMicroseconds)) : nil
        let received = NIODeadline.now()
        let callContext = ServerCallContext(descriptor: call.method.descriptor, metadata: call.head.metadata,
                                            deadline: timeout.map { ContinuousClock.now.advanced(by: .nanoseconds($0.nanoseconds)) },
                                            peer: peer, callID: token.callID)
        let chain = interceptors
        let logger = logger
        // Registered before the task starts: with `.eventLoop` placement a handler that does not
        // suspend finishes inside `startTask`, and `finish` must find (and remove) its runtime.
        calls[token] = CallRuntime()
        let task: Task<Void, Never>
        switch call.method.handler {
        case .unary(let handler):
            let request = call.message ?? ByteBuffer()
            task = startTask {
                let completion = await HandlerOutcome.completion(of: callContext, logger: logger) {
                    .message(try await chain.run(callContext) { try await handler(request, $0) })
                }
                eventLoop.runOnLoop { loopBound.value.finish(token, completion) }
            }
        case .streaming(let handler):
            let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            if let message = call.message { continuation.yield(message) }
            if call.isEndStream { continuation.finish() }
            calls[token]?.inbound = continuation
            let requests = RPCAsyncSequence(wrapping: ConsumptionReportingSequence(base: stream) { size in
                eventLoop.execute { loopBound.value.execute(loopBound.value.machine.messageConsumed(token, size: size)) }
            })
            let writer = RPCWriter<ByteBuffer> { message in
                try await withCheckedThrowingContinuation { continuation in
                    eventLoop.execute { loopBound.value.writeMessage(token, message, continuation) }
                }
            }
            task = startTask {
                let completion = await HandlerOutcome.completion(of: callContext, logger: logger) {
                    try await chain.run(callContext) { try await handler(requests, writer, $0) }
                    return .noMessage
                }
                eventLoop.runOnLoop { loopBound.value.finish(token, completion) }
            }
        }
        // A call that already finished needs neither its task handle nor a deadline timer.
        guard calls[token] != nil else { return }
        calls[token]?.task = task
        if let timeout {
            calls[token]?.deadline = eventLoop.scheduleTask(deadline: received + timeout) {
                loopBound.value.execute(loopBound.value.machine.deadlineExceeded(token))
            }
        }
    }

    /// Starts a handler task where ``RPCServer/Configuration/handlerPlacement`` says. On the event loop
    /// the task starts at once, on this thread, and runs until its first suspension: a handler that
    /// completes without suspending costs no job on the loop's queue.
    private func startTask(_ operation: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        guard let handlerExecutor else { return Task(operation: operation) }
        if #available(macOS 26.0, *) {
            return Task.immediate(executorPreference: handlerExecutor, operation: operation)
        }
        return Task(executorPreference: handlerExecutor, operation: operation)
    }

    private func finish(_ token: ServerConnectionStateMachine.CallToken, _ completion: ServerConnectionStateMachine.Completion) {
        let runtime = calls.removeValue(forKey: token)
        runtime?.deadline?.cancel()
        for (_, writer) in runtime?.blockedWriters ?? [] { writer.resume(throwing: CancellationError()) }
        execute(machine.complete(token, with: completion))
    }

    /// Cancels a call's task, timer, inbound stream and blocked writers.
    private func stopCall(_ token: ServerConnectionStateMachine.CallToken, error: RPCError) {
        guard let runtime = calls.removeValue(forKey: token) else { return }
        runtime.task?.cancel()
        runtime.deadline?.cancel()
        runtime.inbound?.finish(throwing: error)
        for (_, writer) in runtime.blockedWriters { writer.resume(throwing: error) }
    }

    private func writeMessage(
        _ token: ServerConnectionStateMachine.CallToken, _ message: ByteBuffer, _ continuation: CheckedContinuation<Void, any Error>
    ) {
        switch machine.sendMessage(token, size: message.readableBytes) {
        case .send:
            write([.data(callID: token.callID, message: message, endStream: false)])
            continuation.resume()
        case .wait:
            calls[token]?.blockedWriters.append((message, continuation))
        case .callEnded:
            continuation.resume(throwing: RPCError(code: .cancelled, message: "the call has ended"))
        case .tooLarge(let action, let error):
            continuation.resume(throwing: error)
            execute(action)
        }
    }

    private func releaseWriters(_ token: ServerConnectionStateMachine.CallToken) {
        while let (message, continuation) = calls[token]?.blockedWriters.first,
            case .send = machine.sendMessage(token, size: message.readableBytes)
        {
            calls[token]?.blockedWriters.removeFirst()
            write([.data(callID: token.callID, message: message, endStream: false)])
            continuation.resume()
        }
    }

    // MARK: Timers and drain

    private func handshakeTimedOut() {
        guard machine.isAwaitingHandshake, !isClosing else { return }
        logger.info("handshake timeout", metadata: ["rpc.peer": "\(peer)"])
        write([.goAway(.timeout, message: "no preface and SETTINGS within \(configuration.handshakeTimeout)")])
    }

    /// Starts a drain; calls get the grace period to finish, then are answered UNAVAILABLE.
    func beginDrain(reason: String) {
        guard !isClosing, let context else { return }
        if machine.isAwaitingHandshake {
            write([.goAway(.noError, message: reason)])
            return
        }
        execute(machine.startDrain())
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timers.append(context.eventLoop.scheduleTask(in: configuration.drainGracePeriod) {
            loopBound.value.drainGraceExpired(reason: reason)
        })
    }

    private func drainGraceExpired(reason: String) {
        guard !isClosing else { return }
        let (frames, tokens) = machine.forceClose(reason: reason)
        for token in tokens { stopCall(token, error: RPCError(code: .unavailable, message: reason)) }
        write(frames)
    }

    private func noteBusyState() {
        if machine.openCalls > 0 { lastBusyTime = .now() }
    }

    /// Executes a keepalive decision; it starts once the handshake is done (the handshake timeout
    /// governs until then, and SETTINGS must be the first frame sent).
    private func runKeepalive(_ action: KeepaliveStateMachine.Action) {
        switch action {
        case .none:
            return
        case .check(let deadline):
            armKeepalive(at: deadline)
        case .ping(let data, let deadline):
            write([.ping(data)])
            armKeepalive(at: deadline)
        case .timedOut(let message):
            logger.info("keepalive timeout", metadata: ["rpc.peer": "\(peer)"])
            write([.goAway(.timeout, message: message)])
        }
    }

    private func armKeepalive(at deadline: NIODeadline) {
        guard let context else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        keepaliveTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            guard !loopBound.value.isClosing else { return }
            loopBound.value.runKeepalive(loopBound.value.keepalive.timerFired(now: .now()))
        }
    }

    private func armIdle(in delay: TimeAmount) {
        guard delay.nanoseconds > 0, let context else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: delay) { loopBound.value.idleFired() }
    }

    private func idleFired() {
        guard !isClosing else { return }
        let timeout = TimeAmount.milliseconds(Int64(configuration.settings.idleTimeoutMilliseconds))
        let idle = NIODeadline.now() - max(lastBusyTime, keepalive.lastReceived)
        // Before the handshake the handshake timeout applies, not this one.
        if machine.openCalls == 0, idle >= timeout, !machine.isAwaitingHandshake {
            beginDrain(reason: "idle timeout")
        } else {
            armIdle(in: max(.milliseconds(10), machine.openCalls == 0 ? timeout - idle : timeout))
        }
    }
}

/// Reports each element's size as the handler takes it, so the connection can return credit.
struct ConsumptionReportingSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    typealias Failure = any Error
    let base: AsyncThrowingStream<ByteBuffer, any Error>
    let onConsume: @Sendable (Int) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let onConsume: @Sendable (Int) -> Void

        mutating func next() async throws -> ByteBuffer? {
            guard let element = try await base.next() else { return nil }
            onConsume(element.readableBytes)
            return element
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), onConsume: onConsume) }
}

/// Turns what a handler did into the call's completion.
enum HandlerOutcome {
    /// Runs a handler and turns its outcome into the call's completion.
    static func completion(
        of context: ServerCallContext, logger: Logger,
        _ body: () async throws -> ServerConnectionStateMachine.Completion
    ) async -> ServerConnectionStateMachine.Completion {
        do {
            return try await body()
        } catch {
            return .error(status(for: error, context: context, logger: logger))
        }
    }

    /// The status a handler's error becomes: an ``RPCError`` as it is, anything else INTERNAL
    /// without details (they go to the log only).
    static func status(for error: any Error, context: ServerCallContext, logger: Logger) -> RPCError {
        if let error = error as? RPCError { return error }
        if error is CancellationError { return RPCError(code: .cancelled, message: "cancelled") }
        logger.error(
            "handler failed",
            metadata: [
                "rpc.method": "\(context.descriptor)", "rpc.call_id": "\(context.callID)", "error": "\(error)",
            ])
        return RPCError(code: .internalError, message: "internal error")
    }
}
