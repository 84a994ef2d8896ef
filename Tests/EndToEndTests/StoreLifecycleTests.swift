import Foundation
import HabitAPI
import HabitStoreSQL
import HabitStoreTesting
import RPCClient
import RPCCore
import Testing

/// Which store a parameterised end-to-end test runs habit-server on.
enum StoreKind: Sendable, CustomTestStringConvertible {
    case postgres
    case sqlite

    var testDescription: String { self == .postgres ? "PostgreSQL" : "SQLite" }

    /// A new, empty store of this kind.
    func fresh() async throws -> TestStore {
        switch self {
        case .postgres: try await TestStore.freshPostgres()
        case .sqlite: TestStore.freshSQLite()
        }
    }
}

/// habit-server on its real stores: data outlives the process, and readiness follows the database.
@Suite("habit-server on its stores", .serialized)
struct StoreLifecycleTests {
    @Test("a habit and its completion survive a SIGTERM and a restart on the same database", arguments: [StoreKind.postgres, .sqlite])
    func dataSurvivesRestart(on kind: StoreKind) async throws {
        let store = try await kind.fresh()
        defer { store.remove() }
        let alice = try await tokenOptions("alice")
        var complete = CompleteHabitRequest()
        complete.idempotencyKey = "before-restart"

        let first = try await ServerProcess.start(store: store)
        let firstClient = try first.client()
        var create = CreateHabitRequest()
        create.name = "Journal"
        create.difficulty = .easy
        var schedule = Schedule()
        schedule.kind = .everyDay(Schedule.EveryDay())
        create.schedule = schedule
        let habitID = try #require(try await HabitServiceClient(transport: firstClient).createHabit(create, options: alice).habit?.id)
        complete.habitId = habitID
        let done = try await CompletionServiceClient(transport: firstClient).completeHabit(complete, options: alice)
        if case .postgres(let location) = store {
            let password = try #require(location.password, "make test's PostgreSQL has a password")
            #expect(first.log.contains("postgres://\(location.username):***@"))
            #expect(!first.log.contains(":\(password)@"), "the database password is never logged")
        }
        await firstClient.close()
        first.terminate()
        #expect(try await first.waitForExit() == 0)
        await first.stop()

        let second = try await ServerProcess.start(store: store)
        let secondClient = try second.client()
        do {
            let habits = try await HabitServiceClient(transport: secondClient).listHabits(ListHabitsRequest(), options: alice)
            #expect(habits.habits.map(\.id) == [habitID])
            #expect(habits.habits.first?.name == "Journal")
            let replay = try await CompletionServiceClient(transport: secondClient).completeHabit(complete, options: alice)
            #expect(replay.replayed)
            #expect(replay.completion?.id == done.completion?.id)
            var streak = GetStreakRequest()
            streak.habitId = habitID
            #expect(try await CompletionServiceClient(transport: secondClient).getStreak(streak, options: alice).streak?.current == 1)
        } catch {
            Issue.record("after the restart: \(error)\n\(second.log)")
        }
        await secondClient.close()
        await second.stop()
    }

    @Test("/ready and HealthService report not ready while PostgreSQL is down and ready again once it is back")
    func readinessFollowsPostgres() async throws {
        let cluster = try await ThrowawayCluster.start()
        let server: ServerProcess
        do {
            server = try await ServerProcess.start(store: .postgres(cluster.location))
        } catch {
            await cluster.remove()
            throw error
        }
        let client = try server.client()
        let health = HealthServiceClient(transport: client)
        do {
            #expect(try await server.admin("/ready") == (200, "ready\n"))
            #expect(try await health.check(HealthCheckRequest()).status == .serving)

            try await cluster.stop()
            let down = try await server.waitForReady(false)
            #expect(down.status == 503)
            #expect(down.body.hasPrefix("not ready: store unavailable: "))
            #expect(try await health.check(HealthCheckRequest()).status == .notServing)

            try await cluster.start()
            #expect(try await server.waitForReady(true) == (200, "ready\n"))
            #expect(try await health.check(HealthCheckRequest()).status == .serving)
        } catch {
            Issue.record("\(error)\n\(server.log)")
        }
        await client.close()
        await server.stop()
        await cluster.remove()
    }
    @Test("calls before the store's migrations are applied are refused UNAVAILABLE and not processed, then served")
    func callsWaitForMigrations() async throws {
        let location = try await ScratchPostgres.createDatabase()
        let alice = try await tokenOptions("alice")
        // Another migrator holds the lock, so the server listens but cannot apply its migrations yet.
        let server = try await ScratchPostgres.whileHoldingMigrationLock(location) {
            let server = try await ServerProcess.start(store: .postgres(location), waitsForStore: false)
            let client = try server.client()
            do {
                let refused = try #require(
                    await errorOf { _ = try await HabitServiceClient(transport: client).createHabit(.daily("Early"), options: alice) })
                #expect(refused.code == .unavailable)
                #expect(refused.isNotProcessed)
                #expect(refused.message.contains("migrations are not applied yet"))
                #expect(try await HealthServiceClient(transport: client).check(HealthCheckRequest()).status == .notServing)
                #expect(try await server.admin("/ready").status == 503)
            } catch {
                Issue.record("while migrations wait: \(error)\n\(server.log)")
            }
            await client.close()
            return server
        }
        let client = try server.client()
        do {
            #expect(try await server.waitForReady(true) == (200, "ready\n"))
            let habits = HabitServiceClient(transport: client)
            _ = try await habits.createHabit(.daily("Later"), options: alice)
            #expect(try await habits.listHabits(ListHabitsRequest(), options: alice).habits.map(\.name) == ["Later"])
        } catch {
            Issue.record("after migrations: \(error)\n\(server.log)")
        }
        await client.close()
        await server.stop()
    }
}

extension ServerProcess {
    /// Polls `/ready` until it answers `ready` (200) or not (503), for at most 60 s (a liveness bound, not a
    /// timing assertion), and returns the last answer.
    func waitForReady(_ ready: Bool) async throws -> (status: Int, body: String) {
        var answer = try await admin("/ready")
        for _ in 0..<600 where (answer.status == 200) != ready {
            try await Task.sleep(for: .milliseconds(100))
            answer = try await admin("/ready")
        }
        return answer
    }
}
