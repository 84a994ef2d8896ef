public import Foundation
public import HabitCore
public import HabitStoreSQL
public import Logging
import SQLiteNIO

/// `HabitStore` on one SQLite file: the embedded default when no PostgreSQL is configured.
///
/// One connection owned by an actor; every transaction is `BEGIN IMMEDIATE ... COMMIT` on it and the actor
/// admits one transaction at a time, so transactions of any users never interleave. WAL journal,
/// `synchronous=NORMAL` (a committed transaction survives a killed process; the last ones may be lost if the
/// machine itself loses power), foreign keys on, and a busy timeout in place of sqlite-nio's endless busy retry
/// for when another process holds the file.
public final class SQLiteHabitStore: SchemaVersionedStore {
    /// Tuning with documented defaults.
    public struct Configuration: Sendable {
        /// How long a statement waits for another process's lock on the file before failing `.unavailable`.
        public var busyTimeout: Duration = .seconds(5)

        /// The defaults.
        public init() {}
    }

    private let session: SQLiteSession

    private init(session: SQLiteSession) {
        self.session = session
    }

    /// Opens (creating the file and its directory if needed) the database at `path` and applies pending
    /// migrations.
    public static func open(
        path: String, configuration: Configuration = Configuration(), logger: Logger
    ) async throws -> SQLiteHabitStore {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw HabitError(.unavailable, "cannot create the SQLite directory \(directory.path): \(error)")
        }
        let session = try await SQLiteSession.open(path: path, configuration: configuration, logger: logger)
        return SQLiteHabitStore(session: session)
    }

    /// Closes the connection; the store must not be used afterwards.
    public func close() async throws {
        try await session.close()
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction of its own on the single connection.
    public func withUserTransaction<T: Sendable>(
        _ user: UserID,
        _ body: (any UserTransaction) async throws -> T
    ) async throws -> T {
        try await session.begin()
        let transaction = SQLUserTransaction(userID: user, executor: session.executor, dialect: .sqlite)
        let result: T
        do {
            // BEGIN IMMEDIATE already holds the file's write lock; the anchor row is all a first transaction needs.
            _ = try await session.query(
                "INSERT INTO accounts (user_id) VALUES ($1) ON CONFLICT DO NOTHING", [.text(user.rawValue)])
            result = try await body(transaction)
        } catch {
            await session.rollback()
            throw error
        }
        try await session.commit()
        return result
    }

    /// Reads `schema_migrations` inside the connection's turn: the readiness probe (it fails when the file
    /// became unreadable or locked by another process beyond the busy timeout).
    public func pendingMigrations() async throws -> [Int64] {
        try await inTurn { try await SchemaMigrator.pendingVersions(on: session.executor, dialect: .sqlite) }
    }

    /// Reads the rollover index inside the connection's turn.
    public func usersDueForRollover(at instant: Date, limit: Int) async throws -> [UserID] {
        try await inTurn { try await StoreQueries.usersDueForRollover(on: session.executor, at: instant, limit: limit) }
    }

    /// Reads the user's row inside the connection's turn, so no open transaction's writes show.
    public func committedUser(_ user: UserID) async throws -> UserRecord? {
        try await inTurn { try await StoreQueries.committedUser(on: session.executor, user) }
    }

    /// Reads the active habits with their entries inside the connection's turn, so no open transaction's
    /// writes show.
    public func committedActiveHabits(_ user: UserID) async throws -> [(habit: Habit, entries: [DayEntry])] {
        try await inTurn { try await StoreQueries.committedActiveHabits(on: session.executor, user) }
    }

    /// Runs `read` in a transaction of its own on the single connection.
    private func inTurn<T: Sendable>(_ read: () async throws -> T) async throws -> T {
        try await session.begin()
        do {
            let result = try await read()
            try await session.commit()
            return result
        } catch {
            await session.rollback()
            throw error
        }
    }
}

