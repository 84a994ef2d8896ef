public import Foundation
public import HabitCore
public import HabitStoreSQL
public import Logging
import NIOCore
import RPCCore
import PostgresNIO
import Synchronization
public import ServiceLifecycle

/// `HabitStore` on PostgreSQL through one long-lived `PostgresClient`.
///
/// The store is a `Service`: put it in the server's `ServiceGroup` (its `run()` runs the client's connection
/// pool) before the first call. Each user transaction locks the user's `accounts` row with `FOR UPDATE` at
/// read-committed isolation, so one user's transactions run one after another and never lose an update,
/// while different users run in parallel. Every call has a deadline: an unreachable database fails with
/// `.unavailable` after `callTimeout`, never after the pool's minute-long connection retries, and the pool
/// reconnects by itself when the database returns.
public final class PostgresHabitStore: SchemaVersionedStore, Service {
    /// Connection and timing settings with documented defaults.
    public struct Configuration: Sendable {
        /// Where the database is.
        public var location: StoreConfiguration.PostgresLocation
        /// The longest a store call (lease, transaction, commit) may take before it fails `.unavailable`.
        public var callTimeout: Duration = .seconds(2)
        /// The longest applying migrations may take (it may wait for another server's migrator).
        public var migrationTimeout: Duration = .seconds(30)
        /// Server-side bound on one statement (`statement_timeout`), so a runaway query frees its connection.
        public var statementTimeout: Duration = .seconds(5)
        /// How long opening a TCP connection may take.
        public var connectTimeout: Duration = .seconds(2)
        /// Pool size: the most connections this process opens.
        public var maximumConnections: Int = 20
        /// Connections the pool opens at start and keeps open. The pool arms an idle-timeout timer task each
        /// time one of the connections beyond these goes idle (after every call on it), about 50 µs of client
        /// CPU per call; size it to the usual number of concurrent calls (at most `maximumConnections`).
        public var minimumConnections: Int = 0
        /// How often an idle pooled connection runs a keep-alive query, or nil for none (the default): the pool
        /// arms a keep-alive timer task every time a connection goes idle, after every call, about 55 µs of client
        /// CPU per call; a connection that broke while idle fails the next call that uses it (`.unavailable`),
        /// and the pool replaces it.
        public var keepAliveFrequency: Duration?

        /// Settings for `location` with the defaults.
        public init(location: StoreConfiguration.PostgresLocation) {
            self.location = location
        }
    }

    private let client: PostgresClient
    /// The client's event loops, which also run the store's calls and their deadlines.
    private let eventLoopGroup: any EventLoopGroup = PostgresClient.defaultEventLoopGroup
    private let configuration: Configuration
    private let logger: Logger

    /// Creates the store and its client; nothing connects until `run()` runs and a call needs a connection.
    public init(configuration: Configuration, logger: Logger) {
        let location = configuration.location
        var clientConfiguration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable
        )
        clientConfiguration.options.connectTimeout = configuration.connectTimeout
        clientConfiguration.options.maximumConnections = configuration.maximumConnections
        clientConfiguration.options.minimumConnections = min(
            max(0, configuration.minimumConnections), configuration.maximumConnections)
        clientConfiguration.options.keepAliveBehavior = configuration.keepAliveFrequency.map {
            PostgresClient.Configuration.Options.KeepAliveBehavior(frequency: $0)
        }
        clientConfiguration.options.additionalStartupParameters = [
            ("application_name", "habit-server"),
            ("statement_timeout", "\(Self.milliseconds(configuration.statementTimeout))ms"),
        ]
        self.client = PostgresClient(
            configuration: clientConfiguration, eventLoopGroup: eventLoopGroup, backgroundLogger: logger)
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs the client's connection pool until cancelled or the service group shuts down gracefully.
    public func run() async {
        await client.run()
    }

