/// One rate limit: `limit` requests per `period`, at most `burst` of them at once.
public struct QuotaPolicy: Hashable, Sendable {
    /// What a check does when the Redis backend is failing (the circuit breaker is open).
    public enum BackendFailureMode: Hashable, Sendable {
        /// Allow the call, uncounted (Stripe's and Envoy's default).
        case failOpen
        /// Reject the call with `UNAVAILABLE`: for abuse-sensitive or paid operations.
        case failClosed
        /// Count the call in this process against its share of the limit (`limit / instanceCount`).
        case local
    }

    /// Requests allowed per period at the steady rate.
    public var limit: Int
    /// The period `limit` refers to.
    public var period: Duration
    /// Requests that may arrive at once (GCRA's tolerance), at least 1.
    public var burst: Int
    /// Behaviour while Redis is failing.
    public var onBackendFailure: BackendFailureMode

    /// Creates a policy; `burst` defaults to `limit` (the whole allowance at once).
    ///
    /// Values below 1 are raised to 1 and a period below 1 ms to 1 ms, so every policy is well defined.
    public init(limit: Int, period: Duration, burst: Int? = nil, onBackendFailure: BackendFailureMode = .local) {
        self.limit = max(1, limit)
        self.period = max(period, .milliseconds(1))
        self.burst = max(1, burst ?? limit)
        self.onBackendFailure = onBackendFailure
    }

    /// `limit` per minute.
    public static func perMinute(
        _ limit: Int,
        burst: Int? = nil,
        onBackendFailure: BackendFailureMode = .local
    ) -> QuotaPolicy {
        QuotaPolicy(limit: limit, period: .seconds(60), burst: burst, onBackendFailure: onBackendFailure)
    }

    /// The period in whole milliseconds, as the Lua script receives it.
    public var periodMilliseconds: Int64 {
        let (seconds, attoseconds) = period.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Milliseconds between requests at the steady rate.
    var intervalMilliseconds: Double { Double(periodMilliseconds) / Double(limit) }

    /// This instance's share when `instances` processes enforce the limit without Redis.
    public func share(ofInstances instances: Int) -> QuotaPolicy {
        let instances = max(1, instances)
        return QuotaPolicy(
            limit: max(1, limit / instances),
            period: period,
            burst: max(1, burst / instances),
            onBackendFailure: onBackendFailure
        )
    }
}

/// Which policy applies to a user's call: per-user overrides first, then the method class's policy.
public struct QuotaPolicies: Hashable, Sendable {
    /// Policies by method class, for example `write`, `read`, `import`.
    public var byMethodClass: [String: QuotaPolicy]
    /// Per-user overrides: user id -> method class -> policy.
    public var userOverrides: [String: [String: QuotaPolicy]]

    /// Creates a policy table.
    public init(byMethodClass: [String: QuotaPolicy], userOverrides: [String: [String: QuotaPolicy]] = [:]) {
        self.byMethodClass = byMethodClass
        self.userOverrides = userOverrides
    }

    /// HabitRPC's defaults: writes 120/min with a burst of 20, reads 1,200/min, imports 600 messages/min
    /// (a call costs one unit per imported message) with a burst of 200.
    public static let standard = QuotaPolicies(byMethodClass: [
        "write": .perMinute(120, burst: 20),
        "read": .perMinute(1200),
        "import": .perMinute(600, burst: 200),
    ])

    /// The policy for `user` calling a method of `methodClass`, or nil when the class is unlimited.
    public func policy(user: String, methodClass: String) -> QuotaPolicy? {
        // Most tables have no overrides: skip hashing the user then.
        (userOverrides.isEmpty ? nil : userOverrides[user]?[methodClass]) ?? byMethodClass[methodClass]
    }
}
