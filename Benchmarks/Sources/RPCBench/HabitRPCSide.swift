import BenchSupport
import HabitAPI
import NIOCore
import RPCClient
import RPCCore
import RPCServer

/// Serves bench.Bench/Noop and habit.v1.CharacterService/GetCharacter over HabitRPC on 127.0.0.1:`port`.
func serveHabitRPC(port: Int, inline: Bool, maxConnections: Int) async throws {
    let backend = try await CharacterBackend.seeded()
    var configuration = RPCServer.Configuration()
    configuration.port = port
    configuration.settings.maxConcurrentCalls = 1024
    configuration.maxConnections = maxConnections
    configuration.startsUnaryHandlersOnEventLoop = inline
    let server = try RPCServer(configuration: configuration, methods: [
        ServerMethod(descriptor: noopDescriptor, handler: .unary { request, _ in request }),
        .unary(CharacterService.Method.getCharacter) { (request: GetCharacterRequest, context) in
            try await backend.getCharacter(request, userName: context.metadata.firstText(benchUserKey), context: context)
        },
    ])
    try await server.run()
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
    let options = (0..<min(inflight, benchUserCount)).map { slot in
        CallOptions(metadata: method == .character ? [benchUserKey: .text(benchUserName(slot: slot))] : [:])
    }
    let pool = connections
    let tally = await closedLoop(inflight: inflight, warmup: warmup, seconds: seconds) { slot in
        _ = try await pool[slot % pool.count].unary(descriptor, request: request, options: options[slot % options.count])
    }
    for connection in connections { await connection.close() }
    return tally
}
