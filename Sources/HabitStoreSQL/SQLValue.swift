public import Foundation
public import HabitCore

/// A value bound to a statement parameter, in terms both drivers can encode.
public enum SQLValue: Sendable, Hashable {
    case int(Int64)
    case double(Double)
    case text(String)
    case uuid(UUID)
    case bool(Bool)
    /// SQL NULL in a column of this kind: a prepared PostgreSQL statement types its parameters from the
    /// first call's values, so a NULL must say what it stands for.
    case null(Kind)

    /// The kinds of value a parameter holds.
    public enum Kind: Sendable, Hashable {
        case int, double, text, uuid, bool
    }

    /// An instant in the store's representation (see `SQLDialect.instantType`).
    static func instant(_ date: Date) -> SQLValue { .double(date.timeIntervalSinceReferenceDate) }
    /// A local day as its day number.
    static func day(_ day: LocalDay) -> SQLValue { .int(Int64(day.daysSince1970)) }
    /// A user id as stored.
    static func user(_ user: UserID) -> SQLValue { .text(user.rawValue) }
}

/// One result row as the shared decoding code reads it; each adapter conforms its driver's row type.
///
/// Getters throw `HabitError(.internalError)` when the column is missing or holds another type: stored data
/// that does not decode is a broken invariant, not a caller error.
public protocol SQLRow: SendableMetatype {
    /// A non-null integer column.
    func int64(_ column: String) throws(HabitError) -> Int64
    /// A non-null float column.
    func double(_ column: String) throws(HabitError) -> Double
    /// A non-null text column.
    func text(_ column: String) throws(HabitError) -> String
    /// A non-null flag column.
    func bool(_ column: String) throws(HabitError) -> Bool
    /// A non-null id column.
    func uuid(_ column: String) throws(HabitError) -> UUID
    /// Whether the column is SQL NULL.
    func isNull(_ column: String) throws(HabitError) -> Bool
}

extension SQLRow {
    /// The error for a column that does not decode.
    public static func undecodable(_ column: String, _ detail: String = "") -> HabitError {
        HabitError(.internalError, "stored column \(column) does not decode\(detail.isEmpty ? "" : ": \(detail)")")
    }

    func instant(_ column: String) throws(HabitError) -> Date {
        Date(timeIntervalSinceReferenceDate: try double(column))
    }

    func day(_ column: String) throws(HabitError) -> LocalDay {
        let value = try int64(column)
        guard let days = Int32(exactly: value) else { throw Self.undecodable(column, "day \(value) out of range") }
        return LocalDay(daysSince1970: days)
    }

    func optionalDay(_ column: String) throws(HabitError) -> LocalDay? {
        try isNull(column) ? nil : try day(column)
    }

    func optionalUUID(_ column: String) throws(HabitError) -> UUID? {
        try isNull(column) ? nil : try uuid(column)
    }

    func int(_ column: String) throws(HabitError) -> Int {
        let value = try int64(column)
        guard let int = Int(exactly: value) else { throw Self.undecodable(column) }
        return int
    }
}

/// Runs one statement on the connection of the current transaction; adapters map driver errors to
/// `HabitError` (unique violation `.alreadyExists`, unreachable database `.unavailable`, ...).
public protocol SQLExecutor {
    /// The driver's row type.
    associatedtype Row: SQLRow

    /// Runs `sql` (written with `$n` parameters) with `binds` and returns every row, always consumed, so an
    /// error raised while the statement runs is never lost. For one-off statements: migrations, transaction
    /// control.
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [Row]

    /// Runs one of the store's statements like `query`; PostgreSQL prepares it once per connection.
    func execute<Statement: SQLStatement>(_ statement: Statement.Type, _ binds: [SQLValue]) async throws -> [Row]

    /// A statement that runs `StoreStatements.SaveUser` and then `StoreStatements.AppendLedgerEntry` in one
    /// round trip (binds: the user row's 13, then the ledger row's 9 from `$14`), or nil where the dialect
    /// cannot chain writes in one statement.
    var saveUserAppendingLedgerEntry: (any SQLStatement.Type)? { get }
}
