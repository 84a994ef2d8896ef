import Foundation
import HabitCore
import HabitPostgres
import HabitStoreSQL
import HabitStoreTesting
import Testing

/// PostgreSQL stopped and started again while calls flow, on a throwaway cluster of the test's own (the shared
/// test server must stay up for the other suites).
@Suite struct PostgresOutageTests {
    @Test func callsFailUnavailableDuringAnOutageAndSucceedAfterwardsWithNoManualStep() async throws {
        let cluster = try await ThrowawayCluster.start()
        do {
            try await exerciseOutage(cluster)
        } catch {
            await cluster.remove()
            throw error
        }
        await cluster.remove()
    }

    private func exerciseOutage(_ cluster: ThrowawayCluster) async throws {
        let user = try UserID("outage-\(UUID().uuidString)")
        let record = UserRecord(
            id: user, settings: UserSettings(displayName: "O", timeZoneID: "UTC", dayStartMinutes: 0),
            character: CharacterState(xp: 0, centiCoins: 0, hpTenths: 500, highestLevel: 1, deaths: 0),
            nextOrdinal: 1, lastClosedDay: LocalDay(daysSince1970: 20_000),
            nextRolloverAt: Date(timeIntervalSince1970: 1_728_000_000), createdAt: Date(timeIntervalSince1970: 1_727_900_000))

        try await ScratchPostgres.withStore(cluster.location, configure: { $0.callTimeout = .seconds(2) }) { store in
            try await store.withUserTransaction(user) { try await $0.saveUser(record) }

            try await cluster.stop()
            // Several calls at once: each fails on its own deadline or connection error, none hangs the others.
            let codes = await withTaskGroup(of: HabitError.Code?.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        do {
                            _ = try await store.withUserTransaction(user) { try await $0.loadUser() }
                            return nil
                        } catch let error as HabitError {
                            return error.code
                        } catch {
                            return .internalError
                        }
                    }
                }
                return await group.reduce(into: [HabitError.Code?]()) { $0.append($1) }
            }
            #expect(codes == [.unavailable, .unavailable, .unavailable, .unavailable])

            try await cluster.start()
            var loaded: UserRecord?
            // The pool reconnects by itself; calls are retried here as a client would, until the first succeeds.
            for _ in 0..<120 where loaded == nil {
                do {
                    loaded = try await store.withUserTransaction(user) { try await $0.loadUser() }
                } catch let error as HabitError where error.code == .unavailable {
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            #expect(loaded == record)
        }
    }
}
