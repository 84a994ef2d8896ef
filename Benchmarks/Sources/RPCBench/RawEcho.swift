import BenchSupport
import NIOCore
import NIOPosix

/// Echoes [u32 length][body] frames, re-framing each body, flushing once per read batch.
final class RawEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var cumulation = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        cumulation.writeBuffer(&input)
        var output = context.channel.allocator.buffer(capacity: cumulation.readableBytes)
        while let length = cumulation.getInteger(at: cumulation.readerIndex, as: UInt32.self),
            cumulation.readableBytes >= 4 + Int(length)
        {
            cumulation.moveReaderIndex(forwardBy: 4)
            var body = cumulation.readSlice(length: Int(length)) ?? ByteBuffer()
            output.writeInteger(length)
            output.writeBuffer(&body)
        }
        cumulation.discardReadBytes()
        if output.readableBytes > 0 { context.write(wrapOutboundOut(output), promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
}

/// One raw connection's outcome: measured round trips and every completed frame (warm-up included).
struct RawRun: Sendable {
    var latencies: [UInt64]
    var completed: Int
}

/// Keeps `inflight` raw frames outstanding on one connection and records each round trip.
final class RawClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let inflight: Int
    let end: NIODeadline
    let warmupEnd: NIODeadline
    var sent: [NIODeadline] = []
    var sentHead = 0
    var cumulation = ByteBuffer()
    var latencies: [UInt64] = []
    var completed = 0
    let done: EventLoopPromise<RawRun>
    let frame: ByteBuffer

    init(inflight: Int, warmupEnd: NIODeadline, end: NIODeadline, done: EventLoopPromise<RawRun>) {
        self.inflight = inflight
        self.warmupEnd = warmupEnd
        self.end = end
        self.done = done
        var frame = ByteBuffer()
        let body = BenchMethod.noop.requestBytes
        frame.writeInteger(UInt32(body.count))
        frame.writeBytes(body)
        self.frame = frame
    }

    func channelActive(context: ChannelHandlerContext) {
        for _ in 0..<inflight { send(context) }
        context.flush()
    }

    func send(_ context: ChannelHandlerContext) {
        sent.append(.now())
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        cumulation.writeBuffer(&input)
        let now = NIODeadline.now()
        while let length = cumulation.getInteger(at: cumulation.readerIndex, as: UInt32.self),
            cumulation.readableBytes >= 4 + Int(length)
        {
            cumulation.moveReaderIndex(forwardBy: 4 + Int(length))
            let start = sent[sentHead]
            sentHead += 1
            completed += 1
            if start >= warmupEnd && now <= end { latencies.append(now.uptimeNanoseconds - start.uptimeNanoseconds) }
            if now < end { send(context) }
        }
        cumulation.discardReadBytes()
        if sentHead > 4096 {
            sent.removeFirst(sentHead)
            sentHead = 0
        }
        if now >= end && sentHead == sent.count {
            done.succeed(RawRun(latencies: latencies, completed: completed))
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
}

/// Serves the raw length-prefixed echo on 127.0.0.1:`port`: the ceiling for a framed protocol over SwiftNIO.
func serveRawEcho(port: Int) async throws {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RawEchoHandler()) }
        }
        .bind(host: "127.0.0.1", port: port).get()
    try await channel.closeFuture.get()
}

/// The end of the warm-up and of the measured window, counted from now.
func measurementWindow(warmup: Duration, seconds: Duration) -> (warmupEnd: NIODeadline, end: NIODeadline) {
    let warmupEnd = NIODeadline.now() + .nanoseconds(Int64(warmup.components.seconds) * 1_000_000_000)
    return (warmupEnd, warmupEnd + .nanoseconds(Int64(seconds.components.seconds) * 1_000_000_000))
}

/// How many of `inflight` callers connection `index` of `conns` gets (the first ones take the remainder).
func callerShare(of index: Int, conns: Int, inflight: Int) -> Int {
    inflight / conns + (index < inflight % conns ? 1 : 0)
}

/// Keeps `inflight` raw frames of the no-op request outstanding over `conns` connections, on the event loops.
func loadRawEcho(port: Int, conns: Int, inflight: Int, warmup: Duration, seconds: Duration) async throws -> LoadTally {
    let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
    let (warmupEnd, end) = measurementWindow(warmup: warmup, seconds: seconds)
    var futures: [EventLoopFuture<RawRun>] = []
    for index in 0..<conns {
        let share = callerShare(of: index, conns: conns, inflight: inflight)
        if share == 0 { continue }
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let done = eventLoop.makePromise(of: RawRun.self)
        _ = try await ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RawClientHandler(inflight: share, warmupEnd: warmupEnd, end: end, done: done))
                }
            }
            .connect(to: address).get()
        futures.append(done.futureResult)
    }
    var tally = LoadTally()
    for future in futures {
        let run = try await future.get()
        tally.merge(LoadTally(latencies: run.latencies, completed: run.completed))
    }
    return tally
}
