// RPCBench: closed-loop load on loopback. Each process is one side, so client and server CPU can be
// measured apart (driver scripts: run.sh, compare.sh, connections.sh; see docs/BENCHMARKS.md). GRPCBench serves
// and loads the same two methods over grpc-swift-2 (a separate binary, so this one builds without gRPC):
//   RPCBench serve-rpc PORT [--inline] [--max-connections N] [--quota-redis REDIS_PORT | --quota-local]
//                                   HabitRPC server: bench.Bench/Noop (echo) and habit.v1.CharacterService/GetCharacter;
//                                   --inline places handlers on the event loop; --quota-* checks a quota per call
//                                   (64 users, never exhausted) as habit-server does
//   RPCBench serve-raw PORT         SwiftNIO echo of [u32 length][body] frames, flush per read batch
//   RPCBench rpc|rpc-loop|raw PORT CONNS INFLIGHT SECONDS [noop|character]
//                                   client; prints one RESULT line (raw always echoes the no-op request); rpc
//                                   callers are tasks awaiting ClientConnection.unary, rpc-loop callers are
//                                   callbacks on the connection's event loop, as raw's are
//   RPCBench hold PORT SERVER_PID COUNT SECONDS
//                                   opens COUNT idle HabitRPC connections, prints the server's RSS per connection,
//                                   then calls over 100 of them for SECONDS
import BenchSupport

let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? ""
let port = arguments.count > 1 ? Int(arguments[1]) ?? 0 : 0
let usage = """
    usage: RPCBench serve-rpc|serve-raw PORT [--inline] [--max-connections N] [--quota-redis REDIS_PORT | --quota-local]
           RPCBench rpc|rpc-loop|raw PORT CONNS INFLIGHT SECONDS [noop|character]
           RPCBench hold PORT SERVER_PID COUNT SECONDS
    """

/// The integer argument at `index`, or `fallback` when it is missing or not a number.
func integerArgument(_ index: Int, _ fallback: Int) -> Int {
    index < arguments.count ? Int(arguments[index]) ?? fallback : fallback
}

switch mode {
case "serve-rpc":
    let limitIndex = arguments.firstIndex(of: "--max-connections").map { $0 + 1 } ?? arguments.count
    try await serveHabitRPC(port: port, inline: arguments.contains("--inline"), maxConnections: integerArgument(limitIndex, 1024),
                            interceptors: quotaInterceptors(arguments))
case "serve-raw":
    try await serveRawEcho(port: port)
case "rpc":
    guard let run = ClientRun(Array(arguments.dropFirst())) else { print(usage); break }
    try await run.measure("habitrpc") { run in
        try await loadHabitRPC(port: run.port, method: run.method, conns: run.conns, inflight: run.inflight,
                               warmup: run.warmup, seconds: run.window)
    }
case "rpc-loop":
    guard let run = ClientRun(Array(arguments.dropFirst())) else { print(usage); break }
    try await run.measure("habitrpc-loop") { run in
        try await loadHabitRPCFromLoop(port: run.port, method: run.method, conns: run.conns, inflight: run.inflight,
                                       warmup: run.warmup, seconds: run.window)
    }
case "raw":
    guard let run = ClientRun(Array(arguments.dropFirst())) else { print(usage); break }
    try await run.measure("nio-raw-echo", methodLabel: "echo") { run in
        try await loadRawEcho(port: run.port, conns: run.conns, inflight: run.inflight, warmup: run.warmup, seconds: run.window)
    }
case "hold":
    try await holdConnections(
        port: port, serverPID: Int32(integerArgument(2, 0)), count: integerArgument(3, 10_000),
        seconds: .seconds(max(1, integerArgument(4, 5))))
default:
    print(usage)
}
