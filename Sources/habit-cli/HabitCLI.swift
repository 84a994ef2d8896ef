import ArgumentParser
import Foundation
import HabitAPI
import HabitAuth
import NIOCore
import ProtoRuntime
import RPCClient
import RPCCore

/// habit-cli: calls any HabitRPC method with JSON, lists methods, mints development tokens, checks health.
///
/// Exit codes: 0 success; 1 the server answered but is not serving (`health`) or another failure;
/// 2 bad usage or input (unknown method, malformed JSON, no secret for `token`); 64 + the gRPC status code
/// when a call fails (for example 80 = UNAUTHENTICATED, 69 = NOT_FOUND, 78 = UNAVAILABLE).
@main
struct HabitCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "habit-cli",
        abstract: "Talks to habit-server: call any method with JSON, list methods, mint tokens, check health.",
        subcommands: [Call.self, List.self, Token.self, Health.self, Bench.self])
}

/// Where the server is and who the caller is.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "host:port of habit-server (HABIT_ADDRESS, default 127.0.0.1:7420).")
    var address: String?
    @Option(help: "Bearer token (HABIT_TOKEN); mint one with `habit-cli token --user NAME`.")
    var token: String?
    @Option(help: "Seconds before the call fails with DEADLINE_EXCEEDED (default 30).")
    var timeout: Int = 30

    func socketAddress() throws -> SocketAddress {
        try Self.socketAddress(address)
    }

    /// `address`, else HABIT_ADDRESS, else 127.0.0.1:7420.
    static func addressText(_ address: String?) -> String {
        address ?? ProcessInfo.processInfo.environment["HABIT_ADDRESS"] ?? "127.0.0.1:7420"
    }

    /// ``addressText(_:)`` as a resolved address.
    static func socketAddress(_ address: String?) throws -> SocketAddress {
        let text = addressText(address)
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { throw CLIFailure.usage("--address must be host:port, got \"\(text)\"") }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        do {
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw CLIFailure.usage("cannot resolve host \"\(host)\"")
        }
    }

    func callOptions() -> CallOptions {
        var metadata = Metadata()
        if let token = token ?? ProcessInfo.processInfo.environment["HABIT_TOKEN"], !token.isEmpty {
            metadata.add("authorization", "Bearer \(token)")
        }
        return CallOptions(timeout: .seconds(timeout), metadata: metadata)
    }

    /// Runs `body` with a client, closing it afterwards and turning failures into exit codes.
    func withClient<T: Sendable>(_ body: (RPCClient) async throws -> T) async throws -> T {
        var configuration = RPCClient.Configuration(addresses: [try socketAddress()])
        configuration.maxAttempts = 1
        let client = RPCClient(configuration: configuration)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw CLIFailure.from(error)
        }
    }
}

/// A failure with its message and exit code.
enum CLIFailure: Error {
    case usage(String)
    case status(RPCError)
    case other(String)

    static func from(_ error: any Error) -> any Error {
        if error is CLIFailure || error is ExitCode { return error }
        if let status = error as? RPCError { return CLIFailure.status(status) }
        return CLIFailure.other("\(error)")
    }

    /// Prints the readable message to standard error and exits with the documented code.
    func exit() -> ExitCode {
        switch self {
        case .usage(let message):
            printError("error: \(message)")
            return ExitCode(2)
        case .status(let status):
            printError("\(statusName(status.code)): \(status.message)")
            return ExitCode(64 + Int32(status.code.rawValue))
        case .other(let message):
            printError("error: \(message)")
            return ExitCode(1)
        }
    }
}

/// The gRPC name of a status code, for example UNAUTHENTICATED.
func statusName(_ code: RPCError.Code) -> String {
    let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]
    let index = Int(code.rawValue)
    return index < names.count ? names[index] : "CODE_\(index)"
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a subcommand body, mapping failures to the documented exit codes.
func runReportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as CLIFailure {
        throw failure.exit()
    }
}

extension HabitCLI {
    /// `call <Service/Method> '<json>'`.
    struct Call: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Calls a method with a JSON request (server streaming prints one JSON line per response; "
                + "client and bidirectional streaming read one JSON request per line from stdin).")

