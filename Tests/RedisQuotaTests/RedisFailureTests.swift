import Logging
import MetricsTestKit
import NIOCore
import RPCCore
import LoopbackTesting
import Testing

@testable import RedisQuota

/// Redis absent, slow, lying or killed: checks keep answering through each policy's failure mode.
@Suite("Redis failures")
struct RedisFailureTests {
    static let policies = QuotaPolicies(byMethodClass: [
        "local": .init(limit: 10, period: .seconds(3600), onBackendFailure: .local),
        "open": .init(limit: 10, period: .seconds(3600), onBackendFailure: .failOpen),
        "closed": .init(limit: 10, period: .seconds(3600), onBackendFailure: .failClosed),
    ])

    private func limiter(
        port: Int,
        metrics: TestMetrics = TestMetrics(),
        configure: (inout QuotaLimiter.Configuration) -> Void = { _ in }
    ) -> (QuotaLimiter, RedisClient) {
        var clientConfiguration = RedisClient.Configuration(host: "127.0.0.1", port: port)
        clientConfiguration.initialReconnectDelay = .milliseconds(10)
        clientConfiguration.maximumReconnectDelay = .milliseconds(50)
        let client = RedisClient(configuration: clientConfiguration)
        var configuration = QuotaLimiter.Configuration(policies: Self.policies)
        configuration.instanceCount = 2
        configuration.failureThreshold = 3
        configuration.coolDown = .milliseconds(50)
        configure(&configuration)
        let limiter = QuotaLimiter(
            configuration: configuration, redis: client, logger: Logger(label: "quota-test"), metricsFactory: metrics)
        return (limiter, client)
    }

