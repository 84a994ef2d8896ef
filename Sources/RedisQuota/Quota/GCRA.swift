/// The generic cell rate algorithm (redis-cell's CL.THROTTLE) as a pure function.
///
/// The in-process limiter runs it directly, and the tests hold the Redis Lua script
/// (`RedisGCRAScript`) to the same numbers, so both backends agree to the millisecond.
/// State is one number per key: the theoretical arrival time (TAT) in milliseconds.
public enum GCRA {
    /// The outcome of one evaluation, with the fields the Lua script returns.
    public struct Outcome: Hashable, Sendable {
        /// Whether the request fits.
        public var isAllowed: Bool
        /// Requests of cost 1 that would still fit now.
        public var remaining: Int
        /// Milliseconds until the request would fit: 0 when allowed, -1 when its cost exceeds the burst.
        public var retryAfterMilliseconds: Int
        /// Milliseconds until the allowance is full again.
        public var resetAfterMilliseconds: Int
        /// The TAT to store (nil: store nothing, because the request was denied or was a peek).
        public var newTAT: Double?
    }

    /// Evaluates one request of `cost` against `policy` at `now` (ms) given the stored TAT.
    ///
    /// Mirrors the Lua script line by line, including storing the TAT rounded to 3 decimals.
    public static func evaluate(storedTAT: Double?, now: Double, policy: QuotaPolicy, cost: Int) -> Outcome {
        let interval = policy.intervalMilliseconds
        let tolerance = interval * Double(policy.burst)
        let increment = interval * Double(cost)
        let tat = max(storedTAT ?? now, now)
        let newTAT = tat + increment
        let difference = now - (newTAT - tolerance)
        if difference < 0 {
            return Outcome(
                isAllowed: false,
                remaining: max(0, Int(((tolerance - (tat - now)) / interval).rounded(.down))),
                retryAfterMilliseconds: increment > tolerance ? -1 : Int((-difference).rounded(.up)),
                resetAfterMilliseconds: Int((tat - now).rounded(.up)),
                newTAT: nil
            )
        }
        let reset = newTAT - now
        return Outcome(
            isAllowed: true,
            remaining: Int(((tolerance - reset) / interval).rounded(.down)),
            retryAfterMilliseconds: 0,
            resetAfterMilliseconds: Int(reset.rounded(.up)),
            newTAT: cost > 0 ? (newTAT * 1000).rounded() / 1000 : nil
        )
    }
}
