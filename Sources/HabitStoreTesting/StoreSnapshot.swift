import Foundation
public import HabitCore

/// Everything one user has in a store, read through the port: what a reopened store must give back.
public struct StoreSnapshot: Hashable, Sendable {
    /// Whose data it is.
    public var user: UserID
    /// The user row.
    public var record: UserRecord?
    /// Habits, archived included, in ordinal order.
    public var habits: [Habit]
    /// Day entries of all habits.
    public var entries: [DayEntry]
    /// The records of `idempotencyKeys`.
    public var idempotencyRecords: [IdempotencyRecord]
    /// The whole ledger.
    public var ledger: [LedgerEntry]
    /// The rewards.
    public var rewards: [Reward]
    /// The keys whose records are compared.
    public var idempotencyKeys: [String]

    /// Writes a user with at least one row of every table (with values at the edges: negative coins,
    /// non-ASCII text, an archived habit, optional ledger columns set and unset) and returns what was written.
    public static func writeEveryKind(to store: any HabitStore) async throws -> StoreSnapshot {
        let user = try UserID("snapshot-\(UUID().uuidString)")
        let instant = Date(timeIntervalSince1970: 1_760_000_000.125)
        let today = LocalDay(daysSince1970: 20_300)
        let record = UserRecord(
            id: user, settings: UserSettings(displayName: "Zoë ✓", timeZoneID: "Europe/Berlin", dayStartMinutes: 240),
            character: CharacterState(xp: 1234, centiCoins: -250, hpTenths: 487, highestLevel: 5, deaths: 1),
            nextOrdinal: 4, lastClosedDay: today.adding(days: -1), nextRolloverAt: instant.addingTimeInterval(3600),
            createdAt: instant
        )
        var weekly = ScheduleHistory(.daily, from: today.adding(days: -10))
        weekly.change(to: .timesPerWeek(3), from: today.adding(days: -3))
        let habits = [
            Habit(
                id: .random(), ordinal: 1, name: "Read", notes: "20 pages\nevery day", difficulty: .hard,
                schedules: weekly, createdDay: today.adding(days: -10), createdAt: instant, isArchived: false),
            Habit(
                id: .random(), ordinal: 2, name: "Run", notes: "", difficulty: .trivial,
                schedules: ScheduleHistory(.everyNDays(3, start: today), from: today), createdDay: today,
                createdAt: instant, isArchived: true),
        ]
        let entry = DayEntry(
            id: .random(), habitID: habits[0].id, day: today, kind: .completed, note: "done ✓", isImported: false,
            recordedAt: instant)
        let skipped = DayEntry(
            id: .random(), habitID: habits[1].id, day: today, kind: .skipped, note: "", isImported: true,
            recordedAt: instant)
        let reward = Reward(id: .random(), ordinal: 3, name: "Tea", priceCentiCoins: 150, createdAt: instant)
        let outcome = CompletionOutcome(
            entry: entry, award: Award(xp: 20, centiCoins: 200), streak: StreakSummary(current: 3, best: 7))
        let idempotency = [
            IdempotencyRecord(key: "complete-1", requestFingerprint: "complete:\(habits[0].id)",
                outcome: .completion(outcome), recordedAt: instant),
            IdempotencyRecord(key: "redeem-1", requestFingerprint: "redeem:\(reward.id)",
                outcome: .redemption(RedemptionOutcome(rewardID: reward.id, priceCentiCoins: 150, ledgerSequence: 2)),
                recordedAt: instant),
        ]
        let ledger = try await store.withUserTransaction(user) { transaction in
            try await transaction.saveUser(record)
            for habit in habits { try await transaction.insertHabit(habit) }
            try await transaction.insertEntry(entry)
            try await transaction.insertEntry(skipped)
            try await transaction.insertReward(reward)
            for item in idempotency { try await transaction.insertIdempotencyRecord(item) }
            return try await transaction.appendLedger([
                LedgerEntry(
                    kind: .completionAward, amount: Award(xp: 20, centiCoins: 200, hpTenths: 5), habitID: habits[0].id,
                    day: today, completionID: entry.id, recordedAt: instant),
                LedgerEntry(kind: .redemption, amount: Award(centiCoins: -150), rewardID: reward.id, recordedAt: instant),
            ])
        }
        return StoreSnapshot(
            user: user, record: record, habits: habits, entries: [entry, skipped], idempotencyRecords: idempotency,
            ledger: ledger, rewards: [reward], idempotencyKeys: idempotency.map(\.key))
    }

    /// Reads back what `writeEveryKind` wrote for `written.user`.
    public static func read(like written: StoreSnapshot, from store: any HabitStore) async throws -> StoreSnapshot {
        try await store.withUserTransaction(written.user) { transaction in
            var records: [IdempotencyRecord] = []
            for key in written.idempotencyKeys {
                if let record = try await transaction.idempotencyRecord(key: key) { records.append(record) }
            }
            return StoreSnapshot(
                user: written.user, record: try await transaction.loadUser(),
                habits: try await transaction.habits(afterOrdinal: nil, limit: 100, includeArchived: true),
                entries: try await transaction.entries(habit: nil, from: nil, through: nil),
                idempotencyRecords: records, ledger: try await transaction.ledger(afterSequence: nil, limit: 100),
                rewards: try await transaction.rewards(afterOrdinal: nil, limit: 100),
                idempotencyKeys: written.idempotencyKeys)
        }
    }
}
