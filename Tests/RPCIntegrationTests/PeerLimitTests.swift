import NIOCore
import RPCClient
import RPCCore
import RPCEchoService
import RPCServer
import Synchronization
import Testing

/// A client that accepts frames of at most the protocol's minimum MAX_FRAME_SIZE.
private func smallFrameSettings() -> ConnectionSettings {
    var settings = ConnectionSettings()
    settings.maxFrameSize = ConnectionSettings.minimumMaxFrameSize
    return settings
}

/// The stream messages a call delivered before it failed.
private final class ReceivedMessages: Sendable {
    let messages = Mutex<[ByteBuffer]>([])
}

/// Whether a scripted server has seen a REQUEST.
private final class RequestSeen: Sendable {
    let flag = Atomic(false)
}

/// The server never sends a RESPONSE or DATA over the client's MAX_FRAME_SIZE (docs/PROTOCOL.md §5.2, §5.3).
@Suite struct ResponseFrameSizeTests {
    @Test func aResponseOverTheClientsMaxFrameSizeEndsTheCallResourceExhaustedAndTheConnectionStays() async throws {
        try await withEchoServer { address, _, _ in
            let connection = try await ClientConnection.connect(to: address, settings: smallFrameSettings())
            // A RESPONSE's length is 3 bytes of meta plus the message: 16,381 bytes fit exactly.
            let fits = ByteBuffer(repeating: 1, count: 16_381)
            let echoed = try await connection.unary(EchoService.unary, request: fits, options: CallOptions())
            #expect(echoed == fits)
            let error = await #expect(throws: RPCError.self) {
                _ = try await connection.unary(EchoService.unary, request: ByteBuffer(repeating: 2, count: 20_000), options: CallOptions())
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.message == "RESPONSE frame of 20003 bytes exceeds the client's max 16384")
            #expect(error?.isNotProcessed == false)
            let after = try await connection.unary(EchoService.unary, request: payload(5), options: CallOptions())
            #expect(value(after) == 5)
            #expect(connection.acceptsCalls)
            await connection.close()
        }
    }

    @Test(arguments: [RPCServer.HandlerPlacement.globalExecutor, .eventLoop])
    func aStreamMessageOverTheClientsMaxFrameSizeEndsTheCallAfterTheMessagesBeforeIt(placement: RPCServer.HandlerPlacement) async throws {
        try await withEchoServer(configure: { $0.handlerPlacement = placement }) { address, _, _ in
            let connection = try await ClientConnection.connect(to: address, settings: smallFrameSettings())
            let received = ReceivedMessages()
            let error = await #expect(throws: RPCError.self) {
                try await connection.streaming(EchoService.bidi, options: CallOptions(), requests: { writer in
                    try await writer.write(payload(1))
                    try await writer.write(ByteBuffer(repeating: 3, count: 20_000))
                }, responses: { responses in
                    for try await message in responses { received.messages.withLock { $0.append(message) } }
                })
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.message == "DATA frame of 20000 bytes exceeds the client's max 16384")
            #expect(received.messages.withLock { $0 } == [payload(1)])
            let after = try await connection.unary(EchoService.unary, request: payload(6), options: CallOptions())
            #expect(value(after) == 6)
            await connection.close()
        }
    }
}

/// The Swift client's keepalive (docs/PROTOCOL.md §9), against a scripted server.
@Suite struct ClientKeepaliveTests {
    /// Settings that make the client ping after `milliseconds` of silence.
    private func keepaliveSettings(_ milliseconds: UInt32) -> ConnectionSettings {
        var settings = ConnectionSettings()
        settings.keepaliveTimeMilliseconds = milliseconds
        return settings
    }

    /// A server that allows PINGs at any rate and answers them.
    private func startPongingServer(untilRequest: Bool) async throws -> RawServer {
        let sawRequest = RequestSeen()
        return try await RawServer.start(settings: [ConnectionSettings.Entry(id: 6, value: 0)]) { frame in
            if case .request = frame, untilRequest { sawRequest.flag.store(true, ordering: .relaxed) }
            guard case .ping(let data) = frame, !sawRequest.flag.load(ordering: .relaxed) else { return [] }
            return [.pong(data)]
        }
    }

