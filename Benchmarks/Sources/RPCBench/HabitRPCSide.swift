import BenchSupport
import HabitAPI
import Logging
import NIOCore
import RedisQuota
import RPCClient
import RPCCore
import RPCServer

/// One quota check per call before the handler, as habit-server's quota interceptor does; calls are
/// spread over 64 users so Redis sees 64 keys.
struct BenchQuotaInterceptor: ServerInterceptor {
    let limiter: QuotaLimiter

    func intercept<Result: Sendable>(
        _ context: ServerCallContext, next: @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result {
        if let rejection = await limiter.check(user: "bench-\(context.callID % 64)", methodClass: "read").rejection {
            throw rejection
        }
        return try await next(context)
    }
}

/// The quota interceptor `--quota-redis PORT` or `--quota-local` in `arguments` asks for, if any.
func quotaInterceptors(_ arguments: [String]) -> [any ServerInterceptor] {
    let unlimited = QuotaPolicies(byMethodClass: ["read": QuotaPolicy(limit: 1_000_000_000, period: .seconds(1))])
    var configuration = QuotaLimiter.Configuration(policies: unlimited)
    // A loaded benchmark machine must not trip the breaker: every check is meant to reach Redis.
    configuration.checkTimeout = .seconds(2)
    let logger = Logger(label: "bench.quota")
    if let flag = arguments.firstIndex(of: "--quota-redis"), flag + 1 < arguments.count,
        let redisPort = Int(arguments[flag + 1])
    {
        let redis = RedisClient(configuration: RedisClient.Configuration(host: "127.0.0.1", port: redisPort))
        return [BenchQuotaInterceptor(limiter: QuotaLimiter(configuration: configuration, redis: redis, logger: logger))]
    }
    if arguments.contains("--quota-local") {
        return [BenchQuotaInterceptor(limiter: QuotaLimiter(configuration: configuration, redis: nil, logger: logger))]
    }
    return []
}

/// Serves bench.Bench/Noop and habit.v1.CharacterService/GetCharacter over HabitRPC on 127.0.0.1:`port`.
func serveHabitRPC(port: Int, inline: Bool, maxConnections: Int, interceptors: [any ServerInterceptor]) async throws {
    let backend = try await CharacterBackend.seeded()
    var configuration = RPCServer.Configuration()
    configuration.port = port
    configuration.settings.maxConcurrentCalls = 1024
    configuration.maxConnections = maxConnections
    if inline { configuration.handlerPlacement = .eventLoop }
    let server = try RPCServer(configuration: configuration, methods: [
        ServerMethod(descriptor: noopDescriptor, handler: .unary { request, _ in request }),
        .unary(CharacterService.Method.getCharacter) { (request: GetCharacterRequest, context) in
            try await backend.getCharacter(request, userName: context.metadata.firstText(benchUserKey), context: context)
        },
    ], interceptors: interceptors)
    try await server.run()
}

/// The options caller slot `n` sends (`n` modulo their count): for GetCharacter, slot `n`'s user.
func callOptions(_ method: BenchMethod, inflight: Int) -> [CallOptions] {
    (0..<min(inflight, benchUserCount)).map { slot in
        CallOptions(metadata: method == .character ? [benchUserKey: .text(benchUserName(slot: slot))] : [:])
    }
}

/// Opens `conns` HabitRPC connections and keeps `inflight` calls of `method` going over them, round robin.
func loadHabitRPC(
    port: Int, method: BenchMethod, conns: Int, inflight: Int, warmup: Duration, seconds: Duration
) async throws -> LoadTally {
    let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
    var connections: [ClientConnection] = []
    for _ in 0..<conns { connections.append(try await ClientConnection.connect(to: address)) }
    let request = ByteBuffer(bytes: method.requestBytes)
    let descriptor = method.descriptor
    let options = callOptions(method, inflight: inflight)
    let pool = connections
    // Callers run on their connection's event loop: the cheapest way to drive our client.
    let tally = await closedLoop(inflight: inflight, warmup: warmup, seconds: seconds,
                                 executor: { pool[$0 % pool.count].taskExecutor }) { slot in
        _ = try await pool[slot % pool.count].unary(descriptor, request: request, options: options[slot % options.count])
    }
    for connection in connections { await connection.close() }
    return tally
}

/// Keeps `inflight` calls outstanding on one connection from its event loop with the callback API
/// (``ClientConnection/unary(_:request:options:completion:)``): each answer starts the next call, as
/// the raw echo's client does, so no task or continuation is paid per call.
final class LoopCallDriver {
    let connection: ClientConnection
    let descriptor: MethodDescriptor
    let request: ByteBuffer
    let options: [CallOptions]
    let warmupEnd: NIODeadline
    let end: NIODeadline
    let done: EventLoopPromise<LoadTally>
    var tally = LoadTally()
    var outstanding = 0

    init(connection: ClientConnection, method: BenchMethod, options: [CallOptions], warmupEnd: NIODeadline, end: NIODeadline,
         done: EventLoopPromise<LoadTally>) {
        self.connection = connection
        self.descriptor = method.descriptor
        self.request = ByteBuffer(bytes: method.requestBytes)
        self.options = options
        self.warmupEnd = warmupEnd
        self.end = end
        self.done = done
    }

    /// Starts one caller per slot (a slot picks its call options); runs on the connection's event loop.
    func start(slots: Range<Int>) {
        for slot in slots { call(slot: slot) }
    }

    private func call(slot: Int) {
        let started = NIODeadline.now()
        let loopBound = NIOLoopBound(self, eventLoop: connection.taskExecutor.eventLoop)
        outstanding += 1
        connection.unary(descriptor, request: request, options: options[slot % options.count]) { result in
            loopBound.value.answered(slot: slot, started: started, failed: (try? result.get()) == nil)
        }
    }

    private func answered(slot: Int, started: NIODeadline, failed: Bool) {
        outstanding -= 1
        let now = NIODeadline.now()
        if failed {
            tally.errors += 1
        } else {
            tally.completed += 1
            if started >= warmupEnd && now <= end { tally.latencies.append(now.uptimeNanoseconds - started.uptimeNanoseconds) }
        }
        if now < end {
            call(slot: slot)
        } else if outstanding == 0 {
            done.succeed(tally)
        }
    }
}

/// Like ``loadHabitRPC`` but each connection's callers are ``LoopCallDriver`` slots on its event loop.
func loadHabitRPCFromLoop(
    port: Int, method: BenchMethod, conns: Int, inflight: Int, warmup: Duration, seconds: Duration
) async throws -> LoadTally {
    let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
    let (warmupEnd, end) = measurementWindow(warmup: warmup, seconds: seconds)
    let options = callOptions(method, inflight: inflight)
    var connections: [ClientConnection] = []
    var results: [EventLoopFuture<LoadTally>] = []
    var firstSlot = 0
    for index in 0..<conns {
        let share = callerShare(of: index, conns: conns, inflight: inflight)
        if share == 0 { continue }
        let connection = try await ClientConnection.connect(to: address)
        connections.append(connection)
        let eventLoop = connection.taskExecutor.eventLoop
        let done = eventLoop.makePromise(of: LoadTally.self)
        let slots = firstSlot..<firstSlot + share
        firstSlot += share
        eventLoop.execute {
            LoopCallDriver(connection: connection, method: method, options: options, warmupEnd: warmupEnd, end: end,
                           done: done).start(slots: slots)
        }
        results.append(done.futureResult)
    }
    var tally = LoadTally()
    for result in results { tally.merge(try await result.get()) }
    for connection in connections { await connection.close() }
    return tally
}