    @Test func aGarbageReplyIsAProtocolErrorAndTheCheckFallsBack() async throws {
        let server = try await FakeRedisServer(reply: "this is not RESP\r\n")
        let client = RedisClient(configuration: .init(host: "127.0.0.1", port: server.port))
        let error = await #expect(throws: RedisClientError.self) {
            try await client.send(["PING"], timeout: .seconds(5))
        }
        #expect(error?.code == .protocolError)
        let (limiter, limiterClient) = limiter(port: server.port) { $0.checkTimeout = .seconds(5) }
        let decision = await limiter.check(user: "u", methodClass: "local")
        guard case .allowed(let status?) = decision else {
            Issue.record("expected a local decision, got \(decision)")
            return
        }
        #expect(status.source == .local && status.limit == 5, "half the burst with 2 instances")
        await client.shutdown()
        await limiterClient.shutdown()
        try await server.stop()
    }

    @Test func aConnectionThatMissedADeadlineIsReplaced() async throws {
        let server = try await FakeRedisServer(reply: "+PONG\r\n", silentConnections: 1)
        var configuration = RedisClient.Configuration(host: "127.0.0.1", port: server.port)
        configuration.connectionCount = 1
        let client = RedisClient(configuration: configuration)
        let error = await #expect(throws: RedisClientError.self) {
            try await client.send(["PING"], timeout: .milliseconds(50))
        }
        #expect(error?.code == .timedOut)
        var reply: RESPValue?
        for _ in 0..<5 where reply == nil {
            // Until the closed connection has left the pool, a send may still meet it.
            reply = try? await client.send(["PING"], timeout: .seconds(1))
        }
        #expect(reply == .simpleString("PONG"))
        await client.shutdown()
        try await server.stop()
    }

    @Test func aWellFormedReplyOfTheWrongShapeIsAnError() {
        for reply: RESPValue in [
            .simpleString("OK"), .array([.integer(1), .integer(2)]), .error("ERR boom"),
            .array([.integer(2), .integer(0), .integer(0), .integer(0)]),
            .array([.integer(1), .bulkString([49]), .integer(0), .integer(0)]),
        ] {
            #expect(throws: RedisClientError.self, "\(reply)") { try RedisGCRABackend.outcome(of: reply) }
        }
    }

    @Test func aSilentServerCostsAtMostTheTimeoutThenOpensTheBreaker() async throws {
        let server = try await FakeRedisServer(reply: nil)
        let metrics = TestMetrics()
        let (limiter, client) = limiter(port: server.port, metrics: metrics) { $0.checkTimeout = .milliseconds(25) }
        for _ in 0..<3 {
            let decision = await limiter.check(user: "u", methodClass: "open")
            #expect(decision == .allowed(nil))
        }
        #expect(limiter.isDegraded)
        #expect(await limiter.check(user: "u", methodClass: "closed").rejection?.code == .unavailable)
        #expect(try metrics.expectCounter("hrpc_quota_backend_failures_total").totalValue == 3)
        // Closed, then open (a loaded machine may already have probed: half-open, and open again).
        let breakerStates = try metrics.expectGauge("hrpc_quota_breaker_state").values
        #expect(breakerStates.first == 0 && breakerStates.dropFirst().first == 1 && breakerStates.last == 1)
        let failedOpen = try metrics.expectCounter(
            "hrpc_quota_decisions_total", [("outcome", "allowed"), ("source", "fail_open")])
        #expect(failedOpen.totalValue == 3)
        await client.shutdown()
        try await server.stop()
    }

    @Test func eachPolicyChoosesItsFailureMode() async throws {
        let (limiter, client) = limiter(port: try await freeLoopbackPort())
        #expect(await limiter.check(user: "u", methodClass: "open") == .allowed(nil))
        let closed = await limiter.check(user: "u", methodClass: "closed")
        #expect(closed == .backendUnavailable(methodClass: "closed") && closed.rejection?.isNotProcessed == true)
        var allowedLocally = 0
        for _ in 0..<10 where await limiter.check(user: "u", methodClass: "local").isAllowed { allowedLocally += 1 }
        #expect(allowedLocally == 5, "this instance's share: 10 / 2 instances")
        await client.shutdown()
    }

    @Test func redisKilledMidLoadFallsBackThenRecovers() async throws {
        let server = OwnedRedisServer(port: try LoopbackPort.freeForRestartableServer())
        try server.start()
        defer { server.kill() }
        let metrics = TestMetrics()
        let (limiter, client) = limiter(port: server.port, metrics: metrics) { $0.checkTimeout = .seconds(2) }
        let probe = RedisClient(configuration: .init(host: "127.0.0.1", port: server.port))
        try await waitUntilRedisAnswers(probe)

        // The limiter's own connection opens on its first check; on a loaded machine that first check
        // may miss its deadline and be answered locally, so wait (bounded) until checks run on Redis.
        var onRedis = false
        for _ in 0..<100 where !onRedis {
            onRedis = source(of: await limiter.check(user: "warm-up", methodClass: "local")) == .redis
            if !onRedis { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(onRedis, "checks run on Redis before it is killed")

        server.kill()
        var sources: [QuotaStatus.Source?] = []
        for _ in 0..<50 {
            let decisions = await withTaskGroup(of: QuotaDecision.self) { group in
                for _ in 0..<4 { group.addTask { await limiter.check(user: "load", methodClass: "local") } }
                return await group.reduce(into: [QuotaDecision]()) { $0.append($1) }
            }
            sources += decisions.map(source(of:))
        }
        #expect(!sources.contains(.redis) && sources.contains(.local))
        #expect(limiter.isDegraded)

        try server.start()
        try await waitUntilRedisAnswers(probe)
        var recovered = false
        for _ in 0..<200 where !recovered {
            recovered = source(of: await limiter.check(user: "fresh", methodClass: "local")) == .redis
            if !recovered { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(recovered, "a probe after the cool-down closes the breaker")
        #expect(!limiter.isDegraded)
        let breakerStates = try metrics.expectGauge("hrpc_quota_breaker_state").values
        #expect(breakerStates.contains(1) && breakerStates.contains(2) && breakerStates.last == 0, "\(breakerStates)")
        await probe.shutdown()
        await client.shutdown()
    }

    private func source(of decision: QuotaDecision) -> QuotaStatus.Source? {
        switch decision {
        case .allowed(let status): status?.source
        case .denied(let status): status.source
        case .backendUnavailable: nil
        }
    }

    /// Polls with PING (bounded) until the freshly started redis-server accepts commands.
    private func waitUntilRedisAnswers(_ client: RedisClient) async throws {
        for _ in 0..<100 {
            if (try? await client.send(["PING"], timeout: .milliseconds(200))) == .simpleString("PONG") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("redis-server did not start")
    }
}
