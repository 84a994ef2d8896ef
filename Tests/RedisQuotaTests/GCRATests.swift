import Testing

@testable import RedisQuota

/// The pure GCRA function: the arithmetic every backend shares.
@Suite("GCRA arithmetic")
struct GCRATests {
    /// burst 5, 5 per 1000 ms: the transcript verified against the Lua script in the shared notes.
    static let policy = QuotaPolicy(limit: 5, period: .milliseconds(1000), burst: 5)

    private struct Step {
        var cost = 1
        var at: Double
        var expected: (allowed: Bool, remaining: Int, retry: Int, reset: Int)
    }

    /// Runs steps through `evaluate`, storing the TAT as a store would.
    private func run(_ steps: [Step], policy: QuotaPolicy = GCRATests.policy) {
        var tat: Double?
        for (index, step) in steps.enumerated() {
            let outcome = GCRA.evaluate(storedTAT: tat, now: step.at, policy: policy, cost: step.cost)
            if let newTAT = outcome.newTAT { tat = newTAT }
            #expect(outcome.isAllowed == step.expected.allowed, "step \(index)")
            #expect(outcome.remaining == step.expected.remaining, "step \(index)")
            #expect(outcome.retryAfterMilliseconds == step.expected.retry, "step \(index)")
            #expect(outcome.resetAfterMilliseconds == step.expected.reset, "step \(index)")
        }
    }

    static let transcript: [(at: Int64, cost: Int, reply: [Int])] = [
        (1_000_000, 1, [1, 4, 0, 200]), (1_000_000, 1, [1, 3, 0, 400]), (1_000_000, 1, [1, 2, 0, 600]),
        (1_000_000, 1, [1, 1, 0, 800]), (1_000_000, 1, [1, 0, 0, 1000]), (1_000_000, 1, [0, 0, 200, 1000]),
        (1_000_199, 1, [0, 0, 1, 801]), (1_000_200, 1, [1, 0, 0, 1000]), (1_002_200, 1, [1, 4, 0, 200]),
        (1_002_200, 6, [0, 4, -1, 200]), (1_002_200, 0, [1, 4, 0, 200]),
    ]

    @Test func burstRefillAndRetryAfterFollowTheVerifiedTranscript() {
        run(
            Self.transcript.map { entry in
                Step(
                    cost: entry.cost, at: Double(entry.at),
                    expected: (entry.reply[0] == 1, entry.reply[1], entry.reply[2], entry.reply[3]))
            })
    }

    @Test func aPeekStoresNothingAndACostOverTheBurstNeverFits() {
        let peek = GCRA.evaluate(storedTAT: nil, now: 0, policy: Self.policy, cost: 0)
        #expect(peek.isAllowed && peek.newTAT == nil && peek.remaining == 5)
        let tooBig = GCRA.evaluate(storedTAT: nil, now: 0, policy: Self.policy, cost: 6)
        #expect(!tooBig.isAllowed && tooBig.retryAfterMilliseconds == -1)
    }

    @Test func weightedCallsSpendSeveralUnits() {
        let importPolicy = QuotaPolicy(limit: 600, period: .seconds(60), burst: 200)
        let first = GCRA.evaluate(storedTAT: nil, now: 0, policy: importPolicy, cost: 150)
        #expect(first.isAllowed && first.remaining == 50)
        let second = GCRA.evaluate(storedTAT: first.newTAT, now: 0, policy: importPolicy, cost: 60)
        #expect(!second.isAllowed && second.remaining == 50 && second.retryAfterMilliseconds == 1000)
    }

    @Test func aShareDividesLimitAndBurstButNeverBelowOne() {
        let write = QuotaPolicy.perMinute(120, burst: 20)
        #expect(write.share(ofInstances: 4) == .perMinute(30, burst: 5))
        #expect(write.share(ofInstances: 1000) == .perMinute(1, burst: 1))
    }

    @Test func userOverridesWinOverTheMethodClass() {
        var policies = QuotaPolicies.standard
        policies.userOverrides["vip"] = ["write": .perMinute(1000)]
        #expect(policies.policy(user: "vip", methodClass: "write") == .perMinute(1000))
        #expect(policies.policy(user: "vip", methodClass: "read") == .perMinute(1200))
        #expect(policies.policy(user: "someone", methodClass: "write") == .perMinute(120, burst: 20))
        #expect(policies.policy(user: "someone", methodClass: "admin") == nil)
    }
}
