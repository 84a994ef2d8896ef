import Foundation
import Logging
import NIOCore
import Testing

@testable import RedisQuota

/// Against the real redis-server that `make test` starts.
@Suite("Redis quotas", .serialized, .enabled(if: TestRedis.isEnabled))
struct RedisQuotaIntegrationTests {
    static let longTimeout = TimeAmount.seconds(5)

    private func withClient(_ body: (RedisClient) async throws -> Void) async throws {
        let client = try TestRedis.client()
        do {
            try await body(client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    @Test func pipelinedCommandsGetTheirOwnReplies() async throws {
        try await withClient { client in
            let key = TestRedis.uniquePrefix() + ":counter"
            let replies = try await withThrowingTaskGroup(of: RESPValue.self) { group in
                for _ in 0..<200 { group.addTask { try await client.send(["INCR", key], timeout: Self.longTimeout) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(replies) == Set((1...200).map { RESPValue.integer($0) }))
            _ = try await client.send(["DEL", key], timeout: Self.longTimeout)
        }
    }

    @Test func theEmbeddedScriptHashIsTheOneRedisComputes() async throws {
        try await withClient { client in
            let reply = try await client.send(["SCRIPT", "LOAD", RedisGCRAScript.source], timeout: Self.longTimeout)
            #expect(reply.text == RedisGCRAScript.sha1)
        }
    }

    /// The transcript on a time scale 1,000 times larger (every value in it is a whole number, so the
    /// arithmetic scales exactly): the script sets key TTLs in real milliseconds, and at the original
    /// scale a 200 ms TTL could run out between two simulated steps on a loaded machine.
    @Test func theLuaScriptFollowsTheVerifiedTranscript() async throws {
        let scale: Int64 = 1000
        let policy = QuotaPolicy(
            limit: GCRATests.policy.limit, period: .milliseconds(GCRATests.policy.periodMilliseconds * scale),
            burst: GCRATests.policy.burst)
        try await withClient { client in
            let backend = RedisGCRABackend(client: client)
            let key = TestRedis.uniquePrefix() + ":{t}:transcript"
            for (index, entry) in GCRATests.transcript.enumerated() {
                let outcome = try await backend.evaluate(
                    key: key, policy: policy, cost: entry.cost, deadline: .now() + Self.longTimeout,
                    now: entry.at * scale)
                let scaled = [entry.reply[0], entry.reply[1], entry.reply[2] * (entry.reply[2] < 0 ? 1 : Int(scale)),
                    entry.reply[3] * Int(scale)]
                let reply = [
                    outcome.isAllowed ? 1 : 0, outcome.remaining, outcome.retryAfterMilliseconds,
                    outcome.resetAfterMilliseconds,
                ]
                #expect(reply == scaled, "step \(index)")
            }
        }
    }

    @Test func theLuaScriptAndThePureFunctionAgreeOnRandomTraffic() async throws {
        try await withClient { client in
            let backend = RedisGCRABackend(client: client)
            var random = SplitMix64(seed: 0x5eed)
            let prefix = TestRedis.uniquePrefix()
            for round in 0..<6 {
                let policy = QuotaPolicy(
                    limit: Int(random.next() % 50) + 1,
                    // Periods of minutes, so the shortest key TTL (one interval) outlasts any stall
                    // between simulated steps: TTLs run in real time.
                    period: .milliseconds(Int64(random.next() % 3_600_000) + 600_000),
                    burst: Int(random.next() % 20) + 1)
                let key = "\(prefix):{r\(round)}:random"
                var now: Int64 = 1_700_000_000_000
                var tat: Double?
                for step in 0..<60 {
                    now += Int64(random.next() % UInt64(policy.periodMilliseconds / Int64(policy.limit) * 2 + 1))
                    let cost = Int(random.next() % 4)
                    let expected = GCRA.evaluate(storedTAT: tat, now: Double(now), policy: policy, cost: cost)
                    var actual = try await backend.evaluate(
                        key: key, policy: policy, cost: cost, deadline: .now() + Self.longTimeout, now: now)
                    actual.newTAT = expected.newTAT
                    #expect(actual == expected, "round \(round) step \(step) policy \(policy) now \(now)")
                    // The script stores the TAT as rounded text: both sides start the next step from what
                    // Redis holds, so each step compares the arithmetic on identical inputs.
                    let stored = try await client.send(["GET", key], timeout: Self.longTimeout)
                    tat = stored.text.flatMap(Double.init)
                }
            }
        }
    }

    @Test func concurrentCallersGetExactlyTheBurst() async throws {
        try await withClient { client in
            let limiter = TestRedis.limiter(
                redis: client, prefix: TestRedis.uniquePrefix(),
                policies: QuotaPolicies(byMethodClass: ["write": .init(limit: 20, period: .seconds(3600))]))
            let allowed = await withTaskGroup(of: QuotaDecision.self) { group in
                for _ in 0..<100 { group.addTask { await limiter.check(user: "busy", methodClass: "write") } }
                return await group.reduce(into: [QuotaDecision]()) { $0.append($1) }
            }
            #expect(allowed.filter(\.isAllowed).count == 20)
            #expect(
                allowed.allSatisfy { decision in
                    switch decision {
                    case .allowed(let status?), .denied(let status): status.source == .redis
                    default: false
                    }
                })
        }
    }

    @Test func everyKeyWrittenHasATTL() async throws {
        try await withClient { client in
            let prefix = TestRedis.uniquePrefix()
            // Slow rates, so every key written outlives the scan by seconds.
            var policies = QuotaPolicies(byMethodClass: [
                "write": .perMinute(6, burst: 5), "read": .perMinute(60), "import": .perMinute(600, burst: 200),
            ])
            policies.userOverrides["vip"] = ["write": .perMinute(30)]
            let limiter = TestRedis.limiter(redis: client, prefix: prefix, policies: policies)
            for user in ["alice", "bob", "vip", "we{ird}:user"] {
                for (methodClass, cost) in [("write", 1), ("read", 1), ("import", 40)] {
                    for _ in 0..<3 { _ = await limiter.check(user: user, methodClass: methodClass, cost: cost) }
                }
            }
            var keys: [String] = []
            var cursor = "0"
            repeat {
                let reply = try await client.send(
                    ["SCAN", cursor, "MATCH", "\(prefix):*", "COUNT", "1000"], timeout: Self.longTimeout)
                guard case .array(let parts) = reply, parts.count == 2, case .array(let batch) = parts[1],
                    let next = parts[0].text
                else {
                    Issue.record("unexpected SCAN reply \(reply)")
                    return
                }
                keys += batch.compactMap(\.text)
                cursor = next
            } while cursor != "0"
            #expect(keys.count == 12)
            for key in keys {
                let ttl = try await client.send(["PTTL", key], timeout: Self.longTimeout)
                guard case .integer(let milliseconds) = ttl else {
                    Issue.record("PTTL \(key) -> \(ttl)")
                    continue
                }
                #expect(milliseconds > 0 && milliseconds <= 60_000, "\(key) has PTTL \(milliseconds)")
            }
        }
    }

    @Test func checksRecoverAfterScriptFlush() async throws {
        try await withClient { client in
            let limiter = TestRedis.limiter(
                redis: client, prefix: TestRedis.uniquePrefix(),
                policies: QuotaPolicies(byMethodClass: ["write": .init(limit: 2, period: .seconds(3600))]))
            #expect(await limiter.check(user: "u", methodClass: "write").isAllowed)
            #expect(try await client.send(["SCRIPT", "FLUSH"], timeout: Self.longTimeout) == .simpleString("OK"))
            let exists = try await client.send(["SCRIPT", "EXISTS", RedisGCRAScript.sha1], timeout: Self.longTimeout)
            #expect(exists == .array([.integer(0)]))
            let afterFlush = await limiter.check(user: "u", methodClass: "write")
            guard case .allowed(let status?) = afterFlush else {
                Issue.record("expected an allowed Redis decision, got \(afterFlush)")
                return
            }
            #expect(status.source == .redis && status.remaining == 0, "the count survived the flush")
            #expect(await !limiter.check(user: "u", methodClass: "write").isAllowed)
            #expect(!limiter.isDegraded)
        }
    }

    @Test func twoInstancesShareOneQuota() async throws {
        let first = try TestRedis.client()
        let second = try TestRedis.client()
        let prefix = TestRedis.uniquePrefix()
        let policies = QuotaPolicies(byMethodClass: ["write": .init(limit: 10, period: .seconds(3600))])
        let limiters = [
            TestRedis.limiter(redis: first, prefix: prefix, policies: policies),
            TestRedis.limiter(redis: second, prefix: prefix, policies: policies),
        ]
        var allowedPerInstance = [0, 0]
        for call in 0..<30 where await limiters[call % 2].check(user: "shared", methodClass: "write").isAllowed {
            allowedPerInstance[call % 2] += 1
        }
        #expect(allowedPerInstance == [5, 5])
        await first.shutdown()
        await second.shutdown()
    }
}

/// Deterministic pseudo-random numbers, so a failure reproduces.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
