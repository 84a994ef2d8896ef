import Testing

@testable import RedisQuota

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    let start = ContinuousClock.now

    @Test func opensAfterConsecutiveFailuresOnly() {
        var breaker = CircuitBreaker(failureThreshold: 3, coolDown: .seconds(1))
        #expect(breaker.recordFailure(now: start) == nil)
        #expect(breaker.recordFailure(now: start) == nil)
        #expect(breaker.recordSuccess() == nil)  // resets the count
        #expect(breaker.recordFailure(now: start) == nil)
        #expect(breaker.recordFailure(now: start) == nil)
        #expect(breaker.route(now: start) == .backend)
        #expect(breaker.recordFailure(now: start) == .opened)
        #expect(breaker.isOpen)
        #expect(breaker.route(now: start + .milliseconds(999)) == .fallback)
    }

    @Test func sendsExactlyOneProbeAfterTheCoolDownAndClosesOnSuccess() {
        var breaker = CircuitBreaker(failureThreshold: 1, coolDown: .seconds(1))
        #expect(breaker.recordFailure(now: start) == .opened)
        #expect(breaker.route(now: start + .seconds(1)) == .probe)
        #expect(breaker.route(now: start + .seconds(1)) == .fallback)
        #expect(breaker.recordSuccess() == .closed)
        #expect(breaker.route(now: start + .seconds(1)) == .backend)
        #expect(!breaker.isOpen)
    }

    @Test func aFailedProbeOpensForAnotherCoolDown() {
        var breaker = CircuitBreaker(failureThreshold: 1, coolDown: .seconds(1))
        _ = breaker.recordFailure(now: start)
        #expect(breaker.route(now: start + .seconds(2)) == .probe)
        #expect(breaker.recordFailure(now: start + .seconds(2)) == .opened)
        #expect(breaker.route(now: start + .milliseconds(2999)) == .fallback)
        #expect(breaker.route(now: start + .seconds(3)) == .probe)
    }

    @Test func repliesFromBeforeTheOpeningChangeNothing() {
        var breaker = CircuitBreaker(failureThreshold: 1, coolDown: .seconds(1))
        _ = breaker.recordFailure(now: start)
        #expect(breaker.recordSuccess() == nil)
        #expect(breaker.recordFailure(now: start) == nil)
        #expect(breaker.state == .open(until: start + .seconds(1)))
    }
}