    /// Applies pending schema migrations in one transaction under an advisory lock, so servers starting
    /// together migrate once; returns the versions this call applied.
    @discardableResult
    public func migrate() async throws -> [Int64] {
        try await withExecutor(configuration.migrationTimeout) { executor in
            // Waiting for another server's migrator (the advisory lock) may take the whole migration
            // timeout, longer than the statement timeout every other statement keeps.
            _ = try await executor.query(
                "SET statement_timeout = '\(Self.milliseconds(configuration.migrationTimeout))ms'", [])
            do {
                let applied = try await SchemaMigrator.migrate(on: executor, dialect: .postgres)
                _ = try await executor.query("RESET statement_timeout", [])
                return applied
            } catch {
                _ = try? await executor.query("RESET statement_timeout", [])
                throw error
            }
        }
    }

    /// Reads `schema_migrations` on a pooled connection within `callTimeout`: the readiness probe.
    public func pendingMigrations() async throws -> [Int64] {
        try await withExecutor(configuration.callTimeout) { executor in
            try await SchemaMigrator.pendingVersions(on: executor, dialect: .postgres)
        }
    }

    /// Runs `body` in a transaction that holds the lock of `user`'s row.
    public func withUserTransaction<T: Sendable>(
        _ user: UserID,
        _ body: (any UserTransaction) async throws -> T
    ) async throws -> T {
        try await withExecutor(configuration.callTimeout) { executor in
            _ = try await executor.query(SQLDialect.postgres.beginTransaction, [])
            do {
                let transaction = SQLUserTransaction(
                    userID: user, executor: executor, dialect: .postgres,
                    lockedUserRow: try await lockAccount(user, on: executor))
                let result: T
                do {
                    result = try await body(transaction)
                } catch {
                    throw BodyFailure(underlying: error)
                }
                _ = try await executor.query("COMMIT", [])
                return result
            } catch {
                _ = try? await executor.query("ROLLBACK", [])
                throw error
            }
        }
    }

    /// Locks the user's `accounts` row until commit and returns the user's row, read by the same statement.
    ///
    /// A known user costs one statement that locks both rows: locking the `users` row too is what makes the
    /// row it returns the latest committed one (PostgreSQL re-reads a locked row that changed while it waited,
    /// but not an unlocked row joined to it). On a user's first transaction there is no `users` row to join,
    /// so it inserts the anchor row (`ON CONFLICT DO NOTHING` makes two racing first transactions safe: the
    /// second waits for the first's insert), locks it, and returns nil: `loadUser` then reads in a statement
    /// of its own, which sees what any transaction it waited for committed.
    private func lockAccount(_ user: UserID, on executor: PostgresExecutor) async throws -> PostgresStoredRow? {
        let binds: [SQLValue] = [.text(user.rawValue)]
        if let row = try await executor.execute(LockAccountAndUser.self, binds).first { return row }
        _ = try await executor.execute(InsertAccount.self, binds)
        _ = try await executor.execute(LockAccount.self, binds)
        return nil
    }

    /// One prepared `SELECT` of the user's row, with no transaction and no lock.
    public func committedUser(_ user: UserID) async throws -> UserRecord? {
        try await withExecutor(configuration.callTimeout) { executor in
            try await StoreQueries.committedUser(on: executor, user)
        }
    }

    /// One prepared `SELECT` of the active habits joined with their entries, with no transaction and no lock.
    public func committedActiveHabits(_ user: UserID) async throws -> [(habit: Habit, entries: [DayEntry])] {
        try await withExecutor(configuration.callTimeout) { executor in
            try await StoreQueries.committedActiveHabits(on: executor, user)
        }
    }

    /// Reads the rollover index (`users_next_rollover_at_idx`).
    public func usersDueForRollover(at instant: Date, limit: Int) async throws -> [UserID] {
        try await withExecutor(configuration.callTimeout) { executor in
            try await StoreQueries.usersDueForRollover(on: executor, at: instant, limit: limit)
        }
    }

