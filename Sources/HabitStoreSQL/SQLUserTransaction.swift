public import HabitCore
public import Foundation

/// `UserTransaction` in SQL, shared by both adapters: every statement is scoped to `userID` and runs on the
/// executor of the transaction the adapter opened and locked.
///
/// Inserts use `ON CONFLICT DO NOTHING ... RETURNING`, so a duplicate is reported as `.alreadyExists` without
/// aborting the PostgreSQL transaction: a body may catch it and carry on.
public final class SQLUserTransaction<Executor: SQLExecutor>: UserTransaction {
    /// The user every statement is scoped to.
    public let userID: UserID
    private let executor: Executor
    private let dialect: SQLDialect
    /// The user row the adapter read while locking, served by the first `loadUser` unless a write came first.
    private var lockedUserRow: Executor.Row?

    /// Wraps the executor of an open, locked transaction. `lockedUserRow` is the user's row (with
    /// `StoreColumns.user()`) if the adapter's locking statement already read it, so `loadUser` need not.
    public init(userID: UserID, executor: Executor, dialect: SQLDialect, lockedUserRow: Executor.Row? = nil) {
        self.userID = userID
        self.executor = executor
        self.dialect = dialect
        self.lockedUserRow = lockedUserRow
    }

    private var user: SQLValue { .user(userID) }

    private func rows<Statement: SQLStatement>(_ statement: Statement.Type, _ binds: [SQLValue]) async throws
        -> [Executor.Row]
    {
        try await executor.execute(statement, binds)
    }

    private func id(_ uuid: UUID) -> SQLValue {
        switch dialect {
        case .postgres: .uuid(uuid)
        case .sqlite: .text(uuid.uuidString)
        }
    }

    private func id(_ uuid: UUID?) -> SQLValue { uuid.map(id) ?? .null(.uuid) }

    // MARK: user

    public func loadUser() async throws -> UserRecord? {
        if let row = lockedUserRow {
            lockedUserRow = nil
            return try RowDecoding.user(row)
        }
        return try await rows(StoreStatements.LoadUser.self, [user]).first.map(RowDecoding.user)
    }

    public func saveUser(_ record: UserRecord) async throws {
        _ = try await rows(StoreStatements.SaveUser.self, try userBinds(record))
    }

    public func saveUser(_ record: UserRecord, appendingLedger entries: [LedgerEntry]) async throws
        -> [LedgerEntry]
    {
        guard let combined = executor.saveUserAppendingLedgerEntry, let first = entries.first else {
            try await saveUser(record)
            return try await appendLedger(entries)
        }
        let binds = try userBinds(record) + ledgerBinds(first)
        let numbered = try numbered(first, try await executor.execute(combined, binds))
        return [numbered] + (try await appendLedger(Array(entries.dropFirst())))
    }

    /// The user row's binds in `StoreStatements.SaveUser` order; any write of the row retires `lockedUserRow`.
    private func userBinds(_ record: UserRecord) throws -> [SQLValue] {
        guard record.id == userID else { throw HabitError(.internalError, "saveUser for another user") }
        lockedUserRow = nil
        let c = record.character
        return [
            user, .text(record.settings.displayName), .text(record.settings.timeZoneID),
            .int(Int64(record.settings.dayStartMinutes)), .int(c.xp), .int(c.centiCoins), .int(c.hpTenths),
            .int(Int64(c.highestLevel)), .int(Int64(c.deaths)), .int(record.nextOrdinal),
            .day(record.lastClosedDay), .instant(record.nextRolloverAt), .instant(record.createdAt),
        ]
    }

    public func advanceRollover(expected: LocalDay, to newLastClosedDay: LocalDay, nextRolloverAt: Date)
        async throws -> Bool
    {
        lockedUserRow = nil
        let updated = try await rows(
            StoreStatements.AdvanceRollover.self,
            [user, .day(expected), .day(newLastClosedDay), .instant(nextRolloverAt)]
        )
        return !updated.isEmpty
    }

    // MARK: habits

    public func habit(_ id: HabitID) async throws -> Habit? {
        try await rows(StoreStatements.Habit.self, [user, self.id(id.rawValue)]).first.map(RowDecoding.habit)
    }

    public func habitWithEntries(_ id: HabitID) async throws -> (habit: Habit, entries: [DayEntry])? {
        try RowDecoding.habitsWithEntries(
            try await rows(StoreStatements.HabitWithEntries.self, [user, self.id(id.rawValue)])
        ).first
    }

    public func habits(afterOrdinal: Int64?, limit: Int, includeArchived: Bool) async throws -> [Habit] {
        try await rows(
            StoreStatements.Habits.self,
            [user, .int(afterOrdinal ?? .min), .bool(includeArchived), .int(Int64(max(0, limit)))]
        ).map(RowDecoding.habit)
    }

    public func habitCount() async throws -> Int {
        try await rows(StoreStatements.HabitCount.self, [user]).first?.int("n") ?? 0
    }

    public func insertHabit(_ habit: Habit) async throws {
        let inserted = try await rows(
            StoreStatements.InsertHabit.self, [user, id(habit.id.rawValue)] + (try habitColumns(habit)))
        guard !inserted.isEmpty else { throw HabitError(.alreadyExists, "habit \(habit.id) exists") }
    }

    public func updateHabit(_ habit: Habit) async throws {
        let updated = try await rows(
            StoreStatements.UpdateHabit.self, [user, id(habit.id.rawValue)] + (try habitColumns(habit)))
        guard !updated.isEmpty else { throw HabitError(.notFound, "habit \(habit.id) not found") }
    }

