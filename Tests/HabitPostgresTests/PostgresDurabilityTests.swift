import Foundation
import HabitCore
import HabitPostgres
import HabitStoreTesting
import Testing

@Suite struct PostgresDurabilityTests {
    @Test func aNewClientSeesEveryPieceOfData() async throws {
        let location = try await ScratchPostgres.createDatabase()
        let written = try await ScratchPostgres.withStore(location) { try await StoreSnapshot.writeEveryKind(to: $0) }
        let read = try await ScratchPostgres.withStore(location) { try await StoreSnapshot.read(like: written, from: $0) }
        #expect(read == written)
    }

    @Test func everyCompletionAcknowledgedBeforeKillNineIsStoredExactlyOnce() async throws {
        let location = try await ScratchPostgres.createDatabase()
        let url = ScratchPostgres.url(location)
        let user = try UserID("crash-\(UUID().uuidString)")
        let now = Date(timeIntervalSince1970: 1_760_000_000)
        let killed = try await CrashProbe.run(store: url, user: user, count: 100, at: now, killAfter: 10)
        #expect(killed.wasKilled, "the probe finished its burst before SIGKILL; the test proves nothing")
        #expect(killed.acknowledged.count >= 10)

        let retried = try await CrashProbe.run(store: url, user: user, count: 100, at: now, killAfter: nil)
        #expect(!retried.wasKilled && retried.status == 0)
        #expect(retried.acknowledged == (0..<100).map { "burst-\($0)" })

        let problems = try await ScratchPostgres.withStore(location) { store in
            try await CrashProbe.problems(
                in: store, user: user, count: 100, acknowledged: killed.acknowledged + retried.acknowledged)
        }
        #expect(problems == [])
    }

    @Test func migratorsStartingTogetherApplyEachMigrationOnce() async throws {
        let fresh = try await ScratchPostgres.createDatabase()
        let applied = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<4 {
                group.addTask { try await ScratchPostgres.withStore(fresh, migrate: false) { try await $0.migrate() } }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        #expect(applied.sorted() == [1], "exactly one of the concurrent migrators applied version 1")
        let again = try await ScratchPostgres.withStore(fresh, migrate: false) { try await $0.migrate() }
        #expect(again == [])
    }
}
