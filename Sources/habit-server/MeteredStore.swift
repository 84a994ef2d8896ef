import Foundation
import HabitCore
import HabitStoreSQL
import Metrics

/// The configured store behind a counter of its failures, `hrpc_store_errors_total{kind}`, so every user
/// of the store (handlers, the rollover worker, the readiness probe) is counted in one place.
///
/// Kinds, from the `HabitError` code the store contract throws: `unavailable` (unreachable, timed out,
/// refused), `conflict` (a concurrent transaction won: serialization failure, rollover race) and
/// `internal` (stored data or a row the domain should not produce). Domain errors (not found, invalid
/// argument, ...) thrown by a transaction's body are the caller's, not the store's, and are not counted.
struct MeteredStore: SchemaVersionedStore {
    /// The metric's name.
    static let label = "hrpc_store_errors_total"

    let store: any SchemaVersionedStore
    private let unavailable: Counter
    private let conflict: Counter
    private let internalError: Counter

    /// Counts `store`'s failures on `factory`, by default the process's `MetricsSystem`.
    init(_ store: any SchemaVersionedStore, factory: (any MetricsFactory)? = nil) {
        self.store = store
        let factory = factory ?? MetricsSystem.factory
        unavailable = Counter(label: Self.label, dimensions: [("kind", "unavailable")], factory: factory)
        conflict = Counter(label: Self.label, dimensions: [("kind", "conflict")], factory: factory)
        internalError = Counter(label: Self.label, dimensions: [("kind", "internal")], factory: factory)
    }

    func withUserTransaction<T: Sendable>(
        _ user: UserID, _ body: (any UserTransaction) async throws -> T
    ) async throws -> T {
        try await counting { try await store.withUserTransaction(user, body) }
    }

    func usersDueForRollover(at instant: Date, limit: Int) async throws -> [UserID] {
        try await counting { try await store.usersDueForRollover(at: instant, limit: limit) }
    }

    func committedUser(_ user: UserID) async throws -> UserRecord? {
        try await counting { try await store.committedUser(user) }
    }

    func committedActiveHabits(_ user: UserID) async throws -> [(habit: Habit, entries: [DayEntry])] {
        try await counting { try await store.committedActiveHabits(user) }
    }

    func pendingMigrations() async throws -> [Int64] {
        try await counting { try await store.pendingMigrations() }
    }

    private func counting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as HabitError {
            switch error.code {
            case .unavailable: unavailable.increment()
            case .aborted: conflict.increment()
            case .internalError: internalError.increment()
            default: break
            }
            throw error
        }
    }
}
