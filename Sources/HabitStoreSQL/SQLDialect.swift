/// The SQL dialects the store speaks: every difference between PostgreSQL and SQLite lives here, so the
/// schema and the statements are written once.
public enum SQLDialect: Sendable {
    case postgres
    case sqlite

    /// Column type of a user id: compared byte-wise so ordering matches Swift's on ASCII ids.
    var userIDType: String {
        switch self {
        case .postgres: "TEXT COLLATE \"C\""
        case .sqlite: "TEXT"
        }
    }

    /// Column type of a random id (`HabitID`, `CompletionID`, `RewardID`).
    var uuidType: String {
        switch self {
        case .postgres: "UUID"
        case .sqlite: "TEXT"
        }
    }

    /// Column type of an instant: seconds since 2001-01-01 UTC as a float, Foundation's own representation,
    /// so a `Date` round-trips bit for bit (a `timestamptz` keeps microseconds only).
    var instantType: String {
        switch self {
        case .postgres: "DOUBLE PRECISION"
        case .sqlite: "REAL"
        }
    }

    /// Column type of a 64-bit integer.
    var int64Type: String {
        switch self {
        case .postgres: "BIGINT"
        case .sqlite: "INTEGER"
        }
    }

    /// Column type of a flag; SQLite has no boolean, so it is an integer held to 0 or 1 by a check.
    func boolType(_ column: String) -> String {
        switch self {
        case .postgres: "BOOLEAN"
        case .sqlite: "INTEGER CHECK (\(column) IN (0, 1))"
        }
    }

    /// The length of a text column in UTF-8 bytes.
    func byteLength(_ column: String) -> String {
        switch self {
        case .postgres: "octet_length(\(column))"
        case .sqlite: "length(CAST(\(column) AS BLOB))"
        }
    }

    /// Starts a read-write transaction; SQLite takes the write lock at once so two writers never deadlock.
    public var beginTransaction: String {
        switch self {
        case .postgres: "BEGIN"
        case .sqlite: "BEGIN IMMEDIATE"
        }
    }

    /// Serializes migrators across processes for the rest of the transaction; SQLite's `BEGIN IMMEDIATE`
    /// already holds the database's single write lock.
    var migrationLock: String? {
        switch self {
        case .postgres: "SELECT pg_advisory_xact_lock(\(SQLDialect.migrationLockKey))"
        case .sqlite: nil
        }
    }

    /// The advisory lock key of schema migrations ("habitmig" in ASCII), apart from any other lock.
    public static let migrationLockKey: Int64 = 0x6861_6269_746D_6967

    /// Rewrites the `$n` parameters the statements are written with into the dialect's own form (SQLite's
    /// `?n`; the SQL text contains no other `$`).
    public func parameters(_ sql: String) -> String {
        switch self {
        case .postgres: sql
        case .sqlite: sql.replacingOccurrences(of: "$", with: "?")
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
