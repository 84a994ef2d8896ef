/// Decides whether a quota check may use Redis, from the recent history of Redis calls.
///
/// Closed: use Redis and count consecutive failures; after `failureThreshold` it opens. Open: skip
/// Redis for `coolDown` (no timeout paid per call). Then half-open: exactly one call probes Redis
/// while the others keep using the fallback; the probe's success closes the breaker, its failure
/// opens it again. A value type: the limiter keeps it behind a mutex and acts on what it returns.
public struct CircuitBreaker: Hashable, Sendable {
    /// Where the breaker is.
    public enum State: Hashable, Sendable {
        /// Redis is used; `consecutiveFailures` counts towards the threshold.
        case closed(consecutiveFailures: Int)
        /// Redis is skipped until the cool-down ends.
        case open(until: ContinuousClock.Instant)
        /// The probe is in flight.
        case halfOpen
    }

    /// Where one call should go.
    public enum Route: Hashable, Sendable {
        /// Redis, as usual.
        case backend
        /// Redis, as the single probe of a half-open breaker.
        case probe
        /// Not Redis: apply the policy's failure mode.
        case fallback
    }

    /// A change worth a log line and a metric.
    public enum Transition: Hashable, Sendable {
        /// Checks now bypass Redis.
        case opened
        /// The probe succeeded: checks use Redis again.
        case closed
    }

    /// Consecutive failures that open the breaker.
    public let failureThreshold: Int
    /// How long the breaker stays open before probing.
    public let coolDown: Duration
    /// The current state.
    public private(set) var state: State = .closed(consecutiveFailures: 0)

    /// A closed breaker.
    public init(failureThreshold: Int, coolDown: Duration) {
        self.failureThreshold = max(1, failureThreshold)
        self.coolDown = coolDown
    }

    /// Routes one call; moves an open breaker whose cool-down has passed to half-open.
    public mutating func route(now: ContinuousClock.Instant) -> Route {
        switch state {
        case .closed:
            return .backend
        case .open(let until) where now >= until:
            state = .halfOpen
            return .probe
        case .open, .halfOpen:
            return .fallback
        }
    }

    /// Redis answered. A success while open is a stale call from before the opening: ignored.
    public mutating func recordSuccess() -> Transition? {
        switch state {
        case .closed:
            state = .closed(consecutiveFailures: 0)
            return nil
        case .halfOpen:
            state = .closed(consecutiveFailures: 0)
            return .closed
        case .open:
            return nil
        }
    }

    /// Redis failed or timed out.
    public mutating func recordFailure(now: ContinuousClock.Instant) -> Transition? {
        switch state {
        case .closed(let failures) where failures + 1 >= failureThreshold:
            state = .open(until: now + coolDown)
            return .opened
        case .closed(let failures):
            state = .closed(consecutiveFailures: failures + 1)
            return nil
        case .halfOpen:
            state = .open(until: now + coolDown)
            return .opened
        case .open:
            return nil
        }
    }

    /// Whether checks currently bypass Redis.
    public var isOpen: Bool {
        if case .closed = state { return false }
        return true
    }
}
