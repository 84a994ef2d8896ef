public import Foundation
public import HabitCore
import Synchronization

/// A `HabitStore` in process memory: per-user lock, copy-on-write transactions that commit by swapping the
/// user's data in, so a thrown error leaves no trace. Drives the domain tests; a reference for the adapters.
public final class InMemoryHabitStore: HabitStore {
    private let users = Mutex<[UserID: InMemoryUserData]>([:])
    private let failsCommits = Mutex(false)
    private let locks = KeyedAsyncLock<UserID>()

    /// An empty store.
    public init() {}

    /// While set, every transaction runs its body and then fails with `.unavailable` instead of committing,
    /// as a database would if the connection dropped at commit: for crash tests.
    public func setFailsCommits(_ fails: Bool) {
        failsCommits.withLock { $0 = fails }
    }

    /// Runs `body` on a private copy of the user's data under the user's lock and commits the copy on success.
    public func withUserTransaction<T: Sendable>(
        _ user: UserID,
        _ body: (any UserTransaction) async throws -> T
    ) async throws -> T {
        try await locks.withLock(user) {
            let snapshot = users.withLock { $0[user] ?? InMemoryUserData() }
            let transaction = InMemoryUserTransaction(userID: user, data: snapshot)
            let result = try await body(transaction)
            if failsCommits.withLock({ $0 }) {
                throw HabitError(.unavailable, "in-memory store: commit failed (injected)")
            }
            let committed = transaction.data
            users.withLock { $0[user] = committed }
            return result
        }
    }

    /// The committed copy, without the user's lock.
    public func committedUser(_ user: UserID) async throws -> UserRecord? {
        users.withLock { $0[user]?.user }
    }

    /// The committed copy's unarchived habits with their entries, read as a transaction would, without the lock.
    public func committedActiveHabits(_ user: UserID) async throws -> [(habit: Habit, entries: [DayEntry])] {
        guard let committed = users.withLock({ $0[user] }) else { return [] }
        return try await InMemoryUserTransaction(userID: user, data: committed).activeHabitsWithEntries()
    }

    /// Scans every user; fine for tests.
    public func usersDueForRollover(at instant: Date, limit: Int) async throws -> [UserID] {
        let due = users.withLock { users in
            users.values.compactMap(\.user).filter { $0.nextRolloverAt <= instant }
        }
        return due.sorted { ($0.nextRolloverAt, $0.id.rawValue) < ($1.nextRolloverAt, $1.id.rawValue) }
            .prefix(max(0, limit)).map(\.id)
    }
}

/// Everything one user owns.
struct InMemoryUserData: Sendable {
    var user: UserRecord?
    var habits: [HabitID: Habit] = [:]
    var entries: [HabitID: [LocalDay: DayEntry]] = [:]
    var idempotency: [String: IdempotencyRecord] = [:]
    var ledger: [LedgerEntry] = []
    var nextSequence: Int64 = 1
    var rewards: [RewardID: Reward] = [:]
}

/// One transaction's working copy.
final class InMemoryUserTransaction: UserTransaction {
    let userID: UserID
    private(set) var data: InMemoryUserData

    init(userID: UserID, data: InMemoryUserData) {
        self.userID = userID
        self.data = data
    }

    func loadUser() async throws -> UserRecord? { data.user }

    func saveUser(_ user: UserRecord) async throws {
        guard user.id == userID else { throw HabitError(.internalError, "saveUser for another user") }
        var saved = user
        if let stored = data.user {
            saved.lastClosedDay = stored.lastClosedDay
            saved.nextRolloverAt = stored.nextRolloverAt
        }
        data.user = saved
    }

    func advanceRollover(expected: LocalDay, to newLastClosedDay: LocalDay, nextRolloverAt: Date) async throws
        -> Bool
    {
        guard var user = data.user, user.lastClosedDay == expected else { return false }
        user.lastClosedDay = newLastClosedDay
        user.nextRolloverAt = nextRolloverAt
        data.user = user
        return true
    }

    func habit(_ id: HabitID) async throws -> Habit? { data.habits[id] }

