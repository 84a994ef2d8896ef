/// One statement of the store, written once with `$n` parameters for both dialects. Its type names it, so an
/// adapter can prepare it once per connection (PostgreSQL) instead of parsing and planning it on every call.
///
/// Statements list their columns instead of `SELECT *`: a prepared plan must not change its result type when a
/// later migration adds a column.
public protocol SQLStatement {
    /// The statement text with `$1`, `$2`, ... parameters.
    static var sql: String { get }

    /// The name it is prepared under: unique among the store's statements and at most 63 bytes, since
    /// PostgreSQL cuts longer names (which would make two statements collide).
    static var name: String { get }
}

extension SQLStatement {
    /// The type's own name, without its module or enclosing types.
    public static var name: String { String(describing: Self.self) }
}

/// The columns `RowDecoding` reads, per table, so every statement returns exactly what is decoded.
public enum StoreColumns {
    /// The `users` columns, each prefixed with `alias.` when one is given (for joins).
    public static func user(_ alias: String? = nil) -> String {
        list(
            [
                "user_id", "display_name", "time_zone", "day_start_minutes", "xp", "centi_coins", "hp_tenths",
                "highest_level", "deaths", "next_ordinal", "last_closed_day", "next_rollover_at", "created_at",
            ], alias)
    }

    static func habit(_ alias: String? = nil) -> String {
        list(
            [
                "id", "ordinal", "name", "notes", "difficulty", "schedules", "created_day", "created_at",
                "is_archived",
            ], alias)
    }

    static func entry(_ alias: String? = nil) -> String {
        list(["id", "habit_id", "day", "kind", "note", "is_imported", "recorded_at"], alias)
    }

    static let idempotencyRecord = "key, request_fingerprint, outcome, recorded_at"

    static let ledgerEntry = """
        sequence, kind, xp, centi_coins, hp_tenths, habit_id, day, completion_id, reward_id, recorded_at
        """

    static let reward = "id, ordinal, name, price_centi_coins, created_at"

    private static func list(_ columns: [String], _ alias: String?) -> String {
        guard let alias else { return columns.joined(separator: ", ") }
        return columns.map { "\(alias).\($0)" }.joined(separator: ", ")
    }
}

/// The statements of `SQLUserTransaction` and `StoreQueries`. Every one is scoped by `$1`, the user id
/// (except the rollover index scan, which spans users).
public enum StoreStatements {
    enum LoadUser: SQLStatement {
        static let sql = "SELECT \(StoreColumns.user()) FROM users WHERE user_id = $1"
    }

    /// Inserts or updates the user row; binds `$1` to `$13` in the order of its column list.
    public enum SaveUser: SQLStatement {
        /// The upsert, without a `RETURNING` clause so it can also run inside a `WITH`.
        public static let sql = """
            INSERT INTO users (user_id, display_name, time_zone, day_start_minutes, xp, centi_coins, hp_tenths,
                highest_level, deaths, next_ordinal, last_closed_day, next_rollover_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name,
                time_zone = excluded.time_zone, day_start_minutes = excluded.day_start_minutes, xp = excluded.xp,
                centi_coins = excluded.centi_coins, hp_tenths = excluded.hp_tenths,
                highest_level = excluded.highest_level, deaths = excluded.deaths,
                next_ordinal = excluded.next_ordinal, created_at = excluded.created_at
            """
    }

    enum AdvanceRollover: SQLStatement {
        static let sql = """
            UPDATE users SET last_closed_day = $3, next_rollover_at = $4
            WHERE user_id = $1 AND last_closed_day = $2 RETURNING user_id
            """
    }

    enum Habit: SQLStatement {
        static let sql = "SELECT \(StoreColumns.habit()) FROM habits WHERE user_id = $1 AND id = $2"
    }

    /// The habit joined to its day entries, oldest first: one row per entry, or one row with NULL entry
    /// columns for a habit without any. The habit's id is read from `habit_id`, which the entries share, so
    /// the entry's own `id` keeps its name.
    enum HabitWithEntries: SQLStatement {
        static let sql = habitsWithEntries(where: "h.id = $2")
    }

    enum ActiveHabitsWithEntries: SQLStatement {
        static let sql = habitsWithEntries(where: "NOT h.is_archived")
    }

    /// Habits of user `$1` matching `condition`, each joined with its entries, ordered by habit then day, as
    /// `RowDecoding.habitsWithEntries` reads them (the habit's id as `habit_id`).
    private static func habitsWithEntries(where condition: String) -> String {
        """
        SELECT h.id AS habit_id, h.ordinal, h.name, h.notes, h.difficulty, h.schedules, h.created_day,
            h.created_at, h.is_archived, e.id, e.day, e.kind, e.note, e.is_imported, e.recorded_at
        FROM habits h LEFT JOIN day_entries e ON e.user_id = h.user_id AND e.habit_id = h.id
        WHERE h.user_id = $1 AND \(condition) ORDER BY h.ordinal, e.day
        """
    }