        @Argument(help: "The method, for example HabitService/CreateHabit or habit.v1.HabitService/CreateHabit.")
        var method: String
        @Argument(help: "The JSON request for unary and server-streaming methods (default {}).")
        var json: String = "{}"
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await runReportingFailures {
                let schema = try findMethod(method)
                let options = connection.callOptions()
                let kind = schema.descriptor.kind
                let single: ByteBuffer? = try kind.isClientStreaming ? nil : encode(json, as: schema.requestType)
                try await connection.withClient { client in
                    switch kind {
                    case .unary:
                        let response = try await client.unary(schema.descriptor, request: single ?? ByteBuffer(), options: options)
                        print(try decode(response, as: schema.responseType))
                    default:
                        try await client.streaming(
                            schema.descriptor, options: options,
                            requests: { writer in
                                if let single {
                                    try await writer.write(single)
                                } else {
                                    while let line = readLine() {
                                        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                                        try await writer.write(try encode(line, as: schema.requestType))
                                    }
                                }
                            },
                            responses: { responses in
                                for try await response in responses { print(try decode(response, as: schema.responseType)) }
                            })
                    }
                }
            }
        }
    }

    /// `list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists every service and method with its kind.")

        func run() async throws {
            for schema in HabitAPIRegistry.methods {
                let descriptor = schema.descriptor
                print(
                    "\(descriptor.service)/\(descriptor.method)  \(descriptor.kind)  "
                        + "\(schema.requestType.protoMessageName) -> \(schema.responseType.protoMessageName)")
            }
        }
    }

    /// `token --user NAME`.
    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mints a development token with the server's secret (HABIT_JWT_SECRET, HABIT_JWT_SECRET_FILE "
                + "or <data-dir>/dev-jwt-secret).")

        @Option(help: "The user the token authenticates (its subject).")
        var user: String
        @Option(help: "Lifetime in seconds (default 86400).")
        var ttl: Int = 86400
        @Option(help: "Data directory of the server (HABIT_DATA_DIR, default ./data).")
        var dataDir: String?

        func run() async throws {
            try await runReportingFailures {
                guard ttl > 0 else { throw CLIFailure.usage("--ttl must be positive") }
                let authority = try await tokenAuthority(dataDirectory: dataDir)
                do {
                    print(try await authority.mint(user: user, lifetime: .seconds(ttl)))
                } catch {
                    throw CLIFailure.other("cannot sign the token")
                }
            }
        }
    }

    /// `health`.
    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prints the server's serving status; exits 0 only when SERVING.")

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await runReportingFailures {
                let response = try await connection.withClient { client in
                    try await HealthServiceClient(transport: client).check(
                        HealthCheckRequest(), options: connection.callOptions())
                }
                print(response.status.protoName ?? "\(response.status.rawValue)")
                if response.status != .serving { throw ExitCode(1) }
            }
        }
    }
}

/// A token authority with the server's secret: HABIT_JWT_SECRET, HABIT_JWT_SECRET_FILE or <data-dir>/dev-jwt-secret.
func tokenAuthority(dataDirectory: String?) async throws -> TokenAuthority {
    let environment = ProcessInfo.processInfo.environment
    let secret: JWTSecret
    do {
        secret = try JWTSecret.resolve(
            environment: environment, dataDirectory: dataDirectory ?? environment["HABIT_DATA_DIR"] ?? "./data",
            generateIfMissing: false)
    } catch {
        throw CLIFailure.usage("\(error)")
    }
    return await TokenAuthority(secret: secret)
}

/// The schema of `name` (`Service/Method`, with or without the package).
func findMethod(_ name: String) throws -> MethodSchema {
    let wanted = name.hasPrefix("/") ? String(name.dropFirst()) : name
    let match = HabitAPIRegistry.methods.first { schema in
        let full = "\(schema.descriptor.service)/\(schema.descriptor.method)"
        return full == wanted || full.hasSuffix(".\(wanted)")
    }
    guard let match else { throw CLIFailure.usage("unknown method \"\(name)\"; `habit-cli list` shows them") }
    return match
}

func encode<Message: ProtoMessage>(_ json: String, as type: Message.Type) throws -> ByteBuffer {
    do {
        return try Message(jsonString: json).encodedBuffer()
    } catch {
        throw CLIFailure.usage("invalid JSON for \(type.protoMessageName): \(error)")
    }
}

func decode<Message: ProtoMessage>(_ buffer: ByteBuffer, as type: Message.Type) throws -> String {
    try Message(decoding: buffer).jsonString()
}