/// Owns the connection and hands it to one transaction at a time, first come first served.
actor SQLiteSession {
    private let connection: SQLiteConnection
    private var isInTransaction = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    static func open(
        path: String, configuration: SQLiteHabitStore.Configuration, logger: Logger
    ) async throws -> SQLiteSession {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw SQLiteErrorMapping.map(error)
        }
        let session = SQLiteSession(connection: connection)
        do {
            try await session.prepare(configuration: configuration)
        } catch {
            try? await connection.close()
            throw error
        }
        return session
    }

    private func prepare(configuration: SQLiteHabitStore.Configuration) async throws {
        let busyMilliseconds = configuration.busyTimeout.components.seconds * 1000
            + configuration.busyTimeout.components.attoseconds / 1_000_000_000_000_000
        // busy_timeout replaces sqlite-nio's busy handler, which retries forever.
        for pragma in [
            "PRAGMA busy_timeout = \(busyMilliseconds)", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
        ] {
            _ = try await query(pragma, [])
        }
        try await SchemaMigrator.migrate(on: executor, dialect: .sqlite)
    }

    nonisolated var executor: SQLiteExecutor { SQLiteExecutor(session: self) }

    func close() async throws {
        do {
            try await connection.close()
        } catch {
            throw SQLiteErrorMapping.map(error)
        }
    }

    /// Waits for the connection's turn, then opens a write transaction.
    func begin() async throws {
        if isInTransaction {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            isInTransaction = true
        }
        do {
            _ = try await query(SQLDialect.sqlite.beginTransaction, [])
        } catch {
            handOver()
            throw error
        }
    }

    /// Commits and passes the turn on; a failed commit is rolled back.
    func commit() async throws {
        defer { handOver() }
        do {
            _ = try await query("COMMIT", [])
        } catch {
            _ = try? await query("ROLLBACK", [])
            throw error
        }
    }

    /// Rolls back and passes the turn on.
    func rollback() async {
        defer { handOver() }
        _ = try? await query("ROLLBACK", [])
    }

    private func handOver() {
        if waiters.isEmpty {
            isInTransaction = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLiteStoredRow] {
        do {
            return try await connection.query(SQLDialect.sqlite.parameters(sql), binds.map(Self.data))
                .map(SQLiteStoredRow.init)
        } catch {
            throw SQLiteErrorMapping.map(error)
        }
    }

    private static func data(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .int(let int): .integer(SQLiteInt64(int))
        case .double(let double): .float(double)
        case .text(let text): .text(text)
        case .uuid(let uuid): .text(uuid.uuidString)
        case .bool(let bool): .integer(bool ? 1 : 0)
        case .null: .null
        }
    }
}

/// The shared SQL's view of the session.
struct SQLiteExecutor: SQLExecutor {
    let session: SQLiteSession

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLiteStoredRow] {
        try await session.query(sql, binds)
    }

    /// sqlite-nio has no statement reuse: the statement is compiled on each call, in process.
    func execute<Statement: SQLStatement>(_ statement: Statement.Type, _ binds: [SQLValue]) async throws
        -> [SQLiteStoredRow]
    {
        try await session.query(Statement.sql, binds)
    }

    /// SQLite has no data-modifying `WITH`; its round trips are in-process calls, so two statements cost little.
    var saveUserAppendingLedgerEntry: (any SQLStatement.Type)? { nil }
}

/// A sqlite-nio row as the shared decoding code reads it.
struct SQLiteStoredRow: SQLRow {
    let row: SQLiteRow

    private func value(_ column: String) throws(HabitError) -> SQLiteData {
        guard let data = row.column(column) else { throw Self.undecodable(column, "no such column") }
        return data
    }

    func int64(_ column: String) throws(HabitError) -> Int64 {
        guard case .integer(let int) = try value(column) else { throw Self.undecodable(column, "not an integer") }
        return Int64(int)
    }

    func double(_ column: String) throws(HabitError) -> Double {
        switch try value(column) {
        case .float(let double): return double
        case .integer(let int): return Double(int)
        default: throw Self.undecodable(column, "not a number")
        }
    }

    func text(_ column: String) throws(HabitError) -> String {
        guard case .text(let text) = try value(column) else { throw Self.undecodable(column, "not text") }
        return text
    }

    func bool(_ column: String) throws(HabitError) -> Bool {
        try int64(column) != 0
    }

    func uuid(_ column: String) throws(HabitError) -> UUID {
        guard let uuid = UUID(uuidString: try text(column)) else { throw Self.undecodable(column, "not a UUID") }
        return uuid
    }

    func isNull(_ column: String) throws(HabitError) -> Bool {
        try value(column).isNull
    }
}

/// sqlite-nio errors to `HabitError`, in one place.
enum SQLiteErrorMapping {
    static func map(_ error: any Error) -> any Error {
        if error is HabitError { return error }
        guard let sqlite = error as? SQLiteError else {
            return HabitError(.unavailable, "SQLite: \(error)")
        }
        switch sqlite.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed:
            return HabitError(.alreadyExists, "SQLite: \(sqlite.message)")
        case .constraintForeignKeyFailed:
            return HabitError(.notFound, "SQLite: \(sqlite.message)")
        case .constraint, .constraintCheckFailed, .constraintNotNullFailed:
            return HabitError(.internalError, "SQLite refused a row the domain should not produce: \(sqlite.message)")
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked, .ioError, .full, .cantOpen, .readOnly,
            .noMemory, .interrupt:
            return HabitError(.unavailable, "SQLite: \(sqlite.message)")
        default:
            return HabitError(.internalError, "SQLite: \(sqlite.reason): \(sqlite.message)")
        }
    }
}
