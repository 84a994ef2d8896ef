import NIOCore

/// The state of a small fixed pool of Redis connections: which slot to use, when to connect, and
/// how long to back off after a failed connect. A value type so the rules are tested without sockets.
struct RedisConnectionPool {
    /// One connection slot.
    enum Slot {
        /// No connection; a connect may start at `retryAt` (nil: now). `failures` drives the backoff.
        case idle(failures: Int, retryAt: NIODeadline?)
        /// A connect is in flight; callers wait on it.
        case connecting(failures: Int, EventLoopFuture<any Channel>)
        case connected(any Channel)
    }

    /// What the caller must do to get a connection.
    enum LeaseAction {
        case use(any Channel)
        case wait(EventLoopFuture<any Channel>)
        /// Open a connection for `slot` and complete `promise` with it (the slot already waits on it).
        case connect(slot: Int, promise: EventLoopPromise<any Channel>)
        case fail(RedisClientError)
    }

    /// Backoff after consecutive failed connects: `initial * 2^(failures-1)`, capped at `maximum`.
    struct Backoff {
        var initial: TimeAmount
        var maximum: TimeAmount

        func delay(afterFailures failures: Int) -> TimeAmount {
            let exponent = min(max(failures - 1, 0), 20)
            return min(.nanoseconds(initial.nanoseconds << exponent), maximum)
        }
    }

    private(set) var slots: [Slot]
    private var nextSlot = 0
    private var isShutdown = false
    let backoff: Backoff

    init(size: Int, backoff: Backoff) {
        slots = Array(repeating: .idle(failures: 0, retryAt: nil), count: max(1, size))
        self.backoff = backoff
    }

    /// Picks the connection on `loop` if there is one (the caller's own event loop: no thread hop),
    /// else round-robin; a slot that is backing off yields to any connected slot.
    mutating func lease(
        now: NIODeadline, preferring loop: (any EventLoop)? = nil, makePromise: () -> EventLoopPromise<any Channel>
    ) -> LeaseAction {
        if isShutdown { return .fail(RedisClientError(code: .shutdown, message: "the Redis client was shut down")) }
        if let loop {
            for case .connected(let channel) in slots where channel.eventLoop === loop { return .use(channel) }
        }
        let index = nextSlot
        nextSlot = (nextSlot + 1) % slots.count
        switch slots[index] {
        case .connected(let channel):
            return .use(channel)
        case .connecting(_, let future):
            return .wait(future)
        case .idle(let failures, let retryAt):
            if let retryAt, retryAt > now {
                for case .connected(let channel) in slots { return .use(channel) }
                return .fail(
                    RedisClientError(
                        code: .connectionUnavailable, message: "backing off after \(failures) failed connects")
                )
            }
            let promise = makePromise()
            slots[index] = .connecting(failures: failures, promise.futureResult)
            return .connect(slot: index, promise: promise)
        }
    }

    /// A connect finished. Returns false if the pool was shut down meanwhile (close the channel).
    mutating func connected(slot: Int, channel: any Channel) -> Bool {
        guard !isShutdown else { return false }
        slots[slot] = .connected(channel)
        return true
    }

    /// A connect failed: back off before this slot tries again.
    mutating func connectFailed(slot: Int, now: NIODeadline) {
        guard case .connecting(let failures, _) = slots[slot] else { return }
        slots[slot] = .idle(failures: failures + 1, retryAt: now + backoff.delay(afterFailures: failures + 1))
    }

    /// A live connection closed: the next lease of this slot reconnects at once.
    mutating func closed(slot: Int, channel: any Channel) {
        guard case .connected(let current) = slots[slot], current === channel else { return }
        slots[slot] = .idle(failures: 0, retryAt: nil)
    }

    /// Stops leasing; returns the channels to close.
    mutating func shutdown() -> [any Channel] {
        isShutdown = true
        var channels: [any Channel] = []
        for case .connected(let channel) in slots { channels.append(channel) }
        slots = slots.map { _ in .idle(failures: 0, retryAt: nil) }
        return channels
    }
}