    @Test func aServerThatFallsSilentIsPingedThenSentGoAwayTimeoutAndOpenCallsFailUnavailable() async throws {
        // The server answers PINGs until the call's REQUEST arrives, then says nothing more.
        let server = try await startPongingServer(untilRequest: true)
        var configuration = RPCClient.Configuration(addresses: [try server.address])
        configuration.settings = keepaliveSettings(100)
        configuration.keepaliveTimeout = .seconds(1)
        configuration.maxAttempts = 1
        let client = RPCClient(configuration: configuration)
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.unary(EchoService.slow, request: payload(1), options: CallOptions())
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.hasPrefix("keepalive timeout") == true)
        #expect(error?.isNotProcessed == false, "the server may have run the call")
        let sent = try await server.waitForClose()
        #expect(sent.first?.type == .settings)
        let afterRequest = sent.drop(while: { $0.type != .request }).dropFirst()
        #expect(afterRequest.map(\.type) == [.ping, .goAway])
        if case .goAway(let code, let message)? = sent.last {
            #expect(code == .timeout)
            #expect(message.hasPrefix("keepalive timeout"))
        }
        await client.close()
        await server.close()
    }

    @Test func aServerThatAnswersPingsKeepsTheConnection() async throws {
        let server = try await startPongingServer(untilRequest: false)
        let connection = try await ClientConnection.connect(
            to: try server.address, settings: keepaliveSettings(50), keepaliveTimeout: .seconds(1))
        let sent = try await server.waitForFrames { frames in frames.count { $0.type == .ping } >= 3 }
        #expect(!sent.contains { $0.type == .goAway })
        #expect(connection.acceptsCalls)
        await connection.close()
        await server.close()
    }

    @Test func aServerThatNeverSendsSettingsFailsTheConnectAtItsTimeout() async throws {
        let server = try await RawServer.start(settings: nil)
        let error = await #expect(throws: RPCError.self) {
            _ = try await ClientConnection.connect(to: try server.address, connectTimeout: .milliseconds(300))
        }
        #expect(error?.code == .unavailable)
        #expect(error?.isNotProcessed == true)
        #expect(error?.message.contains("no SETTINGS") == true)
        await server.close()
    }

    @Test(arguments: [0, 45_000] as [UInt32])
    func theClientAnnouncesItsKeepaliveTime(milliseconds: UInt32) async throws {
        let server = try await RawServer.start()
        let connection = try await ClientConnection.connect(to: try server.address, settings: keepaliveSettings(milliseconds))
        let sent = try await server.waitForFrames { !$0.isEmpty }
        guard case .settings(let entries)? = sent.first else {
            Issue.record("the client's first frame is not SETTINGS: \(sent)")
            return
        }
        #expect(entries.last { $0.id == ConnectionSettings.ID.keepaliveTimeMilliseconds.rawValue }?.value == milliseconds)
        await connection.close()
        await server.close()
    }
}

/// The Swift client holds a RESPONSE's trailing metadata to its MAX_METADATA_SIZE (docs/PROTOCOL.md §5.6).
@Suite struct TrailingMetadataCapTests {
    @Test func trailingMetadataOverTheClientsCapFailsThatCallOnly() async throws {
        // Answers every REQUEST with its message and a trailing entry whose value is as long as the
        // request's u32 says: 4 + 5 ("extra") + n bytes of metadata.
        let server = try await RawServer.start { frame in
            guard case .request(let callID, _, let message?, _) = frame, let size = value(message) else { return [] }
            let status = ResponseStatus(code: 0, metadata: ["extra": .text(String(repeating: "x", count: Int(size)))])
            return [.response(callID: callID, status, isNotProcessed: false, message: message)]
        }
        var settings = ConnectionSettings()
        settings.maxMetadataSize = 100
        let connection = try await ClientConnection.connect(to: try server.address, settings: settings)
        let atCap = try await connection.unary(EchoService.unary, request: payload(91), options: CallOptions())
        #expect(value(atCap) == 91)
        let error = await #expect(throws: RPCError.self) {
            _ = try await connection.unary(EchoService.unary, request: payload(92), options: CallOptions())
        }
        #expect(error?.code == .resourceExhausted)
        #expect(error?.message == "trailing metadata of 101 bytes exceeds max 100")
        #expect(error?.isNotProcessed == false, "the server processed the call")
        let after = try await connection.unary(EchoService.unary, request: payload(0), options: CallOptions())
        #expect(value(after) == 0)
        #expect(connection.acceptsCalls)
        #expect(!server.frames.contains { $0.type == .goAway })
        await connection.close()
        await server.close()
    }
}
