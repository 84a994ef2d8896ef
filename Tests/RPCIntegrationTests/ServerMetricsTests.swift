import MetricsTestKit
import NIOCore
import RPCClient
import RPCCore
import RPCEchoService
import RPCServer
import Testing

/// Connection and call metrics of a real server on loopback, on a test metrics factory.
@Suite("server metrics")
struct ServerMetricsTests {
    @Test("connections are counted as accepted, refused at the limit, and open until they close")
    func connectionCounts() async throws {
        let metrics = TestMetrics()
        let service = EchoService()
        let interceptor = ServerMetricsInterceptor(methods: service.methods.map(\.descriptor), factory: metrics)
        try await withEchoServer(
            configure: { $0.maxConnections = 1 }, interceptors: [interceptor], metricsFactory: metrics
        ) { address, _, _ in
            let client = try await ClientConnection.connect(to: address)
            let response = try await client.unary(EchoService.unary, request: payload(3), options: CallOptions())
            #expect(value(response) == 3)
            // The call was answered, so the server admitted the connection.
            #expect(try metrics.expectCounter("hrpc_server_connections_accepted_total").totalValue == 1)
            #expect(try metrics.expectMeter("hrpc_server_connections_open").lastValue == 1)

            let refusal = try frames(in: try await rawExchange(address, clientOpening()))
            #expect(refusal == [.goAway(.resourceLimit, message: "too many connections: limit is 1")])
            #expect(try metrics.expectCounter("hrpc_server_connections_refused_total").totalValue == 1)

            let failure = await #expect(throws: RPCError.self) {
                try await client.unary(EchoService.fail, request: ByteBuffer(string: "nope"), options: CallOptions())
            }
            #expect(failure?.code == .notFound)
            await client.close()
        }
        // run() returned, so every connection has closed.
        #expect(try metrics.expectMeter("hrpc_server_connections_open").lastValue == 0)
        #expect(try metrics.expectCounter("hrpc_server_connections_accepted_total").totalValue == 1)
        let calls = ServerMetricsInterceptor.Label.calls
        #expect(
            try metrics.expectCounter(calls, [("method", EchoService.unary.fullName), ("code", "OK")]).totalValue == 1)
        #expect(
            try metrics.expectCounter(calls, [("method", EchoService.fail.fullName), ("code", "NOT_FOUND")]).totalValue
                == 1)
        #expect(try metrics.expectMeter(ServerMetricsInterceptor.Label.callsInFlight).lastValue == 0)
    }
}
