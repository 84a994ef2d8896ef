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

    /// Wraps the executor of an open, locked transaction.
    public init(userID: UserID, executor: Executor, dialect: SQLDialect) {
        self.userID = userID
        self.executor = executor
        self.dialect = dialect
    }

    private var user: SQLValue { .user(userID) }

    private func rows(_ sql: String, _ binds: [SQLValue]) async throws -> [Executor.Row] {
        try await executor.query(sql, binds)
    }

    private func id(_ uuid: UUID) -> SQLValue {
        switch dialect {
        case .postgres: .uuid(uuid)
        case .sqlite: .text(uuid.uuidString)
        }
    }

    private func id(_ uuid: UUID?) -> SQLValue { uuid.map(id) ?? .null }

    // MARK: user

    public func loadUser() async throws -> UserRecord? {
        try await rows("SELECT * FROM users WHERE user_id = $1", [user]).first.map(RowDecoding.user)
    }

    public func saveUser(_ record: UserRecord) async throws {
        guard record.id == userID else { throw HabitError(.internalError, "saveUser for another user") }
        let c = record.character
        _ = try await rows(
            """
            INSERT INTO users (user_id, display_name, time_zone, day_start_minutes, xp, centi_coins, hp_tenths,
                highest_level, deaths, next_ordinal, last_closed_day, next_rollover_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name,
                time_zone = excluded.time_zone, day_start_minutes = excluded.day_start_minutes, xp = excluded.xp,
                centi_coins = excluded.centi_coins, hp_tenths = excluded.hp_tenths,
                highest_level = excluded.highest_level, deaths = excluded.deaths,
                next_ordinal = excluded.next_ordinal, created_at = excluded.created_at
            """,
            [
                user, .text(record.settings.displayName), .text(record.settings.timeZoneID),
                .int(Int64(record.settings.dayStartMinutes)), .int(c.xp), .int(c.centiCoins), .int(c.hpTenths),
                .int(Int64(c.highestLevel)), .int(Int64(c.deaths)), .int(record.nextOrdinal),
                .day(record.lastClosedDay), .instant(record.nextRolloverAt), .instant(record.createdAt),
            ]
        )
    }

    public func advanceRollover(expected: LocalDay, to newLastClosedDay: LocalDay, nextRolloverAt: Date)
        async throws -> Bool
    {
        let updated = try await rows(
            """
            UPDATE users SET last_closed_day = $3, next_rollover_at = $4
            WHERE user_id = $1 AND last_closed_day = $2 RETURNING user_id
            """,
            [user, .day(expected), .day(newLastClosedDay), .instant(nextRolloverAt)]
        )
        return !updated.isEmpty
    }

    // MARK: habits

    public func habit(_ id: HabitID) async throws -> Habit? {
        try await rows("SELECT * FROM habits WHERE user_id = $1 AND id = $2", [user, self.id(id.rawValue)])
            .first.map(RowDecoding.habit)
    }

    public func habits(afterOrdinal: Int64?, limit: Int, includeArchived: Bool) async throws -> [Habit] {
        try await rows(
            """
            SELECT * FROM habits WHERE user_id = $1 AND ordinal > $2 AND ($3 OR NOT is_archived)
            ORDER BY ordinal LIMIT $4
            """,
            [user, .int(afterOrdinal ?? .min), .bool(includeArchived), .int(Int64(max(0, limit)))]
        ).map(RowDecoding.habit)
    }

    public func habitCount() async throws -> Int {
        let count = try await rows("SELECT count(*) AS n FROM habits WHERE user_id = $1", [user]).first
        return try count?.int("n") ?? 0
    }

    public func insertHabit(_ habit: Habit) async throws {
        let inserted = try await rows(
            """
            INSERT INTO habits (user_id, id, ordinal, name, notes, difficulty, schedules, created_day, created_at,
                is_archived)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id
            """,
            [user, id(habit.id.rawValue)] + (try habitColumns(habit))
        )
        guard !inserted.isEmpty else { throw HabitError(.alreadyExists, "habit \(habit.id) exists") }
    }

    public func updateHabit(_ habit: Habit) async throws {
        let updated = try await rows(
            """
            UPDATE habits SET ordinal = $3, name = $4, notes = $5, difficulty = $6, schedules = $7,
                created_day = $8, created_at = $9, is_archived = $10
            WHERE user_id = $1 AND id = $2 RETURNING id
            """,
            [user, id(habit.id.rawValue)] + (try habitColumns(habit))
        )
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
        try await !rows("DELETE FROM habits WHERE user_id = $1 AND id = $2 RETURNING id", [user, self.id(id.rawValue)])
            .isEmpty
    }

    // MARK: day entries

    public func entries(habit: HabitID?, from: LocalDay?, through: LocalDay?) async throws -> [DayEntry] {
        let bounds: [SQLValue] = [.day(from ?? LocalDay(daysSince1970: .min)), .day(through ?? LocalDay(daysSince1970: .max))]
        let select = """
            SELECT e.* FROM day_entries e JOIN habits h ON h.id = e.habit_id
            WHERE e.user_id = $1 AND e.day >= $2 AND e.day <= $3
            """
        if let habit {
            return try await rows(select + " AND e.habit_id = $4 ORDER BY e.day", [user] + bounds + [id(habit.rawValue)])
                .map(RowDecoding.entry)
        }
        return try await rows(select + " ORDER BY e.day, h.ordinal", [user] + bounds).map(RowDecoding.entry)
    }

    public func insertEntry(_ entry: DayEntry) async throws {
        let inserted = try await rows(
            """
            INSERT INTO day_entries (user_id, id, habit_id, day, kind, note, is_imported, recorded_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8
            WHERE EXISTS (SELECT 1 FROM habits WHERE user_id = $1 AND id = $3)
            ON CONFLICT DO NOTHING RETURNING id
            """,
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
        try await rows(
            "DELETE FROM day_entries WHERE user_id = $1 AND habit_id = $2 AND day = $3 RETURNING *",
            [user, id(habit.rawValue), .day(day)]
        ).first.map(RowDecoding.entry)
    }

    // MARK: idempotency

    public func idempotencyRecord(key: String) async throws -> IdempotencyRecord? {
        try await rows("SELECT * FROM idempotency_records WHERE user_id = $1 AND key = $2", [user, .text(key)])
            .first.map(RowDecoding.idempotencyRecord)
    }

    public func insertIdempotencyRecord(_ record: IdempotencyRecord) async throws {
        let inserted = try await rows(
            """
            INSERT INTO idempotency_records (user_id, key, request_fingerprint, outcome, recorded_at)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING key
            """,
            [
                user, .text(record.key), .text(record.requestFingerprint), .text(try RowDecoding.json(record.outcome)),
                .instant(record.recordedAt),
            ]
        )
        guard !inserted.isEmpty else { throw HabitError(.alreadyExists, "idempotency key already used") }
    }

    // MARK: ledger

    public func appendLedger(_ entries: [LedgerEntry]) async throws -> [LedgerEntry] {
        guard !entries.isEmpty else { return [] }
        // Rows are never deleted and the user's lock is held, so max + 1 is never reused.
        let last = try await rows(
            "SELECT coalesce(max(sequence), 0) AS last FROM ledger_entries WHERE user_id = $1", [user]
        ).first?.int64("last") ?? 0
        var appended: [LedgerEntry] = []
        for (offset, entry) in entries.enumerated() {
            var numbered = entry
            numbered.sequence = last + 1 + Int64(offset)
            _ = try await rows(
                """
                INSERT INTO ledger_entries (user_id, sequence, kind, xp, centi_coins, hp_tenths, habit_id, day,
                    completion_id, reward_id, recorded_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                """,
                [
                    user, .int(numbered.sequence), .text(entry.kind.rawValue), .int(entry.amount.xp),
                    .int(entry.amount.centiCoins), .int(entry.amount.hpTenths), id(entry.habitID?.rawValue),
                    entry.day.map { .day($0) } ?? .null, id(entry.completionID?.rawValue), id(entry.rewardID?.rawValue),
                    .instant(entry.recordedAt),
                ]
            )
            appended.append(numbered)
        }
        return appended
    }

    public func ledger(afterSequence: Int64?, limit: Int) async throws -> [LedgerEntry] {
        try await rows(
            "SELECT * FROM ledger_entries WHERE user_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
            [user, .int(afterSequence ?? .min), .int(Int64(max(0, limit)))]
        ).map(RowDecoding.ledgerEntry)
    }

    public func ledger(habit: HabitID, day: LocalDay) async throws -> [LedgerEntry] {
        try await rows(
            "SELECT * FROM ledger_entries WHERE user_id = $1 AND habit_id = $2 AND day = $3 ORDER BY sequence",
            [user, id(habit.rawValue), .day(day)]
        ).map(RowDecoding.ledgerEntry)
    }

    // MARK: rewards

    public func reward(_ id: RewardID) async throws -> Reward? {
        try await rows("SELECT * FROM rewards WHERE user_id = $1 AND id = $2", [user, self.id(id.rawValue)])
            .first.map(RowDecoding.reward)
    }

    public func rewards(afterOrdinal: Int64?, limit: Int) async throws -> [Reward] {
        try await rows(
            "SELECT * FROM rewards WHERE user_id = $1 AND ordinal > $2 ORDER BY ordinal LIMIT $3",
            [user, .int(afterOrdinal ?? .min), .int(Int64(max(0, limit)))]
        ).map(RowDecoding.reward)
    }

    public func insertReward(_ reward: Reward) async throws {
        let inserted = try await rows(
            """
            INSERT INTO rewards (user_id, id, ordinal, name, price_centi_coins, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id
            """,
            [
                user, id(reward.id.rawValue), .int(reward.ordinal), .text(reward.name), .int(reward.priceCentiCoins),
                .instant(reward.createdAt),
            ]
        )
        guard !inserted.isEmpty else { throw HabitError(.alreadyExists, "reward \(reward.id) exists") }
    }
}
