public import Foundation

/// Which database the habit store uses, read from the environment by the server at start.
///
/// `HABIT_DATABASE_URL=postgres://user:password@host:port/database` selects PostgreSQL; without it the
/// store is an SQLite file at `HABIT_SQLITE_PATH` (default `./data/habit.sqlite`), so a fresh checkout runs
/// with no database server.
public enum StoreConfiguration: Sendable, Hashable {
    /// A PostgreSQL server.
    case postgres(PostgresLocation)
    /// An SQLite file (its directory is created when missing).
    case sqlite(path: String)

    /// The SQLite file used when nothing is configured.
    public static let defaultSQLitePath = "./data/habit.sqlite"

    /// Where a PostgreSQL database is and how to log in; TLS is not configured here (loopback and private
    /// networks only).
    public struct PostgresLocation: Sendable, Hashable {
        /// Host name or address.
        public var host: String
        /// TCP port, 5432 by default.
        public var port: Int
        /// Role to log in as.
        public var username: String
        /// Password, if the server asks for one.
        public var password: String?
        /// Database name.
        public var database: String

        /// Assembles a location.
        public init(host: String, port: Int = 5432, username: String, password: String?, database: String) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
        }

        /// Parses `postgres://user[:password]@host[:port]/database` (or `postgresql://`); percent-escapes in
        /// the user and password are decoded.
        public init(url text: String) throws(StoreConfigurationError) {
            guard let components = URLComponents(string: text),
                ["postgres", "postgresql"].contains(components.scheme?.lowercased() ?? "")
            else { throw StoreConfigurationError("database URL must start with postgres://") }
            guard let host = components.host, !host.isEmpty else {
                throw StoreConfigurationError("database URL names no host")
            }
            guard let username = components.user, !username.isEmpty else {
                throw StoreConfigurationError("database URL names no user")
            }
            let database = String(components.path.drop(while: { $0 == "/" }))
            guard !database.isEmpty, !database.contains("/") else {
                throw StoreConfigurationError("database URL names no database (postgres://user@host/database)")
            }
            let port = components.port ?? 5432
            guard (1...65535).contains(port) else { throw StoreConfigurationError("database URL port out of range") }
            self.init(
                host: host, port: port, username: username, password: components.password, database: database
            )
        }
    }

    /// Reads `HABIT_DATABASE_URL` and `HABIT_SQLITE_PATH` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreConfigurationError) {
        if let url = environment["HABIT_DATABASE_URL"], !url.isEmpty {
            self = .postgres(try PostgresLocation(url: url))
        } else {
            let path = environment["HABIT_SQLITE_PATH"].flatMap { $0.isEmpty ? nil : $0 }
            self = .sqlite(path: path ?? Self.defaultSQLitePath)
        }
    }
}

/// A store configuration that cannot be used, with the reason.
public struct StoreConfigurationError: Error, Hashable, CustomStringConvertible {
    /// What is wrong, naming the variable's part.
    public var description: String

    init(_ description: String) { self.description = description }
}
