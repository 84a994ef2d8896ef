import NIOCore

/// A command on its way to Redis, the promise its reply completes, and when it times out.
struct RedisRequest: Sendable {
    var arguments: [[UInt8]]
    var reply: EventLoopPromise<RESPValue>
    /// Past it the command fails with `.timedOut` and the connection closes.
    var deadline: NIODeadline
    /// The timeout the caller gave, for the error message.
    var timeout: TimeAmount
}

/// Pipelines commands on one connection: encodes each with hiredis, parses replies with hiredis,
/// and completes the waiting promises in order. Flushes are deferred to the end of the event-loop
/// tick, so commands sent by many callers at once share one write to the socket.
///
/// Deadlines are kept in the queue and watched by one timer per connection (`RedisPendingCommands`).
/// A command that misses its deadline fails with `.timedOut` and the connection closes: a connection
/// that missed a deadline is presumed stuck (a dead peer without a reset looks just like this), so its
/// other commands fail at once and the pool opens a fresh one. After any protocol error or close every
/// waiting command fails and the handler refuses new ones (hiredis readers cannot recover from errors).
final class RedisConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private let parser: RedisReplyParser
    private var pending = RedisPendingCommands()
    private var timer: Scheduled<Void>?
    private var failure: RedisClientError?
    private var isFlushScheduled = false

    init(parser: RedisReplyParser) {
        self.parser = parser
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 128)
        do {
            try RedisCommandEncoder.encode(request.arguments, into: &buffer)
        } catch {
            request.reply.fail(error)
            promise?.fail(error)
            return
        }
        let command = RedisPendingCommands.Command(
            reply: request.reply, deadline: request.deadline, timeout: request.timeout)
        if let deadline = pending.append(command) {
            armTimer(at: deadline, context: context)
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        guard !isFlushScheduled else { return }
        isFlushScheduled = true
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            loopBound.value.handler.isFlushScheduled = false
            loopBound.value.context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do throws(RedisClientError) {
            try parser.feed(unwrapInboundIn(data))
            while let reply = try parser.next() {
                guard let command = pending.popFirst() else {
                    throw .protocolError("a reply arrived with no command waiting for it")
                }
                command.reply.succeed(reply)
            }
        } catch {
            fail(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisClientError(code: .connectionClosed, message: "the Redis connection closed"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RedisClientError(code: .connectionClosed, message: "connection error: \(error)"), context: context)
    }

    /// Arms the connection's timer for `deadline`, replacing an armed one.
    private func armTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            loopBound.value.handler.timerFired(context: loopBound.value.context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        let now = context.eventLoop.now
        switch pending.timerFired(now: now) {
        case .idle:
            return
        case .rearm(let deadline):
            armTimer(at: deadline, context: context)
        case .deadlineMissed:
            let closed = RedisClientError(
                code: .connectionClosed, message: "the Redis connection closed: a command missed its deadline")
            fail(closed, deadlinesPassedAt: now, context: context)
        }
    }

    private func fail(
        _ error: RedisClientError, deadlinesPassedAt now: NIODeadline? = nil, context: ChannelHandlerContext
    ) {
        failAll(error, deadlinesPassedAt: now)
        context.close(promise: nil)
    }

    /// Fails every waiting command with `error`, or with `.timedOut` if its deadline is not after
    /// `deadlinesPassedAt`, and refuses later commands.
    private func failAll(_ error: RedisClientError, deadlinesPassedAt now: NIODeadline? = nil) {
        if failure == nil { failure = error }
        timer?.cancel()
        timer = nil
        for command in pending.removeAll() {
            if let now, command.deadline <= now {
                command.reply.fail(command.timedOut)
            } else {
                command.reply.fail(error)
            }
        }
    }
}
