import Logging
import RPCCore
import Synchronization
import Testing

@testable import RedisQuota

/// A clock the test moves by hand, in milliseconds.
final class ManualClock: Sendable {
    private let milliseconds = Mutex(0.0)
    func advance(by delta: Double) { milliseconds.withLock { $0 += delta } }
    var now: @Sendable () -> Double { { [self] in milliseconds.withLock { $0 } } }
}

@Suite("In-process limiter and decisions")
struct LocalQuotaTests {
    static let policies = QuotaPolicies(byMethodClass: [
        "write": .perMinute(120, burst: 20), "import": .perMinute(600, burst: 200),
    ])

    @Test func theEmbeddedLimiterEnforcesBurstThenRefills() async {
        let clock = ManualClock()
        let limiter = QuotaLimiter(
            configuration: .init(policies: Self.policies), redis: nil, local: LocalQuotaLimiter(now: clock.now),
            logger: Logger(label: "test"))
        var allowed = 0
        for _ in 0..<25 where await limiter.check(user: "u1", methodClass: "write").isAllowed { allowed += 1 }
        #expect(allowed == 20)
        let denied = await limiter.check(user: "u1", methodClass: "write")
        guard case .denied(let status) = denied else {
            Issue.record("expected a denial, got \(denied)")
            return
        }
        #expect(status.retryAfterMilliseconds == 500 && status.remaining == 0 && status.source == .local)
        clock.advance(by: 500)
        #expect(await limiter.check(user: "u1", methodClass: "write").isAllowed)
        #expect(await limiter.check(user: "u2", methodClass: "write").isAllowed, "users are independent")
        #expect(await limiter.check(user: "u1", methodClass: "unlisted") == .allowed(nil))
    }

    @Test func importsCountEveryMessage() async {
        let limiter = QuotaLimiter(
            configuration: .init(policies: Self.policies), redis: nil, logger: Logger(label: "test"))
        #expect(await limiter.check(user: "u", methodClass: "import", cost: 150).isAllowed)
        #expect(await !limiter.check(user: "u", methodClass: "import", cost: 51).isAllowed)
        #expect(await limiter.check(user: "u", methodClass: "import", cost: 50).isAllowed)
    }

    @Test func keysWhoseAllowanceIsFullAgainAreSwept() {
        let clock = ManualClock()
        let local = LocalQuotaLimiter(now: clock.now)
        let policy = QuotaPolicy(limit: 10, period: .seconds(1))
        for index in 0..<1023 { _ = local.evaluate(key: "k\(index)", policy: policy, cost: 1) }
        #expect(local.trackedKeyCount == 1023)
        clock.advance(by: 1000)
        _ = local.evaluate(key: "fresh", policy: policy, cost: 1)
        #expect(local.trackedKeyCount == 1)
    }

    @Test func aDenialBecomesResourceExhaustedWithRetryMetadata() {
        let status = QuotaStatus(
            methodClass: "write", limit: 20, remaining: 0, retryAfterMilliseconds: 350, resetAfterMilliseconds: 10_000,
            source: .redis)
        let error = QuotaDecision.denied(status).rejection
        #expect(error?.code == .resourceExhausted)
        #expect(error?.isNotProcessed == true)
        #expect(error?.metadata.firstText("retry-after-ms") == "350")
        #expect(error?.metadata.firstText("quota-remaining") == "0")
        #expect(error?.metadata.firstText("quota-limit") == "20")
        #expect(error?.metadata.firstText("quota-reset-ms") == "10000")
        #expect(error?.metadata.firstText("quota-class") == "write")
        #expect(QuotaDecision.allowed(status).rejection == nil)
        #expect(QuotaDecision.backendUnavailable(methodClass: "write").rejection?.code == .unavailable)
    }

    @Test func keysAreNamespacedAndHashTaggedOnTheUser() {
        #expect(QuotaLimiter.key(prefix: "hrpc:q", user: "alice", methodClass: "write") == "hrpc:q:{alice}:write")
        #expect(QuotaLimiter.key(prefix: "hrpc:q", user: "a}:{b%", methodClass: "w") == "hrpc:q:{a%7D%3A%7Bb%25}:w")
    }

    @Test func withoutARedisURLTheInProcessLimiterIsTheDefault() async throws {
        let logger = Logger(label: "test")
        let configuration = QuotaLimiter.Configuration(policies: Self.policies)
        let (limiter, redis) = try QuotaLimiter.fromEnvironment([:], configuration: configuration, logger: logger)
        #expect(redis == nil)
        guard case .allowed(let status?) = await limiter.check(user: "u", methodClass: "write") else {
            Issue.record("expected an allowed decision with a status")
            return
        }
        #expect(status.source == .local && status.remaining == 19)
        #expect(throws: RedisClientError.self) {
            try QuotaLimiter.fromEnvironment(
                ["HABIT_REDIS_URL": "localhost:6379"], configuration: configuration, logger: logger)
        }
    }

    @Test func redisURLsParse() throws {
        let full = try RedisClient.Configuration(url: "redis://127.0.0.1:6390")
        #expect(full.host == "127.0.0.1" && full.port == 6390)
        #expect(try RedisClient.Configuration(url: "redis://cache/").port == 6379)
        for bad in ["http://x", "redis://", "redis://x:0", "redis://x:port", "redis://u:p@x", "redis://x/1"] {
            #expect(throws: RedisClientError.self, "\(bad)") { try RedisClient.Configuration(url: bad) }
        }
    }
}
