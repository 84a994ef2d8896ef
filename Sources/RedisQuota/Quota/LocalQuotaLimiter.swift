import Synchronization

/// In-process GCRA limiter: the embedded default without Redis, and the fallback while Redis fails.
///
/// One TAT per key behind a mutex; keys whose allowance is full again (TAT in the past) are swept
/// whenever the table has doubled since the last sweep, so memory follows the active keys.
public final class LocalQuotaLimiter: Sendable {
    private struct Table {
        var tats: [String: Double] = [:]
        var sweepAt = 1024
    }

    private let table = Mutex(Table())
    private let now: @Sendable () -> Double

    /// Creates a limiter; `now` returns milliseconds on a monotonic clock (tests pass their own).
    public init(now: @escaping @Sendable () -> Double = LocalQuotaLimiter.monotonicMilliseconds) {
        self.now = now
    }

    /// Evaluates and, if allowed, records one request of `cost` for `key`.
    public func evaluate(key: String, policy: QuotaPolicy, cost: Int) -> GCRA.Outcome {
        let now = self.now()
        return table.withLock { table in
            let outcome = GCRA.evaluate(storedTAT: table.tats[key], now: now, policy: policy, cost: cost)
            if let newTAT = outcome.newTAT {
                table.tats[key] = newTAT
                if table.tats.count >= table.sweepAt {
                    table.tats = table.tats.filter { $0.value > now }
                    table.sweepAt = max(1024, table.tats.count * 2)
                }
            }
            return outcome
        }
    }

    /// Keys currently tracked (for tests and diagnostics).
    public var trackedKeyCount: Int { table.withLock { $0.tats.count } }

    private static let origin = ContinuousClock.now

    /// Milliseconds since this process first asked, on the continuous clock.
    @Sendable public static func monotonicMilliseconds() -> Double {
        let elapsed = ContinuousClock.now - origin
        let (seconds, attoseconds) = elapsed.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