    /// Leases a connection and runs `body` on its executor, all within `timeout`, on the connection's event loop:
    /// every statement's reply then resumes the call on the thread that read it, instead of waking a
    /// global-executor thread for each round trip. Maps what the pool throws (lease failures, the deadline's
    /// cancellation) to `HabitError`, while an error the caller's body threw passes through unchanged.
    private func withExecutor<T: Sendable>(
        _ timeout: Duration, _ body: (PostgresExecutor) async throws -> T
    ) async throws -> T {
        let eventLoop = eventLoopGroup.any()
        do {
            return try await CallDeadline.run(timeout, on: eventLoop) {
                try await client.withConnection { connection in
                    let executor = PostgresExecutor(connection: connection, logger: logger)
                    // The pool may lease a connection of another loop: follow it there.
                    guard connection.eventLoop !== eventLoop else { return try await body(executor) }
                    return try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop: connection.eventLoop)) {
                        try await body(executor)
                    }
                }
            }
        } catch let failure as BodyFailure {
            throw failure.underlying
        } catch {
            throw PostgresErrorMapping.map(error)
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}

/// Locks the user's anchor row and their `users` row, returning the latter.
private enum LockAccountAndUser: SQLStatement {
    static let sql = """
        SELECT \(StoreColumns.user("u")) FROM accounts a JOIN users u ON u.user_id = a.user_id
        WHERE a.user_id = $1 FOR UPDATE
        """
}

/// `SELECT ... FOR UPDATE` of the user's anchor row.
private enum LockAccount: SQLStatement {
    static let sql = "SELECT user_id FROM accounts WHERE user_id = $1 FOR UPDATE"
}

/// Creates the user's anchor row unless it exists.
private enum InsertAccount: SQLStatement {
    static let sql = "INSERT INTO accounts (user_id) VALUES ($1) ON CONFLICT DO NOTHING"
}

/// `StoreStatements.SaveUser` and `StoreStatements.AppendLedgerEntry` in one statement: a data-modifying
/// `WITH` runs to completion whether or not the main statement reads it.
private enum SaveUserAppendingLedgerEntry: SQLStatement {
    static let sql = """
        WITH saved AS (\(StoreStatements.SaveUser.sql))
        \(StoreStatements.appendLedgerEntry(firstParameter: 14))
        """
}

/// Any of the store's statements as a postgres-nio prepared statement: the connection prepares it on first
/// use (named after `Statement`) and afterwards only binds and executes it.
private struct Prepared<Statement: SQLStatement>: PostgresPreparedStatement {
    static var sql: String { Statement.sql }
    static var name: String { PreparedNames.name(of: Statement.self) }
    typealias Row = PostgresRow
    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The prepared-statement name of each statement type, derived once: postgres-nio asks for the name on every
/// execution, and deriving it from the type's name costs a demangling each time.
private enum PreparedNames {
    private static let names = Mutex<[ObjectIdentifier: String]>([:])

