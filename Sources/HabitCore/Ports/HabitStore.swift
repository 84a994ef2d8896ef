public import Foundation

/// Persistence for the domain: every use case runs inside one transaction scoped to one user.
///
/// Contract (checked for every adapter by `HabitStoreContractSuite` in `HabitCoreTesting`):
/// - `withUserTransaction` serializes transactions of the same user (PostgreSQL: `SELECT ... FOR UPDATE` on
///   the user row, or an advisory lock; in memory: a per-user lock) and commits atomically: everything the
///   body wrote becomes visible together when it returns, nothing when it throws. The lock must also hold for a
///   user whose row does not exist yet (their first calls provision it), e.g. `pg_advisory_xact_lock` on a hash
///   of the id, or upserting the row before locking it.
/// - Transactions of different users may run concurrently and never see each other's data.
/// - Failures of the store itself are thrown as `HabitError` with code `.unavailable`; errors thrown by the body
///   are rethrown unchanged after rolling back.
public protocol HabitStore: Sendable {
    /// Runs `body` in a transaction holding `user`'s lock; commits if it returns, rolls back if it throws.
    /// The transaction object must not be used after `body` returns.
    func withUserTransaction<T: Sendable>(
        _ user: UserID,
        _ body: (any UserTransaction) async throws -> T
    ) async throws -> T

    /// Users whose `nextRolloverAt` is at or before `instant`, earliest first, at most `limit`: what a background
    /// worker rolls over (each through `RolloverService.rollOver`, which re-checks under the lock).
    func usersDueForRollover(at instant: Date, limit: Int) async throws -> [UserID]

    /// The user's row as last committed, or nil if the user was never seen: one read without the user's lock or
    /// a transaction (PostgreSQL: a single `SELECT`, which sees one snapshot), for reads that must not queue
    /// behind the user's writes. It never provisions the user.
    func committedUser(_ user: UserID) async throws -> UserRecord?

    /// The user's unarchived habits ascending by ordinal, each with its whole entry log ascending by day, as last
    /// committed; empty for a user never seen. Like `committedUser`, one read without the user's lock or a
    /// transaction (PostgreSQL: a single `SELECT`), so GetCharacter's streak overview never queues behind writes.
    func committedActiveHabits(_ user: UserID) async throws -> [(habit: Habit, entries: [DayEntry])]
}

/// The operations of one user's transaction. Everything is scoped to `userID`: ids of other users' rows are
/// simply not found. Lists are bounded by their `limit`.
public protocol UserTransaction {
    /// The user every operation is scoped to.
    var userID: UserID { get }

    /// The user's row, or nil if the user was never seen.
    func loadUser() async throws -> UserRecord?

    /// Inserts the row (all fields) or updates it: settings, character and `nextOrdinal`. On update
    /// `lastClosedDay` and `nextRolloverAt` are left as stored; only `advanceRollover` changes them.
    func saveUser(_ user: UserRecord) async throws

    /// Compare-and-set of the rollover watermark: if the stored `lastClosedDay` equals `expected`, sets it to
    /// `newLastClosedDay` and `nextRolloverAt` to `nextRolloverAt` and returns true; otherwise changes nothing
    /// and returns false. `expected == newLastClosedDay` only refreshes `nextRolloverAt` (after a zone change).
    func advanceRollover(expected: LocalDay, to newLastClosedDay: LocalDay, nextRolloverAt: Date) async throws
        -> Bool

    /// The habit with this id if it belongs to the user.
    func habit(_ id: HabitID) async throws -> Habit?

    /// The habit with this id if it belongs to the user, with all its day entries ascending by day: `habit(id)`
    /// and `entries(habit: id, from: nil, through: nil)` as one step, so an adapter can read both in one
    /// statement.
    func habitWithEntries(_ id: HabitID) async throws -> (habit: Habit, entries: [DayEntry])?

    /// The user's habits with `ordinal > afterOrdinal` (all when nil), ascending by ordinal, at most `limit`;
    /// archived ones only if `includeArchived`.
    func habits(afterOrdinal: Int64?, limit: Int, includeArchived: Bool) async throws -> [Habit]

