import NIOCore

/// A command on its way to Redis and the promise its reply completes.
struct RedisRequest: Sendable {
    var arguments: [[UInt8]]
    var reply: EventLoopPromise<RESPValue>
}

/// Pipelines commands on one connection: encodes each with hiredis, parses replies with hiredis,
/// and completes the waiting promises in order. Flushes are deferred to the end of the event-loop
/// tick, so commands sent by many callers at once share one write to the socket.
///
/// A command that timed out keeps its place in the queue, so later replies still match their
/// commands. After any protocol error or close every waiting command fails and the handler refuses
/// new ones; the pool then opens a fresh connection (hiredis readers cannot recover from errors).
final class RedisConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private let parser: RedisReplyParser
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
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
        waiting.append(request.reply)
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
                guard let waiter = waiting.popFirst() else {
                    throw .protocolError("a reply arrived with no command waiting for it")
                }
                waiter.succeed(reply)
            }
        } catch {
            fail(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisClientError(code: .connectionClosed, message: "the Redis connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RedisClientError(code: .connectionClosed, message: "connection error: \(error)"), context: context)
    }

    private func fail(_ error: RedisClientError, context: ChannelHandlerContext) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisClientError) {
        if failure == nil { failure = error }
        while let waiter = waiting.popFirst() {
            waiter.fail(error)
        }
    }
}