    private func habitColumns(_ habit: Habit) throws -> [SQLValue] {
        [
            .int(habit.ordinal), .text(habit.name), .text(habit.notes), .text(habit.difficulty.rawValue),
            .text(try RowDecoding.json(habit.schedules)), .day(habit.createdDay), .instant(habit.createdAt),
            .bool(habit.isArchived),
        ]
    }

    public func deleteHabit(_ id: HabitID) async throws -> Bool {
        // Day entries go with it through the foreign key's ON DELETE CASCADE.
        try await !rows(StoreStatements.DeleteHabit.self, [user, self.id(id.rawValue)]).isEmpty
    }

    // MARK: day entries

    public func entries(habit: HabitID?, from: LocalDay?, through: LocalDay?) async throws -> [DayEntry] {
        let bounds: [SQLValue] = [
            .day(from ?? LocalDay(daysSince1970: .min)), .day(through ?? LocalDay(daysSince1970: .max)),
        ]
        if let habit {
            return try await rows(StoreStatements.EntriesOfHabit.self, [user, id(habit.rawValue)] + bounds)
                .map(RowDecoding.entry)
        }
        return try await rows(StoreStatements.EntriesOfUser.self, [user] + bounds).map(RowDecoding.entry)
    }

    public func insertEntry(_ entry: DayEntry) async throws {
        let inserted = try await rows(
            StoreStatements.InsertEntry.self,
            [
                user, id(entry.id.rawValue), id(entry.habitID.rawValue), .day(entry.day), .text(entry.kind.rawValue),
                .text(entry.note), .bool(entry.isImported), .instant(entry.recordedAt),
            ]
        )
        guard inserted.isEmpty else { return }
        guard try await habit(entry.habitID) != nil else {
            throw HabitError(.notFound, "habit \(entry.habitID) not found")
        }
        throw HabitError(.alreadyExists, "habit \(entry.habitID) already has an entry on \(entry.day)")
    }

    public func deleteEntry(habit: HabitID, day: LocalDay) async throws -> DayEntry? {
        try await rows(StoreStatements.DeleteEntry.self, [user, id(habit.rawValue), .day(day)])
            .first.map(RowDecoding.entry)
    }

    // MARK: idempotency

    public func idempotencyRecord(key: String) async throws -> IdempotencyRecord? {
        try await rows(StoreStatements.IdempotencyRecord.self, [user, .text(key)])
            .first.map(RowDecoding.idempotencyRecord)
    }

    public func insertIdempotencyRecord(_ record: IdempotencyRecord) async throws {
        let inserted = try await rows(
            StoreStatements.InsertIdempotencyRecord.self,
            [
                user, .text(record.key), .text(record.requestFingerprint), .text(try RowDecoding.json(record.outcome)),
                .instant(record.recordedAt),
            ]
        )
        guard !inserted.isEmpty else { throw HabitError(.alreadyExists, "idempotency key already used") }
    }

    // MARK: ledger

    public func appendLedger(_ entries: [LedgerEntry]) async throws -> [LedgerEntry] {
        var appended: [LedgerEntry] = []
        for entry in entries {
            appended.append(
                try numbered(entry, try await rows(StoreStatements.AppendLedgerEntry.self, [user] + ledgerBinds(entry)))
            )
        }
        return appended
    }

    /// A ledger row's binds after the user, in `StoreStatements.AppendLedgerEntry` order.
    private func ledgerBinds(_ entry: LedgerEntry) -> [SQLValue] {
        [
            .text(entry.kind.rawValue), .int(entry.amount.xp), .int(entry.amount.centiCoins),
            .int(entry.amount.hpTenths), id(entry.habitID?.rawValue), entry.day.map { .day($0) } ?? .null(.int),
            id(entry.completionID?.rawValue), id(entry.rewardID?.rawValue), .instant(entry.recordedAt),
        ]
    }

    /// The row with the `sequence` its insert returned.
    private func numbered(_ entry: LedgerEntry, _ inserted: [Executor.Row]) throws -> LedgerEntry {
        guard let row = inserted.first else { throw HabitError(.internalError, "ledger insert returned no sequence") }
        var numbered = entry
        numbered.sequence = try row.int64("sequence")
        return numbered
    }

    public func ledger(afterSequence: Int64?, limit: Int) async throws -> [LedgerEntry] {
        try await rows(
            StoreStatements.LedgerPage.self, [user, .int(afterSequence ?? .min), .int(Int64(max(0, limit)))]
        ).map(RowDecoding.ledgerEntry)
    }

    public func ledger(habit: HabitID, day: LocalDay) async throws -> [LedgerEntry] {
        try await rows(StoreStatements.LedgerOfHabitDay.self, [user, id(habit.rawValue), .day(day)])
            .map(RowDecoding.ledgerEntry)
    }

    // MARK: rewards

    public func reward(_ id: RewardID) async throws -> Reward? {
        try await rows(StoreStatements.Reward.self, [user, self.id(id.rawValue)]).first.map(RowDecoding.reward)
    }

    public func rewards(afterOrdinal: Int64?, limit: Int) async throws -> [Reward] {
        try await rows(
            StoreStatements.Rewards.self, [user, .int(afterOrdinal ?? .min), .int(Int64(max(0, limit)))]
        ).map(RowDecoding.reward)
    }

    public func insertReward(_ reward: Reward) async throws {
        let inserted = try await rows(
            StoreStatements.InsertReward.self,
            [
                user, id(reward.id.rawValue), .int(reward.ordinal), .text(reward.name), .int(reward.priceCentiCoins),
                .instant(reward.createdAt),
            ]
        )
        guard !inserted.isEmpty else { throw HabitError(.alreadyExists, "reward \(reward.id) exists") }
    }
}
