public import Foundation
public import HabitCore

/// Statements that run outside a user's transaction.
public enum StoreQueries {
    /// `HabitStore.usersDueForRollover` on `executor`.
    public static func usersDueForRollover(
        on executor: some SQLExecutor, at instant: Date, limit: Int
    ) async throws -> [UserID] {
        try await executor.execute(
            StoreStatements.UsersDueForRollover.self, [.instant(instant), .int(Int64(max(0, limit)))]
        ).map { row in try UserID(try row.text("user_id")) }
    }

    /// `HabitStore.committedUser` on `executor`: one statement, so it reads one committed snapshot.
    public static func committedUser(on executor: some SQLExecutor, _ user: UserID) async throws -> UserRecord? {
        try await executor.execute(StoreStatements.LoadUser.self, [.user(user)]).first.map(RowDecoding.user)
    }

    /// `HabitStore.committedActiveHabits` on `executor`: one statement, so it reads one committed snapshot.
    public static func committedActiveHabits(
        on executor: some SQLExecutor, _ user: UserID
    ) async throws -> [(habit: Habit, entries: [DayEntry])] {
        try RowDecoding.habitsWithEntries(
            try await executor.execute(StoreStatements.ActiveHabitsWithEntries.self, [.user(user)]))
    }
}
