import NIOCore
import RPCClient
import RPCCore
import RPCEchoService
import RPCServer
import Synchronization
import Testing

/// Whether a scripted server has seen a REQUEST.
private final class RequestSeen: Sendable {
    let flag = Atomic(false)
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
