import HabitCore
import HabitCoreTesting
import Testing

@Suite struct InMemoryStoreContractTests {
    let suite = HabitStoreContractSuite { InMemoryHabitStore() }

    @Test(arguments: HabitStoreContractSuite.Check.allCases)
    func contract(_ check: HabitStoreContractSuite.Check) async throws {
        try await suite.run(check)
    }
}
