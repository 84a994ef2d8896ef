public import HabitCore

/// A SQL-backed store that can say whether its database is reachable and carries this build's schema: what
/// the server's readiness probe asks, cheaply, on a timer.
public protocol SchemaVersionedStore: HabitStore {
    /// The migrations the database still lacks (empty when up to date); throws `.unavailable` when the
    /// database cannot be reached within the store's call deadline.
    func pendingMigrations() async throws -> [Int64]
}
