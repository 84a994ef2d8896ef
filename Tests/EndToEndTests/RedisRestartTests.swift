import Foundation
import HabitAPI
import LoopbackTesting
import NIOCore
import RedisQuota
import RPCClient
import RPCCore
import Synchronization
import Testing

/// habit-server under load while its Redis is killed and restarted: no call fails, quotas fall back to the
/// server's local share, then return to Redis.
@Suite("habit-server through a Redis restart", .serialized)
struct RedisRestartTests {
    /// Counts the outcomes of the calls a load generator makes until told to stop.
    final class CallTally: Sendable {
        private struct State {
            var successes = 0
            var failures: [String] = []
            var isStopped = false
        }

        private let state = Mutex(State())

        var successes: Int { state.withLock { $0.successes } }
        var failures: [String] { state.withLock { $0.failures } }
        var isStopped: Bool { state.withLock { $0.isStopped } }

        func record(_ failure: (any Error)?) {
            state.withLock { state in
                if let failure { state.failures.append("\(failure)") } else { state.successes += 1 }
            }
        }

        func stop() { state.withLock { $0.isStopped = true } }
    }

    @Test("calls keep flowing while Redis is killed and restarted under load, then quotas are on Redis again")
    func callsFlowThroughARedisRestart() async throws {
        let redis = OwnedRedisServer(port: try LoopbackPort.freeForRestartableServer())
        try redis.start()
        defer { redis.kill() }
        let probe = RedisClient(configuration: .init(host: "127.0.0.1", port: redis.port))
        let userName = "redis-restart-\(UUID().uuidString)"
        let key = QuotaLimiter.key(
            prefix: QuotaLimiter.Configuration(policies: .standard).keyPrefix, user: userName, methodClass: "read")
        // The user's quota key is in Redis only when checks run there (a restarted Redis starts empty); at 360 ms
        // of allowance per call its expiry stays ahead while the load runs.
        let isOnRedis: () async -> Bool = {
            (try? await probe.send(["EXISTS", key], timeout: .seconds(1))) == .integer(1)
        }
        let answers: () async -> Bool = { (try? await probe.send(["PING"], timeout: .seconds(1))) == .simpleString("PONG") }
        #expect(await eventually(answers), "redis-server started")

        let server = try await ServerProcess.start(environment: [
            "HABIT_REDIS_URL": "redis://127.0.0.1:\(redis.port)", "HABIT_QUOTA_POLICIES": "read=10000/1h:10000",
            "HABIT_QUOTA_CHECK_TIMEOUT_MS": "2000",
        ])
        let client = try server.client()
        let user = try await tokenOptions(userName)
        let characters = CharacterServiceClient(transport: client)
        let tally = CallTally()
        await withTaskGroup(of: Void.self) { load in
            // Two paced callers: steady load without starving the suites running beside this one.
            for _ in 0..<2 {
                load.addTask {
                    while !tally.isStopped {
                        do {
                            _ = try await characters.getCharacter(GetCharacterRequest(), options: user)
                            tally.record(nil)
                        } catch {
                            tally.record(error)
                        }
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                }
            }
            #expect(await eventually(isOnRedis), "checks run on Redis before it is killed")

            let opened = server.occurrences(of: "circuit breaker open")
            let closed = server.occurrences(of: "circuit breaker closed")
            redis.kill()
            #expect(await eventually { server.occurrences(of: "circuit breaker open") > opened })
            let atOutage = tally.successes
            #expect(await eventually { tally.successes >= atOutage + 50 }, "calls flow on the local share meanwhile")

            do {
                try redis.start()
            } catch {
                Issue.record("redis-server did not restart: \(error)")
            }
            #expect(await eventually { server.occurrences(of: "circuit breaker closed") > closed })
            #expect(await eventually(isOnRedis), "checks run on Redis again after the restart")
            let afterRecovery = tally.successes
            #expect(await eventually { tally.successes >= afterRecovery + 50 })
            tally.stop()
        }
        #expect(tally.failures.isEmpty, "\(tally.failures.prefix(5))\n\(server.log)")
        await probe.shutdown()
        await client.close()
        await server.stop()
    }
}

extension ServerProcess {
    /// How many times `text` occurs in the server's log so far.
    func occurrences(of text: String) -> Int { log.components(separatedBy: text).count - 1 }
}
