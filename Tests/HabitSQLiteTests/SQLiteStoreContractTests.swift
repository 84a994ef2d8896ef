import Foundation
import HabitCore
import HabitCoreTesting
import HabitSQLite
import Logging
import Testing

/// The store contract on an SQLite file of its own.
@Suite struct SQLiteStoreContractTests {
    let suite = HabitStoreContractSuite { try await SharedSQLiteStore.store.value }

    @Test(arguments: HabitStoreContractSuite.Check.allCases)
    func contract(_ check: HabitStoreContractSuite.Check) async throws {
        try await suite.run(check)
    }
}

/// One store for the contract checks of this test process (each check uses users of its own). It stays open
/// until the process ends: sqlite-nio asserts that a connection is closed before it is released.
enum SharedSQLiteStore {
    static let store = Task<SQLiteHabitStore, any Error> {
        try await SQLiteHabitStore.open(path: SQLiteTestFiles.newPath(), logger: Logger(label: "test.sqlite"))
    }
}

/// Temporary database files for one test process.
enum SQLiteTestFiles {
    static let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("habit-sqlite-tests-\(ProcessInfo.processInfo.processIdentifier)")

    /// A path in a directory that does not exist yet, which the store must create.
    static func newPath() -> String {
        directory.appendingPathComponent(UUID().uuidString).appendingPathComponent("habit.sqlite").path
    }
}
