import HabitCore
import HabitCoreTesting
import HabitPostgres
import HabitStoreTesting
import Logging
import Testing

/// The store contract against the real PostgreSQL, in a database of its own.
@Suite struct PostgresStoreContractTests {
    let suite = HabitStoreContractSuite { try await SharedPostgresStore.store.value }

    @Test(arguments: HabitStoreContractSuite.Check.allCases)
    func contract(_ check: HabitStoreContractSuite.Check) async throws {
        try await suite.run(check)
    }
}

/// One migrated store on a scratch database for the contract checks of this test process; its client runs
/// until the process ends. The call deadline is generous because the checks queue up to 24 transactions of
/// one user on a machine busy with parallel tests; the deadline itself is tested in `PostgresOutageTests`.
enum SharedPostgresStore {
    static let store = Task<PostgresHabitStore, any Error> {
        var configuration = PostgresHabitStore.Configuration(location: try await ScratchPostgres.createDatabase())
        configuration.callTimeout = .seconds(30)
        let store = PostgresHabitStore(configuration: configuration, logger: Logger(label: "test.postgres"))
        Task { await store.run() }
        try await store.migrate()
        return store
    }
}