    enum Habits: SQLStatement {
        static let sql = """
            SELECT \(StoreColumns.habit()) FROM habits WHERE user_id = $1 AND ordinal > $2 AND ($3 OR NOT is_archived)
            ORDER BY ordinal LIMIT $4
            """
    }

    enum HabitCount: SQLStatement {
        static let sql = "SELECT count(*) AS n FROM habits WHERE user_id = $1"
    }

    enum InsertHabit: SQLStatement {
        static let sql = """
            INSERT INTO habits (user_id, id, ordinal, name, notes, difficulty, schedules, created_day, created_at,
                is_archived)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id
            """
    }

    enum UpdateHabit: SQLStatement {
        static let sql = """
            UPDATE habits SET ordinal = $3, name = $4, notes = $5, difficulty = $6, schedules = $7,
                created_day = $8, created_at = $9, is_archived = $10
            WHERE user_id = $1 AND id = $2 RETURNING id
            """
    }

    enum DeleteHabit: SQLStatement {
        static let sql = "DELETE FROM habits WHERE user_id = $1 AND id = $2 RETURNING id"
    }

    enum EntriesOfHabit: SQLStatement {
        static let sql = """
            SELECT \(StoreColumns.entry()) FROM day_entries
            WHERE user_id = $1 AND habit_id = $2 AND day >= $3 AND day <= $4 ORDER BY day
            """
    }

    enum EntriesOfUser: SQLStatement {
        static let sql = """
            SELECT \(StoreColumns.entry("e")) FROM day_entries e JOIN habits h ON h.id = e.habit_id
            WHERE e.user_id = $1 AND e.day >= $2 AND e.day <= $3 ORDER BY e.day, h.ordinal
            """
    }

    enum InsertEntry: SQLStatement {
        static let sql = """
            INSERT INTO day_entries (user_id, id, habit_id, day, kind, note, is_imported, recorded_at)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8
            WHERE EXISTS (SELECT 1 FROM habits WHERE user_id = $1 AND id = $3)
            ON CONFLICT DO NOTHING RETURNING id
            """
    }

    enum DeleteEntry: SQLStatement {
        static let sql = """
            DELETE FROM day_entries WHERE user_id = $1 AND habit_id = $2 AND day = $3 RETURNING \(StoreColumns.entry())
            """
    }

    enum IdempotencyRecord: SQLStatement {
        static let sql = """
            SELECT \(StoreColumns.idempotencyRecord) FROM idempotency_records WHERE user_id = $1 AND key = $2
            """
    }

    enum InsertIdempotencyRecord: SQLStatement {
        static let sql = """
            INSERT INTO idempotency_records (user_id, key, request_fingerprint, outcome, recorded_at)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING key
            """
    }

    /// Appends one ledger row numbered `max(sequence) + 1` of the user (safe: rows are never deleted and the
    /// user's lock is held); binds `$1` (user) and `$2` to `$10` in the order of its column list from `kind`.
    public enum AppendLedgerEntry: SQLStatement {
        /// The insert; returns the assigned `sequence`.
        public static let sql = appendLedgerEntry(firstParameter: 2)
    }

    /// `AppendLedgerEntry`'s text with the row's nine values bound from `$firstParameter` on (the user stays
    /// `$1`), so an adapter can append it to a statement of its own.
    public static func appendLedgerEntry(firstParameter first: Int) -> String {
        let values = (first..<(first + 9)).map { "$\($0)" }.joined(separator: ", ")
        return """
            INSERT INTO ledger_entries (user_id, sequence, kind, xp, centi_coins, hp_tenths, habit_id, day,
                completion_id, reward_id, recorded_at)
            SELECT $1, coalesce(max(sequence), 0) + 1, \(values) FROM ledger_entries WHERE user_id = $1
            RETURNING sequence
            """
    }

    enum LedgerPage: SQLStatement {
        static let sql = """
            SELECT \(StoreColumns.ledgerEntry) FROM ledger_entries WHERE user_id = $1 AND sequence > $2
            ORDER BY sequence LIMIT $3
            """
    }

    enum LedgerOfHabitDay: SQLStatement {
        static let sql = """
            SELECT \(StoreColumns.ledgerEntry) FROM ledger_entries WHERE user_id = $1 AND habit_id = $2 AND day = $3
            ORDER BY sequence
            """
    }

    enum Reward: SQLStatement {
        static let sql = "SELECT \(StoreColumns.reward) FROM rewards WHERE user_id = $1 AND id = $2"
    }

    enum Rewards: SQLStatement {
        static let sql = """
            SELECT \(StoreColumns.reward) FROM rewards WHERE user_id = $1 AND ordinal > $2 ORDER BY ordinal LIMIT $3
            """
    }

    enum InsertReward: SQLStatement {
        static let sql = """
            INSERT INTO rewards (user_id, id, ordinal, name, price_centi_coins, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id
            """
    }

    enum UsersDueForRollover: SQLStatement {
        static let sql = """
            SELECT user_id FROM users WHERE next_rollover_at <= $1 ORDER BY next_rollover_at, user_id LIMIT $2
            """
    }
}
