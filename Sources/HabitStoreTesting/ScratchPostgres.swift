import Foundation
public import HabitPostgres
public import HabitStoreSQL
import Logging
import NIOPosix
import PostgresNIO

/// Scratch databases on the PostgreSQL server the tests are given, so suites running in parallel never share
/// tables.
///
/// The server comes from `POSTGRES_HOSTNAME/PORT/USER/PASSWORD/DB` (as postgres-nio's own tests read them),
/// which `make test` exports; a missing variable is a failure, never a skip.
public enum ScratchPostgres {
    /// The test server's maintenance database, where scratch databases are created.
    public static func server() throws -> StoreConfiguration.PostgresLocation {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw StoreTestFailure(description: "\(name) is not set: run the tests through make test, which starts PostgreSQL")
            }
            return value
        }
        guard let port = Int(try value("POSTGRES_PORT")) else {
            throw StoreTestFailure(description: "POSTGRES_PORT is not a number")
        }
        return StoreConfiguration.PostgresLocation(
            host: try value("POSTGRES_HOSTNAME"), port: port, username: try value("POSTGRES_USER"),
            password: environment["POSTGRES_PASSWORD"], database: try value("POSTGRES_DB"))
    }

    /// Creates an empty database with a random name and returns where it is.
    public static func createDatabase() async throws -> StoreConfiguration.PostgresLocation {
        var location = try server()
        let name = "habit_scratch_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let logger = Logger(label: "test.scratch-postgres")
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(),
            configuration: .init(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: .disable),
            id: 1, logger: logger)
        do {
            // The name is generated here (hex digits only), never input.
            _ = try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger).collect()
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        location.database = name
        return location
    }

    /// Runs `body` while a session of its own holds the schema migration lock on `location`, as a migrator that
    /// is slow to finish would: every other migrator waits until `body` returns.
    public static func whileHoldingMigrationLock<T: Sendable>(
        _ location: StoreConfiguration.PostgresLocation, _ body: () async throws -> T
    ) async throws -> T {
        let logger = Logger(label: "test.migration-lock")
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(),
            configuration: .init(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: .disable),
            id: 2, logger: logger)
        do {
            _ = try await connection.query("SELECT pg_advisory_lock(\(SQLDialect.migrationLockKey))", logger: logger).collect()
            let result = try await body()
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A `postgres://` URL for `location`, as the crash probe takes it.
    public static func url(_ location: StoreConfiguration.PostgresLocation) -> String {
        let password = location.password.map { ":\($0)" } ?? ""
        return "postgres://\(location.username)\(password)@\(location.host):\(location.port)/\(location.database)"
    }

    /// Runs `body` with a store on `location` (migrated first unless `migrate` is false) whose client runs for
    /// the duration of the call. The call deadline is 30 s unless `configure` sets another: parallel tests
    /// load the machine, and only the outage test is about the deadline.
    public static func withStore<T: Sendable>(
        _ location: StoreConfiguration.PostgresLocation,
        migrate: Bool = true,
        configure: (inout PostgresHabitStore.Configuration) -> Void = { _ in },
        _ body: (PostgresHabitStore) async throws -> T
    ) async throws -> T {
        var configuration = PostgresHabitStore.Configuration(location: location)
        configuration.callTimeout = .seconds(30)
        configure(&configuration)
        // The outage test makes the pool log every failed reconnect at info level; warnings are enough here.
        var logger = Logger(label: "test.postgres")
        logger.logLevel = .warning
        let store = PostgresHabitStore(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            if migrate { try await store.migrate() }
            return try await body(store)
        }
    }
}
