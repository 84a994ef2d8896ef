/// The daily rollover, for callers that want it without another use case (a background worker, an admin).
///
/// Every other service already rolls a user over lazily on their first call after a day ends, so the worker
/// only makes damage and streak resets visible sooner.
public struct RolloverService: Sendable {
    let environment: HabitEnvironment

    /// A service over `environment`.
    public init(environment: HabitEnvironment) { self.environment = environment }

    /// What a worker pass did.
    public struct PassSummary: Sendable {
        /// Users whose days were closed.
        public var rolledOver: [RolloverReport]
        /// Users that failed (they stay due and are retried on the next pass).
        public var failures: [(user: UserID, error: HabitError)]
        /// How many users the store listed as due (some may have been closed by another call meanwhile).
        public var dueCount: Int
    }

    /// Closes the user's ended days now; nil if none had ended (or another call closed them first).
    public func rollOver(_ user: UserID) async throws(HabitError) -> RolloverReport? {
        try await environment.withSession(user) { session in session.lastRollover }
    }

    /// Rolls over up to `limit` users whose day has ended (per `HabitStore.usersDueForRollover`), one
    /// transaction each; one user's failure does not stop the others. Cancellation stops the pass between two
    /// users (the rest stay due), so a shutting-down worker never starts another transaction.
    public func rollOverDueUsers(limit: Int) async throws(HabitError) -> PassSummary {
        let due = try await environment.mappingStoreErrors {
            try await environment.store.usersDueForRollover(at: environment.clock.now(), limit: max(0, limit))
        }
        var summary = PassSummary(rolledOver: [], failures: [], dueCount: due.count)
        for user in due where !Task.isCancelled {
            do {
                if let report = try await rollOver(user) { summary.rolledOver.append(report) }
            } catch {
                summary.failures.append((user, error))
            }
        }
        return summary
    }
}
