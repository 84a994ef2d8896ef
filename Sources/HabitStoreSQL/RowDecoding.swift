import Foundation
import HabitCore
import Synchronization

/// Rows to domain values, and the JSON columns (schedule history, idempotency outcome) both ways.
enum RowDecoding {
    static func user(_ row: some SQLRow) throws -> UserRecord {
        UserRecord(
            id: try UserID(try row.text("user_id")),
            settings: UserSettings(
                displayName: try row.text("display_name"), timeZoneID: try row.text("time_zone"),
                dayStartMinutes: try row.int("day_start_minutes")
            ),
            character: CharacterState(
                xp: try row.int64("xp"), centiCoins: try row.int64("centi_coins"), hpTenths: try row.int64("hp_tenths"),
                highestLevel: try row.int("highest_level"), deaths: try row.int("deaths")
            ),
            nextOrdinal: try row.int64("next_ordinal"),
            lastClosedDay: try row.day("last_closed_day"),
            nextRolloverAt: try row.instant("next_rollover_at"),
            createdAt: try row.instant("created_at")
        )
    }

    static func habit(_ row: some SQLRow) throws -> Habit {
        try habit(row, idColumn: "id")
    }

    /// The habit in `row`, its id read from `idColumn` (a join names it apart from the entry's `id`).
    static func habit(_ row: some SQLRow, idColumn: String) throws -> Habit {
        let difficulty = try row.text("difficulty")
        guard let level = Difficulty(rawValue: difficulty) else { throw type(of: row).undecodable("difficulty") }
        return Habit(
            id: HabitID(try row.uuid(idColumn)), ordinal: try row.int64("ordinal"), name: try row.text("name"),
            notes: try row.text("notes"), difficulty: level,
            schedules: try schedules(try row.text("schedules")),
            createdDay: try row.day("created_day"), createdAt: try row.instant("created_at"),
            isArchived: try row.bool("is_archived")
        )
    }

    static func entry(_ row: some SQLRow) throws -> DayEntry {
        guard let kind = DayEntry.Kind(rawValue: try row.text("kind")) else { throw type(of: row).undecodable("kind") }
        return DayEntry(
            id: CompletionID(try row.uuid("id")), habitID: HabitID(try row.uuid("habit_id")), day: try row.day("day"),
            kind: kind, note: try row.text("note"), isImported: try row.bool("is_imported"),
            recordedAt: try row.instant("recorded_at")
        )
    }

    /// Habits with their entries from rows of `habits LEFT JOIN day_entries` ordered by habit, then day, the
    /// habit's id read as `habit_id`: a habit without entries is one row whose entry columns are null.
    static func habitsWithEntries(_ rows: [some SQLRow]) throws -> [(habit: Habit, entries: [DayEntry])] {
        var found: [(habit: Habit, entries: [DayEntry])] = []
        for row in rows {
            let habitID = HabitID(try row.uuid("habit_id"))
            if found.last?.habit.id != habitID { found.append((try habit(row, idColumn: "habit_id"), [])) }
            if try !row.isNull("id") { found[found.count - 1].entries.append(try entry(row)) }
        }
        return found
    }

    static func idempotencyRecord(_ row: some SQLRow) throws -> IdempotencyRecord {
        IdempotencyRecord(
            key: try row.text("key"), requestFingerprint: try row.text("request_fingerprint"),
            outcome: try decodeJSON(IdempotencyRecord.Outcome.self, try row.text("outcome"), column: "outcome"),
            recordedAt: try row.instant("recorded_at")
        )
    }

    static func ledgerEntry(_ row: some SQLRow) throws -> LedgerEntry {
        guard let kind = LedgerEntry.Kind(rawValue: try row.text("kind")) else {
            throw type(of: row).undecodable("kind")
        }
        return LedgerEntry(
            sequence: try row.int64("sequence"), kind: kind,
            amount: Award(xp: try row.int64("xp"), centiCoins: try row.int64("centi_coins"), hpTenths: try row.int64("hp_tenths")),
            habitID: try row.optionalUUID("habit_id").map(HabitID.init), day: try row.optionalDay("day"),
            completionID: try row.optionalUUID("completion_id").map(CompletionID.init),
            rewardID: try row.optionalUUID("reward_id").map(RewardID.init),
            recordedAt: try row.instant("recorded_at")
        )
    }

    static func reward(_ row: some SQLRow) throws -> Reward {
        Reward(
            id: RewardID(try row.uuid("id")), ordinal: try row.int64("ordinal"), name: try row.text("name"),
            priceCentiCoins: try row.int64("price_centi_coins"), createdAt: try row.instant("created_at")
        )
    }

    /// Schedule histories by their stored JSON: most habits never change schedule, so each completion would
    /// otherwise decode the same few texts again. Bounded: emptied when full.
    private static let decodedSchedules = Mutex<[String: ScheduleHistory]>([:])
    private static let decodedSchedulesLimit = 4096

    private static func schedules(_ text: String) throws -> ScheduleHistory {
        if let known = decodedSchedules.withLock({ $0[text] }) { return known }
        let decoded = try decodeJSON(ScheduleHistory.self, text, column: "schedules")
        decodedSchedules.withLock { cache in
            if cache.count >= decodedSchedulesLimit { cache.removeAll(keepingCapacity: true) }
            cache[text] = decoded
        }
        return decoded
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw HabitError(.internalError, "cannot encode \(type(of: value)) as JSON: \(error)")
        }
    }

    private static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw HabitError(.internalError, "stored column \(column) is not a valid \(type): \(error)")
        }
    }
}