    /// How many habits the user has, archived included.
    func habitCount() async throws -> Int

    /// Inserts a new habit; throws `.alreadyExists` if the id is taken.
    func insertHabit(_ habit: Habit) async throws

    /// Replaces the stored habit with the same id; throws `.notFound` if there is none.
    func updateHabit(_ habit: Habit) async throws

    /// Deletes the habit and all its day entries (ledger rows stay: the ledger is append-only). Returns
    /// whether it existed.
    func deleteHabit(_ id: HabitID) async throws -> Bool

    /// Day entries of one habit (or of all the user's habits when `habit` is nil) with
    /// `from <= day <= through` (open-ended where nil), ascending by day, then by habit ordinal.
    func entries(habit: HabitID?, from: LocalDay?, through: LocalDay?) async throws -> [DayEntry]

    /// Inserts a day entry; throws `.alreadyExists` if the habit already has one on that day (the
    /// one-entry-per-habit-per-day invariant is the store's, e.g. a unique index on `(habit_id, day)`).
    func insertEntry(_ entry: DayEntry) async throws

    /// Deletes the habit's entry on `day` and returns it, or returns nil if there was none.
    func deleteEntry(habit: HabitID, day: LocalDay) async throws -> DayEntry?

    /// The stored record for an idempotency key of this user.
    func idempotencyRecord(key: String) async throws -> IdempotencyRecord?

    /// Stores an idempotency record; throws `.alreadyExists` if the user already used the key.
    func insertIdempotencyRecord(_ record: IdempotencyRecord) async throws

    /// Appends rows to the user's ledger in order and returns them with their assigned `sequence` (strictly
    /// increasing, never reused). Rows are never updated or deleted.
    func appendLedger(_ entries: [LedgerEntry]) async throws -> [LedgerEntry]

    /// `saveUser(user)` then `appendLedger(entries)`, as one step so an adapter can write both in one statement.
    func saveUser(_ user: UserRecord, appendingLedger entries: [LedgerEntry]) async throws -> [LedgerEntry]

    /// Ledger rows with `sequence > afterSequence` (all when nil), ascending, at most `limit`.
    func ledger(afterSequence: Int64?, limit: Int) async throws -> [LedgerEntry]

    /// Ledger rows about one habit on one day, ascending by sequence (what undo reverses, what a backdate
    /// refunds).
    func ledger(habit: HabitID, day: LocalDay) async throws -> [LedgerEntry]

    /// The reward with this id if it belongs to the user.
    func reward(_ id: RewardID) async throws -> Reward?

    /// Rewards with `ordinal > afterOrdinal` (all when nil), ascending by ordinal, at most `limit`.
    func rewards(afterOrdinal: Int64?, limit: Int) async throws -> [Reward]

    /// Inserts a reward; throws `.alreadyExists` if the id is taken.
    func insertReward(_ reward: Reward) async throws
}

extension UserTransaction {
    /// The two reads one after the other: right for any store whose statements cost no round trip.
    public func habitWithEntries(_ id: HabitID) async throws -> (habit: Habit, entries: [DayEntry])? {
        guard let habit = try await habit(id) else { return nil }
        return (habit, try await entries(habit: id, from: nil, through: nil))
    }

    /// The unarchived habits ascending by ordinal, each with its entry log ascending by day: two reads, whatever
    /// the number of habits.
    public func activeHabitsWithEntries() async throws -> [(habit: Habit, entries: [DayEntry])] {
        let habits = try await habits(afterOrdinal: nil, limit: .max, includeArchived: false)
        let entriesByHabit = Dictionary(grouping: try await entries(habit: nil, from: nil, through: nil), by: \.habitID)
        return habits.map { ($0, entriesByHabit[$0.id] ?? []) }
    }

    /// The two steps one after the other: right for any store whose statements cost no round trip.
    public func saveUser(_ user: UserRecord, appendingLedger entries: [LedgerEntry]) async throws -> [LedgerEntry] {
        try await saveUser(user)
        return try await appendLedger(entries)
    }
}
