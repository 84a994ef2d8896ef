import NIOCore
import NIOEmbedded
import Testing

@testable import RedisQuota

@Suite("Connection pool state")
struct RedisConnectionPoolTests {
    let loop = EmbeddedEventLoop()
    let backoff = RedisConnectionPool.Backoff(initial: .milliseconds(50), maximum: .milliseconds(300))

    private func makePromise() -> EventLoopPromise<any Channel> { loop.makePromise() }

    @Test func backoffDoublesUpToItsMaximum() {
        #expect(
            [1, 2, 3, 4, 5].map { backoff.delay(afterFailures: $0) }
                == [50, 100, 200, 300, 300].map { .milliseconds($0) })
    }

    @Test func aFailedConnectBacksOffThenRetries() {
        var pool = RedisConnectionPool(size: 1, backoff: backoff)
        let now = NIODeadline.now()
        guard case .connect(let slot, let promise) = pool.lease(now: now, makePromise: makePromise) else {
            Issue.record("expected a connect")
            return
        }
        if case .wait = pool.lease(now: now, makePromise: makePromise) {} else { Issue.record("expected to wait") }
        pool.connectFailed(slot: slot, now: now)
        promise.fail(RedisClientError(code: .connectionUnavailable, message: "refused"))
        if case .fail = pool.lease(now: now + .milliseconds(49), makePromise: makePromise) {
        } else {
            Issue.record("expected a fast failure while backing off")
        }
        if case .connect(_, let retry) = pool.lease(now: now + .milliseconds(50), makePromise: makePromise) {
            retry.fail(RedisClientError(code: .connectionUnavailable, message: "test over"))
        } else {
            Issue.record("expected a reconnect after the backoff")
        }
    }

    @Test func aCallerOnAnEventLoopGetsTheConnectionOnThatLoop() throws {
        var pool = RedisConnectionPool(size: 2, backoff: backoff)
        let otherLoop = EmbeddedEventLoop()
        var channels: [EmbeddedChannel] = []
        for channelLoop in [loop, otherLoop] {
            guard case .connect(let slot, let promise) = pool.lease(now: .now(), makePromise: makePromise) else {
                Issue.record("expected a connect")
                return
            }
            let channel = EmbeddedChannel(loop: channelLoop)
            promise.succeed(channel)
            let isKept = pool.connected(slot: slot, channel: channel)
            #expect(isKept)
            channels.append(channel)
        }
        for _ in 0..<4 {
            guard case .use(let leased) = pool.lease(now: .now(), preferring: otherLoop, makePromise: makePromise) else {
                Issue.record("expected a connection")
                return
            }
            #expect(leased === channels[1])
        }
        // Without a preference the slots take turns.
        var leased: [ObjectIdentifier] = []
        for _ in 0..<2 {
            if case .use(let channel) = pool.lease(now: .now(), makePromise: makePromise) { leased.append(ObjectIdentifier(channel)) }
        }
        #expect(Set(leased) == Set(channels.map { ObjectIdentifier($0) }))
    }

    @Test func aClosedConnectionIsReplacedAtOnce() throws {
        var pool = RedisConnectionPool(size: 1, backoff: backoff)
        let channel = EmbeddedChannel(loop: loop)
        guard case .connect(let slot, let promise) = pool.lease(now: .now(), makePromise: makePromise) else {
            Issue.record("expected a connect")
            return
        }
        promise.succeed(channel)
        let isKept = pool.connected(slot: slot, channel: channel)
        #expect(isKept)
        if case .use(let leased) = pool.lease(now: .now(), makePromise: makePromise) {
            #expect(leased === channel)
        } else {
            Issue.record("expected the connection")
        }
        pool.closed(slot: slot, channel: channel)
        if case .connect(_, let reconnect) = pool.lease(now: .now(), makePromise: makePromise) {
            reconnect.fail(RedisClientError(code: .connectionUnavailable, message: "test over"))
        } else {
            Issue.record("expected a reconnect")
        }
        #expect(pool.shutdown().isEmpty)
        _ = try channel.finish(acceptAlreadyClosed: true)
        if case .fail(let error) = pool.lease(now: .now(), makePromise: makePromise) {
            #expect(error.code == .shutdown)
        } else {
            Issue.record("expected shutdown")
        }
    }
}
