import Foundation

/// One versioned schema change: applied once, in a transaction, recorded in `schema_migrations`.
public struct SchemaMigration: Sendable {
    /// Strictly increasing; the order migrations apply in.
    public let version: Int64
    /// What the migration does, recorded beside the version.
    public let name: String
    /// The DDL, one statement per element.
    public let statements: [String]
}

/// The schema of the habit store, written once with the dialect's differences filled in by `SQLDialect`.
///
/// Tables mirror the domain: `accounts` is the per-user anchor every other row references (and, on
/// PostgreSQL, the row `withUserTransaction` locks); `users` holds the `UserRecord`. Constraints restate the
/// domain's invariants so a bug in the service cannot store what the domain forbids.
public enum HabitSchema {
    /// Every migration in version order. Append new ones; never edit an applied one.
    public static func migrations(for dialect: SQLDialect) -> [SchemaMigration] {
        let d = dialect
        return [
            SchemaMigration(
                version: 1,
                name: "habit store tables",
                statements: [
                    """
                    CREATE TABLE accounts (
                        user_id \(d.userIDType) NOT NULL,
                        CONSTRAINT accounts_pkey PRIMARY KEY (user_id),
                        CONSTRAINT accounts_user_id_length CHECK (\(d.byteLength("user_id")) BETWEEN 1 AND 128)
                    )
                    """,
                    """
                    CREATE TABLE users (
                        user_id \(d.userIDType) NOT NULL,
                        display_name TEXT NOT NULL,
                        time_zone TEXT NOT NULL,
                        day_start_minutes INTEGER NOT NULL,
                        xp \(d.int64Type) NOT NULL,
                        centi_coins \(d.int64Type) NOT NULL,
                        hp_tenths \(d.int64Type) NOT NULL,
                        highest_level INTEGER NOT NULL,
                        deaths INTEGER NOT NULL,
                        next_ordinal \(d.int64Type) NOT NULL,
                        last_closed_day INTEGER NOT NULL,
                        next_rollover_at \(d.instantType) NOT NULL,
                        created_at \(d.instantType) NOT NULL,
                        CONSTRAINT users_pkey PRIMARY KEY (user_id),
                        CONSTRAINT users_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts (user_id)
                            ON DELETE CASCADE,
                        CONSTRAINT users_day_start_minutes_range CHECK (day_start_minutes BETWEEN 0 AND 1439),
                        CONSTRAINT users_hp_tenths_nonnegative CHECK (hp_tenths >= 0),
                        CONSTRAINT users_highest_level_nonnegative CHECK (highest_level >= 0),
                        CONSTRAINT users_deaths_nonnegative CHECK (deaths >= 0),
                        CONSTRAINT users_next_ordinal_nonnegative CHECK (next_ordinal >= 0)
                    )
                    """,
                    "CREATE INDEX users_next_rollover_at_idx ON users (next_rollover_at, user_id)",
                    """
                    CREATE TABLE habits (
                        user_id \(d.userIDType) NOT NULL,
                        id \(d.uuidType) NOT NULL,
                        ordinal \(d.int64Type) NOT NULL,
                        name TEXT NOT NULL,
                        notes TEXT NOT NULL,
                        difficulty TEXT NOT NULL,
                        schedules TEXT NOT NULL,
                        created_day INTEGER NOT NULL,
                        created_at \(d.instantType) NOT NULL,
                        is_archived \(d.boolType("is_archived")) NOT NULL,
                        CONSTRAINT habits_pkey PRIMARY KEY (id),
                        CONSTRAINT habits_user_id_id_key UNIQUE (user_id, id),
                        CONSTRAINT habits_user_id_ordinal_key UNIQUE (user_id, ordinal),
                        CONSTRAINT habits_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts (user_id)
                            ON DELETE CASCADE,
                        CONSTRAINT habits_difficulty_known CHECK (difficulty IN ('trivial', 'easy', 'medium', 'hard'))
                    )
                    """,
                    """
                    CREATE TABLE day_entries (
                        user_id \(d.userIDType) NOT NULL,
                        id \(d.uuidType) NOT NULL,
                        habit_id \(d.uuidType) NOT NULL,
                        day INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        note TEXT NOT NULL,
                        is_imported \(d.boolType("is_imported")) NOT NULL,
                        recorded_at \(d.instantType) NOT NULL,
                        CONSTRAINT day_entries_pkey PRIMARY KEY (id),
                        CONSTRAINT day_entries_habit_id_day_key UNIQUE (habit_id, day),
                        CONSTRAINT day_entries_habit_fkey FOREIGN KEY (user_id, habit_id)
                            REFERENCES habits (user_id, id) ON DELETE CASCADE,
                        CONSTRAINT day_entries_kind_known CHECK (kind IN ('completed', 'skipped'))
                    )
                    """,
                    "CREATE INDEX day_entries_user_id_day_idx ON day_entries (user_id, day)",
                    """
                    CREATE TABLE idempotency_records (
                        user_id \(d.userIDType) NOT NULL,
                        key TEXT NOT NULL,
                        request_fingerprint TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        recorded_at \(d.instantType) NOT NULL,
                        CONSTRAINT idempotency_records_pkey PRIMARY KEY (user_id, key),
                        CONSTRAINT idempotency_records_user_id_fkey FOREIGN KEY (user_id)
                            REFERENCES accounts (user_id) ON DELETE CASCADE,
                        CONSTRAINT idempotency_records_key_length CHECK (\(d.byteLength("key")) BETWEEN 1 AND 128)
                    )
                    """,
                    """
                    CREATE TABLE ledger_entries (
                        user_id \(d.userIDType) NOT NULL,
                        sequence \(d.int64Type) NOT NULL,
                        kind TEXT NOT NULL,
                        xp \(d.int64Type) NOT NULL,
                        centi_coins \(d.int64Type) NOT NULL,
                        hp_tenths \(d.int64Type) NOT NULL,
                        habit_id \(d.uuidType),
                        day INTEGER,
                        completion_id \(d.uuidType),
                        reward_id \(d.uuidType),
                        recorded_at \(d.instantType) NOT NULL,
                        CONSTRAINT ledger_entries_pkey PRIMARY KEY (user_id, sequence),
                        CONSTRAINT ledger_entries_user_id_fkey FOREIGN KEY (user_id)
                            REFERENCES accounts (user_id) ON DELETE CASCADE,
                        CONSTRAINT ledger_entries_sequence_positive CHECK (sequence >= 1),
                        CONSTRAINT ledger_entries_kind_known CHECK (kind IN ('completionAward', 'completionReversal',
                            'redemption', 'missedDamage', 'levelUpHeal', 'deathPenalty'))
                    )
                    """,
                    "CREATE INDEX ledger_entries_user_id_habit_id_day_idx ON ledger_entries (user_id, habit_id, day)",
                    """
                    CREATE TABLE rewards (
                        user_id \(d.userIDType) NOT NULL,
                        id \(d.uuidType) NOT NULL,
                        ordinal \(d.int64Type) NOT NULL,
                        name TEXT NOT NULL,
                        price_centi_coins \(d.int64Type) NOT NULL,
                        created_at \(d.instantType) NOT NULL,
                        CONSTRAINT rewards_pkey PRIMARY KEY (id),
                        CONSTRAINT rewards_user_id_ordinal_key UNIQUE (user_id, ordinal),
                        CONSTRAINT rewards_user_id_fkey FOREIGN KEY (user_id) REFERENCES accounts (user_id)
                            ON DELETE CASCADE,
                        CONSTRAINT rewards_price_positive CHECK (price_centi_coins >= 1)
                    )
                    """,
                ]
            )
        ]
    }
}

