public import NIOCore

/// One side's keepalive (docs/PROTOCOL.md §9) as a value: when to PING a silent peer, and when to give
/// up on it.
///
/// The server's and the client's connection handlers each drive one: they report when bytes arrive,
/// start it once the handshake is done, and call ``timerFired(now:)`` at the deadline of the last
/// ``Action``. Time is passed in, so it runs on any clock.
public struct KeepaliveStateMachine: Sendable {
    /// What the connection handler must do.
    public enum Action: Sendable, Hashable {
        /// Keepalive is off (KEEPALIVE_TIME_MS 0) or over: arm no timer.
        case none
        /// Call ``KeepaliveStateMachine/timerFired(now:)`` at this deadline.
        case check(at: NIODeadline)
        /// Send a PING with these 8 bytes, then call ``KeepaliveStateMachine/timerFired(now:)`` at `checkAt`.
        case ping(UInt64, checkAt: NIODeadline)
        /// Nothing arrived within the keepalive timeout after a PING: send GOAWAY TIMEOUT with this
        /// message and close.
        case timedOut(message: String)
    }

    /// The silence after which this side pings: its KEEPALIVE_TIME_MS; zero turns keepalive off.
    public let keepaliveTime: TimeAmount
    /// How long this side waits for anything after a PING before it closes.
    public let timeout: TimeAmount
    /// When this side last received anything.
    public private(set) var lastReceived: NIODeadline
    private var peerMinPingInterval: TimeAmount = .zero
    private var lastPing: NIODeadline?
    private var isRunning = false

    /// A keepalive that pings after `keepaliveTimeMilliseconds` of silence (0: never), created when the
    /// connection opens at `now`.
    public init(keepaliveTimeMilliseconds: UInt32, timeout: TimeAmount, now: NIODeadline) {
        self.keepaliveTime = .milliseconds(Int64(keepaliveTimeMilliseconds))
        self.timeout = timeout
        self.lastReceived = now
    }

    /// Bytes arrived at `now`: the silence starts again.
    public mutating func received(at now: NIODeadline) {
        lastReceived = now
    }

    /// The handshake is done and the peer announced its MIN_PING_INTERVAL_MS: the first check to arm,
    /// or `.none` when keepalive is off (or already started).
    public mutating func start(peerMinPingIntervalMilliseconds: UInt32) -> Action {
        guard keepaliveTime > .zero, !isRunning else { return .none }
        isRunning = true
        peerMinPingInterval = .milliseconds(Int64(peerMinPingIntervalMilliseconds))
        return .check(at: lastReceived + keepaliveTime)
    }

    /// The timer armed by the last action fired.
    public mutating func timerFired(now: NIODeadline) -> Action {
        guard isRunning else { return .none }
        if let lastPing, lastReceived <= lastPing {
            // Nothing since the PING: wait out the timeout.
            let giveUp = lastPing + timeout
            guard now >= giveUp else { return .check(at: giveUp) }
            isRunning = false
            let silence = (now - lastReceived).nanoseconds / 1_000_000
            return .timedOut(message: "keepalive timeout: nothing received for \(silence) ms after a PING")
        }
        // After an answered PING the next one also waits the peer's MIN_PING_INTERVAL_MS, counted from
        // the last bytes received. When those are the PONG, which the peer sent once it had the PING,
        // the peer sees the two PINGs at least that far apart however the network delays them.
        let spacing = max(keepaliveTime, peerMinPingInterval)
        let due = lastReceived + (lastPing == nil ? keepaliveTime : spacing)
        guard now >= due else { return .check(at: due) }
        lastPing = now
        // Checked again after the timeout, or sooner when the next PING could be due sooner (an answer
        // arrives quickly and the silence after it is shorter than the timeout).
        return .ping(UInt64(truncatingIfNeeded: now.uptimeNanoseconds), checkAt: now + min(timeout, spacing))
    }
}
