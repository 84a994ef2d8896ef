public import Logging
public import Metrics
import NIOCore
import Synchronization

/// Per-user rate limits for RPC calls: the check an interceptor runs before executing a call.
///
/// With Redis, every instance shares one quota per user and method class, evaluated by one atomic
/// GCRA script per check. A circuit breaker routes checks away from a failing Redis to each
/// policy's failure mode; without Redis, the in-process limiter enforces the same policies.
public final class QuotaLimiter: Sendable {
    /// Policies and failure handling.
    public struct Configuration: Sendable {
        /// Which policy applies to a user's call.
        public var policies: QuotaPolicies
        /// Namespace of the Redis keys: `<prefix>:{<user>}:<class>`. Default `hrpc:q`.
        public var keyPrefix: String = "hrpc:q"
        /// The most a check may add to a call; past it the Redis call counts as failed. Default 25 ms.
        public var checkTimeout: Duration = .milliseconds(25)
        /// Instances sharing the limit; a local fallback allows `1/instanceCount` of it. Default 1.
        public var instanceCount: Int = 1
        /// Consecutive Redis failures that open the circuit breaker. Default 5.
        public var failureThreshold: Int = 5
        /// How long the breaker stays open before one probe. Default 2 s.
        public var coolDown: Duration = .seconds(2)

        /// A configuration with the defaults above.
        public init(policies: QuotaPolicies) {
            self.policies = policies
        }
    }

    private let configuration: Configuration
    private let backend: RedisGCRABackend?
    private let local: LocalQuotaLimiter
    private let breaker: Mutex<CircuitBreaker>
    private let logger: Logger
    private let metrics: QuotaMetrics

    /// A limiter on Redis through `redis`, or the in-process limiter when `redis` is nil.
    ///
    /// Metrics go to `metricsFactory`, by default the process's `MetricsSystem`.
    public init(
        configuration: Configuration,
        redis: RedisClient?,
        local: LocalQuotaLimiter = LocalQuotaLimiter(),
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.configuration = configuration
        self.backend = redis.map(RedisGCRABackend.init(client:))
        self.local = local
        self.breaker = Mutex(
            CircuitBreaker(failureThreshold: configuration.failureThreshold, coolDown: configuration.coolDown)
        )
        self.logger = logger
        self.metrics = QuotaMetrics(factory: metricsFactory ?? MetricsSystem.factory)
    }

    /// The embedded default: Redis at `HABIT_REDIS_URL` if set, otherwise the in-process limiter.
    ///
    /// - Returns: the limiter and the Redis client to shut down at exit (nil without Redis).
    /// - Throws: `RedisClientError` with code `.invalidURL` for a malformed `HABIT_REDIS_URL`.
    public static func fromEnvironment(
        _ environment: [String: String],
        configuration: Configuration,
        logger: Logger
    ) throws -> (limiter: QuotaLimiter, redis: RedisClient?) {
        guard let url = environment["HABIT_REDIS_URL"], !url.isEmpty else {
            logger.info("HABIT_REDIS_URL is not set: quotas are enforced per process")
            return (QuotaLimiter(configuration: configuration, redis: nil, logger: logger), nil)
        }
        let redis = RedisClient(configuration: try RedisClient.Configuration(url: url))
        return (QuotaLimiter(configuration: configuration, redis: redis, logger: logger), redis)
    }

    /// Whether checks currently bypass Redis because the circuit breaker is open.
    public var isDegraded: Bool { breaker.withLock { $0.isOpen } }

    /// Checks and records a call of `cost` units (1 per call; an import costs one per message).
    ///
    /// Never throws and never waits longer than `checkTimeout`. A negative cost counts as 0 (a peek).
    public func check(user: String, methodClass: String, cost: Int = 1) async -> QuotaDecision {
        guard let policy = configuration.policies.policy(user: user, methodClass: methodClass) else {
            return .allowed(nil)
        }
        let cost = max(0, cost)
        let key = Self.key(prefix: configuration.keyPrefix, user: user, methodClass: methodClass)
        guard let backend else {
            return decide(local.evaluate(key: key, policy: policy, cost: cost), policy, methodClass, .local)
        }
        let route = withBreaker { $0.route(now: .now) }
        if route == .fallback {
            return fallback(key: key, policy: policy, methodClass: methodClass, cost: cost)
        }
        do {
            let deadline = NIODeadline.now() + TimeAmount(configuration.checkTimeout)
            let outcome = try await backend.evaluate(key: key, policy: policy, cost: cost, deadline: deadline)
            if let transition = withBreaker({ $0.recordSuccess() }) { report(transition, error: nil) }
            return decide(outcome, policy, methodClass, .redis)
        } catch {
            metrics.backendFailures.increment()
            logger.debug(
                "quota check on Redis failed",
                metadata: ["quota.error": "\(error)", "quota.probe": "\(route == .probe)"])
            if let transition = withBreaker({ $0.recordFailure(now: .now) }) { report(transition, error: error) }
            return fallback(key: key, policy: policy, methodClass: methodClass, cost: cost)
        }
    }

    /// The Redis key of a user's quota for a method class. The user is the hash tag, so all of a
    /// user's keys live in one Cluster slot; `{`, `}`, `:` and `%` are percent-encoded so no user
    /// name can change the tag or collide with another key.
    public static func key(prefix: String, user: String, methodClass: String) -> String {
        "\(prefix):{\(escape(user))}:\(escape(methodClass))"
    }

