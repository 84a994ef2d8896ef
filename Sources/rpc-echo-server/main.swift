// A test/demo server: serves the raw `test.Echo` methods of RPCEchoService on 127.0.0.1 for the
// reference clients' tests and benchmarks. Not the habit server.
//
//   rpc-echo-server [port]   prints "listening on <port>" once bound; SIGTERM drains and exits.
import Dispatch
import Logging
import NIOCore
import RPCEchoService
import RPCServer

#if canImport(Glibc)
import Glibc
#endif

var configuration = RPCServer.Configuration()
configuration.port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
configuration.drainGracePeriod = .seconds(5)
var logger = Logger(label: "rpc-echo-server")
logger.logLevel = .warning
let server = try RPCServer(configuration: configuration, methods: EchoService().methods, logger: logger)

signal(SIGTERM, SIG_IGN)
let termination = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .main)
termination.setEventHandler { server.beginGracefulShutdown() }
termination.resume()

async let serving: Void = server.run()
let address = try await server.localAddress()
// Written unbuffered so a parent process reading the pipe sees it at once.
let line = "listening on \(address.port ?? 0)\n"
_ = line.withCString { write(1, $0, strlen($0)) }
try await serving
