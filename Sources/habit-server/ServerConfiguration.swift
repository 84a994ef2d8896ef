import ArgumentParser
import Foundation
import HabitStoreSQL
import Logging
import RedisQuota

/// Everything habit-server reads at startup; each value comes from a flag, else a `HABIT_*` variable,
/// else the default documented in README.md.
struct ServerConfiguration: Sendable {
    /// `--host` / `HABIT_HOST`, default 127.0.0.1.
    var host: String
    /// `--port` / `HABIT_PORT`, default 7420.
    var port: Int
    /// `--admin-host` / `HABIT_ADMIN_HOST`, default 127.0.0.1: the admin HTTP port's address.
    var adminHost: String
    /// `--admin-port` / `HABIT_ADMIN_PORT`, default 7421 (0 picks a free one).
    var adminPort: Int
    /// `--data-dir` / `HABIT_DATA_DIR`, default ./data: the development secret (and the SQLite file).
    var dataDirectory: String
    /// `--log-level` / `HABIT_LOG_LEVEL`, default info.
    var logLevel: Logger.Level
    /// `--drain-seconds` / `HABIT_DRAIN_SECONDS`, default 10: time in-flight calls get on shutdown.
    var drainSeconds: Int
    /// `--rollover-interval-seconds` / `HABIT_ROLLOVER_INTERVAL_SECONDS`, default 60.
    var rolloverIntervalSeconds: Int
    /// The habit store: PostgreSQL when `HABIT_DATABASE_URL` is set (environment only: it holds the
    /// password), else SQLite at `--sqlite-path` / `HABIT_SQLITE_PATH`, default `<data-dir>/habit.sqlite`.
    var store: StoreConfiguration
    /// `--store-probe-interval-seconds` / `HABIT_STORE_PROBE_INTERVAL_SECONDS`, default 1: how often
    /// readiness checks the store.
    var storeProbeIntervalSeconds: Int
    /// `--quota-policies` / `HABIT_QUOTA_POLICIES`: classes overriding the standard quotas
    /// (`write=120/1m:20,read=1200/1m,import=600/1m:200`), e.g. `write=10/1m:5@closed`.
    var quotaPolicies: QuotaPolicies
    /// `--quota-instances` / `HABIT_QUOTA_INSTANCES`, default 1: how many servers share the quotas, so
    /// each enforces its share while Redis is unreachable.
    var quotaInstances: Int
    /// `--quota-check-timeout-ms` / `HABIT_QUOTA_CHECK_TIMEOUT_MS`, default 25: the most a quota check adds
    /// to a call; past it the policy's failure mode (local share, open or closed) decides.
    var quotaCheckTimeoutMilliseconds: Int
    /// The process environment (secrets and Redis are read from it, never from flags).
    var environment: [String: String]
}

/// Reads the flag, else the variable, else the default.
struct SettingResolver {
    let environment: [String: String]

    func string(_ flag: String?, _ variable: String, default value: String) -> String {
        flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? value
    }

    func integer(_ flag: Int?, _ variable: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        let resolved: Int
        if let flag {
            resolved = flag
        } else if let text = environment[variable], !text.isEmpty {
            guard let parsed = Int(text) else { throw ValidationError("\(variable) must be an integer, got \"\(text)\"") }
            resolved = parsed
        } else {
            resolved = value
        }
        guard range.contains(resolved) else {
            throw ValidationError("\(variable) must be in \(range.lowerBound)...\(range.upperBound), got \(resolved)")
        }
        return resolved
    }
}