    func habits(afterOrdinal: Int64?, limit: Int, includeArchived: Bool) async throws -> [Habit] {
        Array(
            data.habits.values
                .filter { ($0.ordinal > (afterOrdinal ?? .min)) && (includeArchived || !$0.isArchived) }
                .sorted { $0.ordinal < $1.ordinal }
                .prefix(max(0, limit))
        )
    }

    func habitCount() async throws -> Int { data.habits.count }

    func insertHabit(_ habit: Habit) async throws {
        guard data.habits[habit.id] == nil else { throw HabitError(.alreadyExists, "habit \(habit.id) exists") }
        data.habits[habit.id] = habit
    }

    func updateHabit(_ habit: Habit) async throws {
        guard data.habits[habit.id] != nil else { throw HabitError(.notFound, "habit \(habit.id) not found") }
        data.habits[habit.id] = habit
    }

    func deleteHabit(_ id: HabitID) async throws -> Bool {
        data.entries[id] = nil
        return data.habits.removeValue(forKey: id) != nil
    }

    func entries(habit: HabitID?, from: LocalDay?, through: LocalDay?) async throws -> [DayEntry] {
        let habitIDs: [HabitID] = habit.map { [$0] } ?? Array(data.habits.keys)
        let lower = from ?? LocalDay(daysSince1970: .min)
        let upper = through ?? LocalDay(daysSince1970: .max)
        var found: [(ordinal: Int64, entry: DayEntry)] = []
        for id in habitIDs {
            let ordinal = data.habits[id]?.ordinal ?? 0
            for entry in (data.entries[id] ?? [:]).values where lower <= entry.day && entry.day <= upper {
                found.append((ordinal, entry))
            }
        }
        found.sort { ($0.entry.day, $0.ordinal) < ($1.entry.day, $1.ordinal) }
        return found.map(\.entry)
    }

    func insertEntry(_ entry: DayEntry) async throws {
        guard data.habits[entry.habitID] != nil else {
            throw HabitError(.notFound, "habit \(entry.habitID) not found")
        }
        guard data.entries[entry.habitID]?[entry.day] == nil else {
            throw HabitError(.alreadyExists, "habit \(entry.habitID) already has an entry on \(entry.day)")
        }
        data.entries[entry.habitID, default: [:]][entry.day] = entry
    }

    func deleteEntry(habit: HabitID, day: LocalDay) async throws -> DayEntry? {
        data.entries[habit]?.removeValue(forKey: day)
    }

    func idempotencyRecord(key: String) async throws -> IdempotencyRecord? { data.idempotency[key] }

    func insertIdempotencyRecord(_ record: IdempotencyRecord) async throws {
        guard data.idempotency[record.key] == nil else {
            throw HabitError(.alreadyExists, "idempotency key already used")
        }
        data.idempotency[record.key] = record
    }

    func appendLedger(_ entries: [LedgerEntry]) async throws -> [LedgerEntry] {
        let appended = entries.map { entry in
            var numbered = entry
            numbered.sequence = data.nextSequence
            data.nextSequence += 1
            return numbered
        }
        data.ledger += appended
        return appended
    }

    func ledger(afterSequence: Int64?, limit: Int) async throws -> [LedgerEntry] {
        Array(data.ledger.filter { $0.sequence > (afterSequence ?? .min) }.prefix(max(0, limit)))
    }

    func ledger(habit: HabitID, day: LocalDay) async throws -> [LedgerEntry] {
        data.ledger.filter { $0.habitID == habit && $0.day == day }
    }

    func reward(_ id: RewardID) async throws -> Reward? { data.rewards[id] }

    func rewards(afterOrdinal: Int64?, limit: Int) async throws -> [Reward] {
        Array(
            data.rewards.values.filter { $0.ordinal > (afterOrdinal ?? .min) }.sorted { $0.ordinal < $1.ordinal }
                .prefix(max(0, limit))
        )
    }

    func insertReward(_ reward: Reward) async throws {
        guard data.rewards[reward.id] == nil else { throw HabitError(.alreadyExists, "reward \(reward.id) exists") }
        data.rewards[reward.id] = reward
    }
}
