public import Foundation
public import HabitCore

/// Statements that run outside a user's transaction.
public enum StoreQueries {
    /// `HabitStore.usersDueForRollover` on `executor`.
    public static func usersDueForRollover(
        on executor: some SQLExecutor, at instant: Date, limit: Int
    ) async throws -> [UserID] {
        try await executor.query(
            """
            SELECT user_id FROM users WHERE next_rollover_at <= $1 ORDER BY next_rollover_at, user_id LIMIT $2
            """,
            [.instant(instant), .int(Int64(max(0, limit)))]
        ).map { row in try UserID(try row.text("user_id")) }
    }
}
