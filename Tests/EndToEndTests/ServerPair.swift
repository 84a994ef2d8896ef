import Foundation
import HabitAPI
import RPCClient
import Testing

/// Two habit-server processes over one PostgreSQL database and the Redis `make test` starts: a scaled-out
/// deployment, as the issue's scale-out tests need it.
struct ServerPair {
    let servers: [ServerProcess]
    let clients: [RPCClient]

    /// The settings both servers share: Redis, two instances for the quota shares, and a check timeout a loaded
    /// machine meets (a 25 ms check can time out beside the rest of the suite and fall back to each server's
    /// local share, which is not what these tests are about); `environment` adds to them.
    static func start(environment extra: [String: String] = [:]) async throws -> ServerPair {
        let redisURL = try #require(
            ProcessInfo.processInfo.environment["HABIT_TEST_REDIS_URL"], "make test exports HABIT_TEST_REDIS_URL")
        var environment = [
            "HABIT_REDIS_URL": redisURL, "HABIT_QUOTA_INSTANCES": "2", "HABIT_QUOTA_CHECK_TIMEOUT_MS": "2000",
        ]
        environment.merge(extra) { _, added in added }
        let store = try await TestStore.freshPostgres()
        let first = try await ServerProcess.start(store: store, environment: environment)
        let second: ServerProcess
        do {
            second = try await ServerProcess.start(store: store, environment: environment)
        } catch {
            await first.stop()
            throw error
        }
        return ServerPair(servers: [first, second], clients: [try first.client(), try second.client()])
    }

    /// Both servers' logs, for failure messages.
    var logs: String {
        servers.enumerated().map { "server \($0.offset) log:\n\($0.element.log)" }.joined(separator: "\n")
    }

    /// Runs `body` with the pair and stops it afterwards; an error is recorded with both logs.
    static func run(environment: [String: String] = [:], _ body: (ServerPair) async throws -> Void) async throws {
        let pair = try await start(environment: environment)
        do {
            try await body(pair)
        } catch {
            Issue.record("unexpected error: \(error)\n\(pair.logs)")
        }
        for client in pair.clients { await client.close() }
        for server in pair.servers { await server.stop() }
    }
}