    private static func escape(_ part: String) -> String {
        // The common case, a user id or class name with none of the four, is returned as it is.
        let needsEscaping = part.utf8.contains { byte in
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ":"), UInt8(ascii: "%"): true
            default: false
            }
        }
        guard needsEscaping else { return part }
        var escaped = ""
        escaped.unicodeScalars.reserveCapacity(part.unicodeScalars.count)
        for scalar in part.unicodeScalars {
            switch scalar {
            case "{": escaped += "%7B"
            case "}": escaped += "%7D"
            case ":": escaped += "%3A"
            case "%": escaped += "%25"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private func fallback(key: String, policy: QuotaPolicy, methodClass: String, cost: Int) -> QuotaDecision {
        switch policy.onBackendFailure {
        case .failOpen:
            metrics.count(.allowed, .failOpen)
            return .allowed(nil)
        case .failClosed:
            metrics.count(.unavailable, .failClosed)
            return .backendUnavailable(methodClass: methodClass)
        case .local:
            let share = policy.share(ofInstances: configuration.instanceCount)
            return decide(local.evaluate(key: key, policy: share, cost: cost), share, methodClass, .local)
        }
    }

    private func decide(
        _ outcome: GCRA.Outcome,
        _ policy: QuotaPolicy,
        _ methodClass: String,
        _ source: QuotaStatus.Source
    ) -> QuotaDecision {
        let status = QuotaStatus(
            methodClass: methodClass,
            limit: policy.burst,
            remaining: outcome.remaining,
            retryAfterMilliseconds: outcome.retryAfterMilliseconds,
            resetAfterMilliseconds: outcome.resetAfterMilliseconds,
            source: source
        )
        let path: QuotaMetrics.Path = source == .redis ? .redis : .local
        metrics.count(outcome.isAllowed ? .allowed : .denied, path)
        return outcome.isAllowed ? .allowed(status) : .denied(status)
    }

    /// Runs `body` on the breaker and, under the same lock (so concurrent checks cannot reorder the
    /// values), records its state in `hrpc_quota_breaker_state` when it changed.
    private func withBreaker<Result: Sendable>(_ body: (inout CircuitBreaker) -> Result) -> Result {
        breaker.withLock { breaker in
            let before = QuotaMetrics.BreakerState(breaker.state)
            let result = body(&breaker)
            let after = QuotaMetrics.BreakerState(breaker.state)
            if after != before { metrics.breakerState.record(after.rawValue) }
            return result
        }
    }

    private func report(_ transition: CircuitBreaker.Transition, error: (any Error)?) {
        switch transition {
        case .opened:
            logger.warning(
                "Redis quota backend failing: circuit breaker open, checks use each policy's failure mode",
                metadata: [
                    "quota.error": "\(error.map { "\($0)" } ?? "")", "quota.cool_down": "\(configuration.coolDown)",
                ]
            )
        case .closed:
            logger.info("Redis quota backend answered the probe: circuit breaker closed")
        }
    }
}

/// The limiter's swift-metrics instruments, created once.
struct QuotaMetrics: Sendable {
    enum Outcome: Int, CaseIterable {
        case allowed, denied, unavailable

        var label: String {
            switch self {
            case .allowed: "allowed"
            case .denied: "denied"
            case .unavailable: "unavailable"
            }
        }
    }
    enum Path: Int, CaseIterable {
        case redis, local, failOpen, failClosed

        var label: String {
            switch self {
            case .redis: "redis"
            case .local: "local"
            case .failOpen: "fail_open"
            case .failClosed: "fail_closed"
            }
        }
    }

    /// `hrpc_quota_decisions_total{outcome, source}`, at `index(outcome, path)`: an array, not a
    /// dictionary, so counting a decision hashes nothing.
    private let decisions: [Counter]
    /// `hrpc_quota_backend_failures_total`: Redis errors and timeouts.
    let backendFailures: Counter
    /// `hrpc_quota_breaker_state`: the Redis circuit breaker's ``BreakerState``.
    let breakerState: Gauge

    /// The values of `hrpc_quota_breaker_state`.
    enum BreakerState: Int64 {
        /// Checks use Redis.
        case closed = 0
        /// Checks bypass Redis (each policy's failure mode applies) until the cool-down ends.
        case open = 1
        /// One check probes Redis; the others still bypass it.
        case halfOpen = 2

        init(_ state: CircuitBreaker.State) {
            switch state {
            case .closed: self = .closed
            case .open: self = .open
            case .halfOpen: self = .halfOpen
            }
        }
    }

    init(factory: any MetricsFactory) {
        backendFailures = Counter(label: "hrpc_quota_backend_failures_total", factory: factory)
        breakerState = Gauge(label: "hrpc_quota_breaker_state", factory: factory)
        breakerState.record(BreakerState.closed.rawValue)
        var decisions: [Counter] = []  // in case order, as `index` expects
        for outcome in Outcome.allCases {
            for path in Path.allCases {
                decisions.append(
                    Counter(
                        label: "hrpc_quota_decisions_total",
                        dimensions: [("outcome", outcome.label), ("source", path.label)],
                        factory: factory
                    ))
            }
        }
        self.decisions = decisions
    }

    func count(_ outcome: Outcome, _ path: Path) {
        decisions[Self.index(outcome, path)].increment()
    }

    private static func index(_ outcome: Outcome, _ path: Path) -> Int {
        outcome.rawValue * Path.allCases.count + path.rawValue
    }
}
