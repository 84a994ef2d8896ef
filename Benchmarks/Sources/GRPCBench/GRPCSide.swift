import BenchSupport
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import HabitAPI
import ProtoRuntime
import RPCCore

/// Passes message bytes through unchanged: the no-op method, and clients that do not decode responses.
struct RawBytesCoder: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// Codes a HabitAPI message with its generated ProtoMessage code (no swift-protobuf, no codegen plugin).
struct ProtoMessageCoder<Message: ProtoMessage>: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        var bytes = Bytes(repeating: 0, count: message.serializedSize())
        bytes.withUnsafeMutableBytes { message.serialize(into: $0) }
        return bytes
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        try serializedMessageBytes.withUnsafeBytes { try Message(serializedBytes: $0) }
    }
}

extension BenchMethod {
    /// This method under gRPC's name for it (the same path HabitRPC's descriptor names).
    var grpcDescriptor: GRPCCore.MethodDescriptor {
        GRPCCore.MethodDescriptor(fullyQualifiedService: descriptor.service, method: descriptor.method)
    }
}

/// The two bench methods as a hand-registered gRPC service: what generated code would register, minus codegen.
struct GRPCBenchService: RegistrableRPCService {
    let backend: CharacterBackend

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: BenchMethod.noop.grpcDescriptor, deserializer: RawBytesCoder(), serializer: RawBytesCoder()
        ) { request, _ in
            StreamingServerResponse(single: ServerResponse(message: try await ServerRequest(stream: request).message))
        }
        let backend = backend
        router.registerHandler(
            forMethod: BenchMethod.character.grpcDescriptor,
            deserializer: ProtoMessageCoder<GetCharacterRequest>(), serializer: ProtoMessageCoder<GetCharacterResponse>()
        ) { request, context in
            let single = try await ServerRequest(stream: request)
            let callContext = ServerCallContext(
                descriptor: BenchMethod.character.descriptor, metadata: [:], deadline: nil, peer: context.remotePeer,
                callID: 0)
            let userName = single.metadata[stringValues: benchUserKey].first { _ in true }
            let response = try await backend.getCharacter(single.message, userName: userName, context: callContext)
            return StreamingServerResponse(single: ServerResponse(message: response))
        }
    }
}

/// Serves the bench methods over grpc-swift-2 with grpc-swift-nio-transport (HTTP/2 plaintext, defaults).
func serveGRPC(port: Int) async throws {
    let backend = try await CharacterBackend.seeded()
    let server = GRPCServer(
        transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext),
        services: [GRPCBenchService(backend: backend)])
    try await server.serve()
}

/// Opens `conns` gRPC clients (one HTTP/2 connection each) and keeps `inflight` calls of `method` going over
/// them, round robin; the same shape as ``loadHabitRPC``.
func loadGRPC(
    port: Int, method: BenchMethod, conns: Int, inflight: Int, warmup: Duration, seconds: Duration
) async throws -> LoadTally {
    var clients: [GRPCClient<HTTP2ClientTransport.Posix>] = []
    for _ in 0..<conns {
        clients.append(GRPCClient(transport: try .http2NIOPosix(
            target: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext)))
    }
    let pool = clients
    let request = method.requestBytes
    let descriptor = method.grpcDescriptor
    let requests = (0..<min(inflight, benchUserCount)).map { slot in
        ClientRequest(message: request, metadata: method == .character ? [benchUserKey: .string(benchUserName(slot: slot))] : [:])
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        for client in pool { group.addTask { try await client.runConnections() } }
        let tally = await closedLoop(inflight: inflight, warmup: warmup, seconds: seconds) { slot in
            _ = try await pool[slot % pool.count].unary(
                request: requests[slot % requests.count], descriptor: descriptor, serializer: RawBytesCoder(),
                deserializer: RawBytesCoder(), options: .defaults
            ) { try $0.message }
        }
        for client in pool { client.beginGracefulShutdown() }
        try await group.waitForAll()
        return tally
    }
}
