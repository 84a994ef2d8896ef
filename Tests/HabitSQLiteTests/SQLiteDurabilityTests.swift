import Foundation
import HabitCore
import HabitSQLite
import HabitStoreTesting
import Logging
import Testing

@Suite struct SQLiteDurabilityTests {
    let logger = Logger(label: "test.sqlite")

    @Test func reopeningTheFileKeepsEveryPieceOfData() async throws {
        let path = SQLiteTestFiles.newPath()
        let first = try await SQLiteHabitStore.open(path: path, logger: logger)
        let written = try await StoreSnapshot.writeEveryKind(to: first)
        try await first.close()

        let reopened = try await SQLiteHabitStore.open(path: path, logger: logger)
        let read = try await StoreSnapshot.read(like: written, from: reopened)
        try await reopened.close()
        #expect(read == written)
    }

    @Test func everyCompletionAcknowledgedBeforeKillNineIsStoredExactlyOnce() async throws {
        let path = SQLiteTestFiles.newPath()
        let user = try UserID("crash-\(UUID().uuidString)")
        let now = Date(timeIntervalSince1970: 1_760_000_000)
        let killed = try await CrashProbe.run(store: "sqlite:\(path)", user: user, count: 100, at: now, killAfter: 10)
        #expect(killed.wasKilled, "the probe finished its burst before SIGKILL; the test proves nothing")
        #expect(killed.acknowledged.count >= 10)

        let retried = try await CrashProbe.run(store: "sqlite:\(path)", user: user, count: 100, at: now, killAfter: nil)
        #expect(!retried.wasKilled && retried.status == 0)
        #expect(retried.acknowledged == (0..<100).map { "burst-\($0)" })

        let store = try await SQLiteHabitStore.open(path: path, logger: logger)
        let problems = try await CrashProbe.problems(
            in: store, user: user, count: 100, acknowledged: killed.acknowledged + retried.acknowledged)
        try await store.close()
        #expect(problems == [])
    }
}