/// Applies the schema migrations that a database has not seen yet.
public enum SchemaMigrator {
    /// Brings the database up to date inside one transaction on `executor`'s connection and returns the
    /// versions it applied. Two processes migrating at once is safe: the dialect's migration lock makes the
    /// second wait and then find everything applied.
    @discardableResult
    public static func migrate(on executor: some SQLExecutor, dialect: SQLDialect) async throws -> [Int64] {
        _ = try await executor.query(dialect.beginTransaction, [])
        do {
            let applied = try await applyPending(on: executor, dialect: dialect)
            _ = try await executor.query("COMMIT", [])
            return applied
        } catch {
            _ = try? await executor.query("ROLLBACK", [])
            throw error
        }
    }

    private static func applyPending(on executor: some SQLExecutor, dialect: SQLDialect) async throws -> [Int64] {
        if let lock = dialect.migrationLock {
            _ = try await executor.query(lock, [])
        }
        _ = try await executor.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version \(dialect.int64Type) NOT NULL,
                name TEXT NOT NULL,
                applied_at \(dialect.instantType) NOT NULL,
                CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
            )
            """,
            []
        )
        let seen = Set(try await executor.query("SELECT version FROM schema_migrations", []).map { row in
            try row.int64("version")
        })
        var applied: [Int64] = []
        for migration in HabitSchema.migrations(for: dialect) where !seen.contains(migration.version) {
            for statement in migration.statements {
                _ = try await executor.query(statement, [])
            }
            _ = try await executor.query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                [.int(migration.version), .text(migration.name), .instant(.now)]
            )
            applied.append(migration.version)
        }
        return applied
    }
}
