import NIOCore
import RPCClient
import RPCCore
import RPCEchoService
import RPCServer
import Testing

@Suite struct DrainTests {
    @Test func shutdownUnderLoadLosesNoAcceptedCall() async throws {
        let (succeeded, refused, lost, started) = try await withEchoServer(configure: { $0.drainGracePeriod = .seconds(10) }) { address, service, server in
            var configuration = RPCClient.Configuration(addresses: [address])
            configuration.connectionsPerAddress = 2
            configuration.maxAttempts = 1
            let client = RPCClient(configuration: configuration)
            let outcome = try await withThrowingTaskGroup(of: (Int, Int, Int).self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        var (succeeded, refused, lost) = (0, 0, 0)
                        for _ in 0..<200 {
                            do {
                                _ = try await client.unary(EchoService.slow, request: payload(20), options: CallOptions())
                                succeeded += 1
                            } catch let error as RPCError where error.isNotProcessed {
                                refused += 1
                                break
                            } catch {
                                lost += 1
                                break
                            }
                        }
                        return (succeeded, refused, lost)
                    }
                }
                try await eventually { service.started >= 100 }
                server.beginGracefulShutdown()
                return try await group.reduce((0, 0, 0)) { ($0.0 + $1.0, $0.1 + $1.1, $0.2 + $1.2) }
            }
            await client.close()
            return (outcome.0, outcome.1, outcome.2, service.started)
        }
        #expect(succeeded > 0)
        #expect(refused > 0, "calls after the drain are refused as not processed")
        #expect(lost == 0, "no call failed after the server may have processed it")
        #expect(started == succeeded, "every handler that ran had its response delivered")
    }

    @Test func maxConnectionAgeMovesCallsToAFreshConnectionWithoutErrors() async throws {
        try await withEchoServer(configure: { $0.maxConnectionAge = .milliseconds(500) }) { address, _, _ in
            var configuration = RPCClient.Configuration(addresses: [address])
            configuration.maxAttempts = 5
            let client = RPCClient(configuration: configuration)
            let clock = ContinuousClock()
            let end = clock.now + .milliseconds(2000)
            var calls = 0
            while clock.now < end {
                let response = try await client.unary(EchoService.unary, request: payload(UInt32(calls)), options: CallOptions())
                #expect(value(response) == UInt32(calls))
                calls += 1
            }
            #expect(calls > 0)
            await client.close()
        }
    }

    @Test func aRequestAfterDrainAckIsRefusedUnavailableNotProcessed() async throws {
        try await withEchoServer { address, service, server in
            let session = try await RawSession.open(address)
            let slow = Frame.request(callID: 1, RequestHead(methodID: EchoService.slow.id), message: payload(3000), endStream: true)
            try await session.send(clientOpening() + slow.bytes)
            // Drain only once the call runs: before the handshake is done a drain is a plain GOAWAY.
            try await eventually { service.started == 1 }
            server.beginGracefulShutdown()
            _ = try await session.waitForFrames { $0.contains(.drain) }
            let late = Frame.request(callID: 2, RequestHead(methodID: EchoService.unary.id), message: payload(1), endStream: true)
            try await session.send(Frame.drainAck.bytes + late.bytes)
            let all = try frames(in: try await session.waitForClose())
            let responses = all.filter { $0.type == .response }
            #expect(responses.contains(.response(callID: 1, .ok, isNotProcessed: false, message: payload(3000))))
            #expect(responses.contains { frame in
                if case .response(2, let status, true, nil) = frame { return status.code == RPCError.Code.unavailable.rawValue }
                return false
            })
            #expect(all.last == .goAway(.noError, message: "drained"))
            await session.close()
        }
    }
}

@Suite struct InterceptorTests {
    struct User: CallAttributeKey { typealias Value = String }

    /// Rejects calls without `authorization`, and passes the caller's name on as an attribute.
    struct Authenticator: ServerInterceptor {
        func intercept<Result: Sendable>(
            _ context: ServerCallContext, next: @Sendable (ServerCallContext) async throws -> Result
        ) async throws -> Result {
            guard let token = context.metadata.firstText("authorization") else {
                throw RPCError(code: .unauthenticated, message: "missing authorization", isNotProcessed: true)
            }
            var context = context
            context.attributes[User.self] = token
            return try await next(context)
        }
    }

    static let whoAmI = EchoService.descriptor("WhoAmI", .unary)

    @Test func anInterceptorRejectsOrPassesAttributesToTheHandler() async throws {
        let whoAmI = ServerMethod(descriptor: Self.whoAmI, handler: .unary { _, context in
            ByteBuffer(string: "\(context.attributes[User.self] ?? "nobody") call \(context.callID) \(context.descriptor)")
        })
        try await withEchoServer(interceptors: [Authenticator()], extraMethods: [whoAmI]) { address, _, _ in
            let connection = try await ClientConnection.connect(to: address)
            let rejected = await #expect(throws: RPCError.self) {
                _ = try await connection.unary(Self.whoAmI, request: ByteBuffer(), options: CallOptions())
            }
            #expect(rejected?.code == .unauthenticated)
            #expect(rejected?.isNotProcessed == true)
            let response = try await connection.unary(Self.whoAmI, request: ByteBuffer(), options: CallOptions(metadata: ["authorization": .text("ada")]))
            #expect(String(buffer: response).hasPrefix("ada call "))
            #expect(String(buffer: response).hasSuffix("/test.Echo/WhoAmI"))
            await connection.close()
        }
    }
}

@Suite struct ReconnectTests {
    @Test func thePoolReconnectsAfterTheServerRestarts() async throws {
        var configuration = RPCClient.Configuration(addresses: [])
        configuration.maxAttempts = 5
        configuration.initialBackoff = .milliseconds(20)
        let port = try await withEchoServer { address, _, _ in
            configuration.addresses = [address]
            let client = RPCClient(configuration: configuration)
            let first = try await client.unary(EchoService.unary, request: payload(1), options: CallOptions())
            #expect(value(first) == 1)
            await client.close()
            return address.port ?? 0
        }
        let client = RPCClient(configuration: configuration)
        let refused = await #expect(throws: RPCError.self) {
            _ = try await client.unary(EchoService.unary, request: payload(2), options: CallOptions())
        }
        #expect(refused?.code == .unavailable)
        #expect(refused?.isNotProcessed == true, "a call that never reached a server is safe to retry")
        try await withEchoServer(configure: { $0.port = port }) { _, _, _ in
            // The first attempts may hit the backoff window of the failed slot; retries get through.
            var answer: UInt32?
            for _ in 0..<20 where answer == nil {
                if let response = try? await client.unary(EchoService.unary, request: payload(3), options: CallOptions()) {
                    answer = value(response)
                } else {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(answer == 3)
        }
        await client.close()
    }
}
