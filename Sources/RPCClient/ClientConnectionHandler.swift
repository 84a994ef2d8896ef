import NIOCore
import RPCCore

/// One client connection on its event loop: frames in, ``ClientConnectionStateMachine`` decisions,
/// waiters resumed. Callers reach it only through ``ClientConnection``, which hops to the loop.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Who waits for a call's outcome.
    enum Waiter {
        /// A unary call, answered on the loop (an async caller's continuation is resumed from there).
        case unary(@Sendable (Result<ByteBuffer, RPCError>) -> Void)
        case streaming(AsyncThrowingStream<ByteBuffer, any Error>.Continuation)
    }

    /// A call waiting for the server to allow one more concurrent call.
    struct PendingStart {
        let token: UInt64
        let start: (ClientConnectionHandler) -> Void
        let fail: (RPCError) -> Void
    }

    private(set) var machine: ClientConnectionStateMachine
    private var processor: NIOSingleStepByteToMessageProcessor<FrameDecoder>
    private let status: ConnectionStatus
    private let readyPromise: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    private var waiters: [UInt32: Waiter] = [:]
    private var callIDs: [UInt64: UInt32] = [:]
    private var tokens: [UInt32: UInt64] = [:]
    private var deadlines: [UInt32: Scheduled<Void>] = [:]
    private var blockedWriters: [UInt32: [(ByteBuffer, CheckedContinuation<Void, any Error>)]] = [:]
    private var pendingStarts: [PendingStart] = []
    private var isReading = false
    /// Frames encoded since the last flush, written as one buffer.
    private var pendingOutput = ByteBuffer()
    private var isFlushScheduled = false
    private var keepalive: KeepaliveStateMachine
    private var keepaliveTimer: Scheduled<Void>?

    init(settings: ConnectionSettings, keepaliveTimeout: TimeAmount, status: ConnectionStatus, readyPromise: EventLoopPromise<Void>) {
        self.machine = ClientConnectionStateMachine(settings: settings)
        self.keepalive = KeepaliveStateMachine(keepaliveTimeMilliseconds: settings.keepaliveTimeMilliseconds,
                                               timeout: keepaliveTimeout, now: .now())
        self.processor = NIOSingleStepByteToMessageProcessor(FrameDecoder(maxFrameSize: settings.maxFrameSize, expectsPreface: false))
        self.status = status
        self.readyPromise = readyPromise
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeBytes(FrameDecoder.preface)
        for frame in machine.openingFrames { frame.encode(into: &buffer) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        isReading = true
        do {
            try processor.process(buffer: unwrapInboundIn(data)) { event in
                self.execute(self.machine.receive(event))
            }
        } catch let violation as ProtocolViolation {
            execute(.close(error: RPCError(code: .unavailable, message: "protocol error from server: \(violation.message)"),
                           goAway: .goAway(violation.goAwayError, message: violation.message), failing: machine.closed()))
        } catch {
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        // Once per read batch: the batch's bytes all arrived by now.
        keepalive.received(at: .now())
        flushIfNeeded()
    }

    func channelInactive(context: ChannelHandlerContext) {
        keepaliveTimer?.cancel()
        let error = RPCError(code: .unavailable, message: "connection closed")
        fail(machine.closed(), with: error)
        failPendingStarts(RPCError(code: .unavailable, message: "connection closed before the call started", isNotProcessed: true))
        readyPromise.fail(error)
        status.markClosed()
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: Calls (on the event loop)

    /// Opens a call and sends its REQUEST, or queues it while the server's concurrency limit is reached.
    func start(token: UInt64, head: RequestHead, message: ByteBuffer?, endStream: Bool, timeout: TimeAmount?,
               waiter: Waiter, opened: (@Sendable (Result<UInt32, RPCError>) -> Void)? = nil) {
        guard let callID = machine.openCall() else {
            let error: RPCError
            switch machine.availability {
            case .full:
                pendingStarts.append(PendingStart(token: token, start: {
                    $0.start(token: token, head: head, message: message, endStream: endStream, timeout: timeout, waiter: waiter, opened: opened)
                }, fail: {
                    Self.resume(waiter, with: .failure($0))
                    opened?(.failure($0))
                }))
                return
            case .draining:
                error = RPCError(code: .unavailable, message: "connection is draining", isNotProcessed: true)
            default:
                error = RPCError(code: .unavailable, message: "connection is not open", isNotProcessed: true)
            }
            Self.resume(waiter, with: .failure(error))
            opened?(.failure(error))
            return
        }
        waiters[callID] = waiter
        callIDs[token] = callID
        tokens[callID] = token
        status.callOpened()
        if let timeout, let context {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            deadlines[callID] = context.eventLoop.scheduleTask(in: timeout) {
                loopBound.value.giveUp(callID: callID, RPCError(code: .deadlineExceeded, message: "deadline exceeded"))
            }
        }
        let micros = timeout.map { UInt64(max(1, $0.nanoseconds / 1000)) } ?? 0
        var head = head
        head.timeoutMicroseconds = micros
        opened?(.success(callID))
        write(.request(callID: callID, head, message: message, endStream: endStream))
    }

    /// The caller's task was cancelled.
    func cancel(token: UInt64) {
        if let index = pendingStarts.firstIndex(where: { $0.token == token }) {
            pendingStarts.remove(at: index).fail(RPCError(code: .cancelled, message: "cancelled", isNotProcessed: true))
            return
        }
        guard let callID = callIDs[token] else { return }
        giveUp(callID: callID, RPCError(code: .cancelled, message: "cancelled by the caller"))
    }

    /// Ends a call locally (deadline, cancellation) and tells the server with CANCEL.
    private func giveUp(callID: UInt32, _ error: RPCError) {
        guard let waiter = waiters.removeValue(forKey: callID) else { return }
        cleanUp(callID, error: error)
        execute(machine.abandon(callID))
        Self.resume(waiter, with: .failure(error))
    }

    /// Sends one streaming message (or the half-close when `message` is nil) once credit allows.
    func send(callID: UInt32, message: ByteBuffer?, continuation: CheckedContinuation<Void, any Error>) {
        guard let message else {
            if waiters[callID] != nil { write(.data(callID: callID, message: nil, endStream: true)) }
            continuation.resume()
            return
        }
        switch machine.takeSendCredit(callID) {
        case true?:
            write(.data(callID: callID, message: message, endStream: false))
            continuation.resume()
        case false?:
            blockedWriters[callID, default: []].append((message, continuation))
        case nil:
            continuation.resume(throwing: RPCError(code: .cancelled, message: "the call has ended"))
        }
    }

    /// The caller read one streaming message.
    func consumed(callID: UInt32) {
        execute(machine.messageConsumed(callID))
    }

    /// The caller stopped reading responses before the call ended.
    func abandon(callID: UInt32) {
        giveUp(callID: callID, RPCError(code: .cancelled, message: "the caller stopped reading"))
    }

    // MARK: Actions

    private func execute(_ action: ClientConnectionStateMachine.Action) {
        switch action {
        case .none:
            return
        case .ready:
            status.markReady(maxConcurrentCalls: Int(machine.peerSettings.maxConcurrentCalls))
            readyPromise.succeed()
            runKeepalive(keepalive.start(peerMinPingIntervalMilliseconds: machine.peerSettings.minPingIntervalMilliseconds))
        case .send(let frames):
            for frame in frames { write(frame) }
        case .complete(let callID, let result):
            deadlines.removeValue(forKey: callID)?.cancel()
            status.callClosed()
            if let waiter = waiters.removeValue(forKey: callID) {
                // Clean up first: a waiter answered on the loop may start its next call right here.
                cleanUp(callID, error: RPCError(code: .cancelled, message: "the call has ended"))
                Self.resume(waiter, with: result)
            }
            startPending()
        case .failAndCancel(let callID, let error):
            giveUp(callID: callID, error)
        case .deliver(let callID, let message):
            if case .streaming(let continuation) = waiters[callID] { continuation.yield(message) }
        case .creditAvailable(let callID):
            while let (message, continuation) = blockedWriters[callID]?.first, machine.takeSendCredit(callID) == true {
                blockedWriters[callID]?.removeFirst()
                write(.data(callID: callID, message: message, endStream: false))
                continuation.resume()
            }
        case .draining(let frames):
            status.markDraining()
            for frame in frames { write(frame) }
            failPendingStarts(RPCError(code: .unavailable, message: "connection is draining", isNotProcessed: true))
        case .close(let error, let goAway, let failing):
            status.markClosed()
            readyPromise.fail(error)
            fail(failing, with: error)
            failPendingStarts(RPCError(code: .unavailable, message: error.message, isNotProcessed: true))
            if let goAway { write(goAway) }
            flushIfNeeded()
            context?.close(promise: nil)
        }
    }

    /// Executes a keepalive decision: PING a silent server, and close when it stays silent.
    private func runKeepalive(_ action: KeepaliveStateMachine.Action) {
        switch action {
        case .none:
            return
        case .check(let deadline):
            armKeepalive(at: deadline)
        case .ping(let data, let deadline):
            write(.ping(data))
            armKeepalive(at: deadline)
        case .timedOut(let message):
            execute(.close(error: RPCError(code: .unavailable, message: message), goAway: .goAway(.timeout, message: message),
                           failing: machine.closed()))
        }
    }

    private func armKeepalive(at deadline: NIODeadline) {
        guard let context else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        keepaliveTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            loopBound.value.runKeepalive(loopBound.value.keepalive.timerFired(now: .now()))
        }
    }

    private func startPending() {
        while !pendingStarts.isEmpty, machine.availability == .ready {
            pendingStarts.removeFirst().start(self)
        }
    }

    private func failPendingStarts(_ error: RPCError) {
        let pending = pendingStarts
        pendingStarts.removeAll()
        for start in pending { start.fail(error) }
    }

    private func fail(_ callIDs: [UInt32], with error: RPCError) {
        for callID in callIDs {
            let waiter = waiters.removeValue(forKey: callID)
            cleanUp(callID, error: error)
            if let waiter { Self.resume(waiter, with: .failure(error)) }
        }
        for callID in Array(waiters.keys) {
            let waiter = waiters.removeValue(forKey: callID)
            cleanUp(callID, error: error)
            if let waiter { Self.resume(waiter, with: .failure(error)) }
        }
    }

    private func cleanUp(_ callID: UInt32, error: RPCError) {
        deadlines.removeValue(forKey: callID)?.cancel()
        for (_, writer) in blockedWriters.removeValue(forKey: callID) ?? [] { writer.resume(throwing: error) }
        if let token = tokens.removeValue(forKey: callID) { callIDs[token] = nil }
    }

    private static func resume(_ waiter: Waiter, with result: Result<ByteBuffer?, RPCError>) {
        switch (waiter, result) {
        case (.unary(let completion), .success(let message)):
            completion(message.map { .success($0) }
                ?? .failure(RPCError(code: .internalError, message: "unary RESPONSE without a message")))
        case (.unary(let completion), .failure(let error)):
            completion(.failure(error))
        case (.streaming(let continuation), .success(let message)):
            if let message { continuation.yield(message) }
            continuation.finish()
        case (.streaming(let continuation), .failure(let error)):
            continuation.finish(throwing: error)
        }
    }

    /// Queues a frame for the next flush: at the end of the read batch, or of this event-loop tick.
    private func write(_ frame: Frame) {
        guard context != nil else { return }
        frame.encode(into: &pendingOutput)
        if !isReading { scheduleFlush() }
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
}
