// GRPCBench: RPCBench's no-op and GetCharacter methods served and loaded over grpc-swift-2 with
// grpc-swift-nio-transport (HTTP/2 plaintext, default configuration), with the same client shape and RESULT
// lines, so run.sh and compare.sh drive it like RPCBench:
//   GRPCBench serve-grpc PORT
//   GRPCBench grpc PORT CONNS INFLIGHT SECONDS [noop|character]
import BenchSupport

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "serve-grpc":
    try await serveGRPC(port: arguments.count > 1 ? Int(arguments[1]) ?? 0 : 0)
case "grpc":
    if let run = ClientRun(Array(arguments.dropFirst())) {
        try await run.measure("grpc-swift-2") { run in
            try await loadGRPC(port: run.port, method: run.method, conns: run.conns, inflight: run.inflight,
                               warmup: run.warmup, seconds: run.window)
        }
    } else {
        print("usage: GRPCBench serve-grpc PORT | GRPCBench grpc PORT CONNS INFLIGHT SECONDS [noop|character]")
    }
default:
    print("usage: GRPCBench serve-grpc PORT | GRPCBench grpc PORT CONNS INFLIGHT SECONDS [noop|character]")
}
