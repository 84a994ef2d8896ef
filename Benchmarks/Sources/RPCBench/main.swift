// RPCBench: closed-loop load on loopback. Each process is one side, so client and server CPU can be
// measured apart (see docs/BENCHMARKS.md for the driver script):
//   RPCBench serve-rpc PORT          HabitRPC server with a no-op unary method (echo of the request)
//   RPCBench serve-raw PORT          SwiftNIO echo of [u32 length][body] frames, flush per read batch
//   RPCBench rpc|raw PORT CONNS INFLIGHT SECONDS   client; prints one RESULT line
//   RPCBench rpc PORT CONNS INFLIGHT SECONDS METHOD BYTES   the client calling unary METHOD ("/bench.Bench/Noop")
//     with BYTES-byte requests, as clients/c/bench/compare.sh runs it beside the C client
import NIOCore
import NIOPosix
import RPCClient
import RPCCore
import RPCServer

#if canImport(Glibc)
import Glibc
#endif

let payloadSize = 100
let noop = MethodDescriptor(service: "bench.Bench", method: "Noop", id: MethodDescriptor.id(forFullName: "/bench.Bench/Noop"), kind: .unary)
let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? ""
let port = arguments.count > 1 ? Int(arguments[1]) ?? 0 : 0

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func report(_ name: String, conns: Int, inflight: Int, seconds: Double, latencies: [UInt64], total: Int, cpu: Double) {
    let sorted = latencies.sorted()
    func percentile(_ p: Double) -> Double {
        sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
    }
    let rate = Double(sorted.count) / seconds
    print("RESULT \(name) conns=\(conns) inflight=\(inflight) calls=\(sorted.count) rate_per_s=\(Int(rate)) "
        + "p50_us=\(percentile(0.5)) p99_us=\(percentile(0.99)) total_incl_warmup=\(total) "
        + "client_cpu_us_per_call=\(total == 0 ? 0 : cpu / Double(total) * 1e6)")
}

/// The unary method named "/package.Service/Method".
func unaryMethod(named name: String) throws -> MethodDescriptor {
    let parts = name.split(separator: "/")
    guard name.hasPrefix("/"), parts.count == 2 else { throw BenchUsageError(description: "method \(name) is not /Service/Method") }
    return MethodDescriptor(service: String(parts[0]), method: String(parts[1]), id: MethodDescriptor.id(forFullName: name), kind: .unary)
}

struct BenchUsageError: Error, CustomStringConvertible {
    let description: String
}

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
        frame.writeInteger(UInt32(payloadSize))
        frame.writeRepeatingByte(7, count: payloadSize)
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

switch mode {
case "serve-rpc":
    var configuration = RPCServer.Configuration()
    configuration.port = port
    configuration.settings.maxConcurrentCalls = 1024
    configuration.startsUnaryHandlersOnEventLoop = arguments.contains("--inline")
    let server = try RPCServer(configuration: configuration, methods: [
        ServerMethod(descriptor: noop, handler: .unary { request, _ in request }),
    ])
    try await server.run()
case "serve-raw":
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RawEchoHandler()) }
        }
        .bind(host: "127.0.0.1", port: port).get()
    try await channel.closeFuture.get()
case "rpc", "raw":
    let conns = Int(arguments[2]) ?? 1
    let inflight = Int(arguments[3]) ?? 1
    let seconds = Double(arguments[4]) ?? 10
    let warmup = 2.0
    let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
    let cpuStart = cpuSeconds()
    var latencies: [UInt64] = []
    var total = 0
    if mode == "raw" {
        let warmupEnd = NIODeadline.now() + .milliseconds(Int64(warmup * 1000))
        let end = warmupEnd + .milliseconds(Int64(seconds * 1000))
        var futures: [EventLoopFuture<RawRun>] = []
        for index in 0..<conns {
            let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
            let done = eventLoop.makePromise(of: RawRun.self)
            let share = inflight / conns + (index < inflight % conns ? 1 : 0)
            _ = try await ClientBootstrap(group: eventLoop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RawClientHandler(inflight: share, warmupEnd: warmupEnd, end: end, done: done))
                    }
                }
                .connect(to: address).get()
            futures.append(done.futureResult)
        }
        for future in futures {
            let run = try await future.get()
            total += run.completed
            latencies += run.latencies
        }
    } else {
        var connections: [ClientConnection] = []
        for _ in 0..<conns { connections.append(try await ClientConnection.connect(to: address)) }
        let method = arguments.count > 5 ? try unaryMethod(named: arguments[5]) : noop
        let request = ByteBuffer(repeating: 7, count: arguments.count > 6 ? Int(arguments[6]) ?? payloadSize : payloadSize)
        let clock = ContinuousClock()
        let warmupEnd = clock.now + .milliseconds(Int(warmup * 1000))
        let end = warmupEnd + .milliseconds(Int(seconds * 1000))
        (latencies, total) = try await withThrowingTaskGroup(of: ([UInt64], Int).self) { group in
            for index in 0..<inflight {
                let connection = connections[index % conns]
                group.addTask {
                    var mine: [UInt64] = []
                    var completed = 0
                    while clock.now < end {
                        let start = clock.now
                        _ = try await connection.unary(method, request: request, options: CallOptions())
                        let finished = clock.now
                        completed += 1
                        if start >= warmupEnd && finished <= end {
                            let elapsed = (finished - start).components
                            mine.append(UInt64(elapsed.seconds) * 1_000_000_000 + UInt64(elapsed.attoseconds / 1_000_000_000))
                        }
                    }
                    return (mine, completed)
                }
            }
            var all: ([UInt64], Int) = ([], 0)
            for try await (mine, completed) in group {
                all.0 += mine
                all.1 += completed
            }
            return all
        }
    }
    report(mode == "raw" ? "nio-raw-echo" : "habitrpc-unary", conns: conns, inflight: inflight, seconds: seconds,
           latencies: latencies, total: total, cpu: cpuSeconds() - cpuStart)
default:
    print("usage: RPCBench serve-rpc|serve-raw PORT | RPCBench rpc|raw PORT CONNS INFLIGHT SECONDS [METHOD BYTES]")
}