    static func name(of statement: any SQLStatement.Type) -> String {
        names.withLock { names in
            if let name = names[ObjectIdentifier(statement)] { return name }
            let name = "habit.\(statement.name)"
            names[ObjectIdentifier(statement)] = name
            return name
        }
    }
}

/// An error thrown by a transaction body, carried past the store's error mapping untouched.
private struct BodyFailure: Error {
    var underlying: any Error
}

/// The shared SQL's view of one leased connection; rows are always collected, so errors raised while a
/// statement runs are never lost with a discarded sequence.
struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [PostgresStoredRow] {
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(binds)), logger: logger)
                .collect().map { PostgresStoredRow(row: $0.makeRandomAccess()) }
        } catch {
            throw PostgresErrorMapping.map(error)
        }
    }

    func execute<Statement: SQLStatement>(_ statement: Statement.Type, _ binds: [SQLValue]) async throws
        -> [PostgresStoredRow]
    {
        do {
            var rows: [PostgresStoredRow] = []
            for try await row in try await connection.execute(
                Prepared<Statement>(bindings: Self.bindings(binds)), logger: logger)
            {
                rows.append(PostgresStoredRow(row: row.makeRandomAccess()))
            }
            return rows
        } catch {
            throw PostgresErrorMapping.map(error)
        }
    }

    var saveUserAppendingLedgerEntry: (any SQLStatement.Type)? { SaveUserAppendingLedgerEntry.self }

    private static func bindings(_ binds: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .int(let int): bindings.append(int)
            case .double(let double): bindings.append(double)
            case .text(let text): bindings.append(text)
            case .uuid(let uuid): bindings.append(uuid)
            case .bool(let bool): bindings.append(bool)
            case .null(let kind): bindings.append(PostgresData(type: dataType(kind), value: nil))
            }
        }
        return bindings
    }

    /// The parameter type a NULL is sent as, matching what a non-NULL value of the kind encodes as.
    private static func dataType(_ kind: SQLValue.Kind) -> PostgresDataType {
        switch kind {
        case .int: .int8
        case .double: .float8
        case .text: .text
        case .uuid: .uuid
        case .bool: .bool
        }
    }
}

/// A postgres-nio row as the shared decoding code reads it.
struct PostgresStoredRow: SQLRow {
    let row: PostgresRandomAccessRow

    private func decode<T: PostgresDecodable>(_ type: T.Type, _ column: String) throws(HabitError) -> T {
        guard row.contains(column) else { throw Self.undecodable(column, "no such column") }
        do {
            return try row[column].decode(type)
        } catch {
            throw Self.undecodable(column, "\(error)")
        }
    }

    func int64(_ column: String) throws(HabitError) -> Int64 { try decode(Int64.self, column) }
    func double(_ column: String) throws(HabitError) -> Double { try decode(Double.self, column) }
    func text(_ column: String) throws(HabitError) -> String { try decode(String.self, column) }
    func bool(_ column: String) throws(HabitError) -> Bool { try decode(Bool.self, column) }
    func uuid(_ column: String) throws(HabitError) -> UUID { try decode(UUID.self, column) }

    func isNull(_ column: String) throws(HabitError) -> Bool {
        guard row.contains(column) else { throw Self.undecodable(column, "no such column") }
        return row[column].bytes == nil
    }
}

/// postgres-nio and pool errors to `HabitError`, in one place.
enum PostgresErrorMapping {
    static func map(_ error: any Error) -> any Error {
        if error is HabitError { return error }
        guard let psql = error as? PSQLError else {
            // Pool errors (circuit breaker, shutdown) and cancellation by the deadline.
            return HabitError(.unavailable, "PostgreSQL unreachable: \(String(reflecting: error))")
        }
        guard psql.code == .server, let state = psql.serverInfo?[.sqlState] else {
            return HabitError(.unavailable, "PostgreSQL connection failed: \(psql.code)")
        }
        let message = psql.serverInfo?[.message] ?? ""
        switch state {
        case "23505":
            return HabitError(.alreadyExists, "PostgreSQL: \(message)")
        case "23503":
            return HabitError(.notFound, "PostgreSQL: \(message)")
        case "40001", "40P01":
            return HabitError(.aborted, "PostgreSQL: \(message)")
        case _ where state.hasPrefix("23"):
            return HabitError(.internalError, "PostgreSQL refused a row the domain should not produce: \(message)")
        case "57014", "55P03", "57P01", "57P02", "57P03", "25006":
            return HabitError(.unavailable, "PostgreSQL: \(state) \(message)")
        case _ where state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("58"):
            return HabitError(.unavailable, "PostgreSQL: \(state) \(message)")
        default:
            return HabitError(.internalError, "PostgreSQL: \(state) \(message)")
        }
    }
}
