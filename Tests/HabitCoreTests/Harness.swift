import Foundation
import HabitCore
import HabitCoreTesting
import Testing

/// One user on an in-memory store with a hand-driven clock; days are named D1, D2, ... from a Monday.
struct Harness {
    let store = InMemoryHabitStore()
    let clock: FixedClock
    let environment: HabitEnvironment
    let habits: HabitService
    let completions: CompletionService
    let character: CharacterService
    let rollover: RolloverService
    let user: UserID
    let reckoner: DayReckoner

    /// D1 is 2024-01-01, a Monday.
    static let d1 = LocalDay(daysSince1970: 19_723)

    init(zone: String = "UTC", dayStartMinutes: Int = 0, rules: HabitRules = HabitRules(), user: String = "alice")
        async throws
    {
        reckoner = try DayReckoner(timeZoneID: zone, dayStartMinutes: dayStartMinutes)
        clock = FixedClock(reckoner.start(of: Harness.d1).addingTimeInterval(12 * 3600))
        environment = HabitEnvironment(store: store, clock: clock, rules: rules)
        habits = HabitService(environment: environment)
        completions = CompletionService(environment: environment)
        character = CharacterService(environment: environment)
        rollover = RolloverService(environment: environment)
        self.user = try UserID(user)
        _ = try await character.updateSettings(
            self.user, .init(timeZoneID: zone, dayStartMinutes: dayStartMinutes))
    }

    /// Day `n` (D1 = 2024-01-01).
    static func day(_ n: Int) -> LocalDay { d1.adding(days: n - 1) }

    /// Moves the clock to `hour` local time on day `n`.
    func goTo(_ n: Int, hour: Double = 12) {
        clock.set(reckoner.start(of: Harness.day(n)).addingTimeInterval(hour * 3600))
    }

    /// Moves the clock to an ISO 8601 instant such as `2024-03-10T16:00:00Z`.
    func goTo(instant text: String) throws {
        clock.set(try Harness.instant(text))
    }

    static func instant(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text), "bad instant \(text)")
    }

    /// Creates a habit today.
    func newHabit(
        _ name: String = "habit", difficulty: Difficulty = .easy, schedule: Schedule = .daily
    ) async throws -> HabitID {
        try await habits.create(user, .init(name: name, difficulty: difficulty, schedule: schedule)).id
    }

    /// Completes `habit` on day `n` (today when nil) with a fresh key.
    @discardableResult
    func complete(_ habit: HabitID, day n: Int? = nil) async throws -> CompletionOutcome {
        try await completions.complete(user, habit, day: n.map(Harness.day), idempotencyKey: UUID().uuidString)
    }

    func streak(_ habit: HabitID) async throws -> StreakSummary {
        try await completions.streak(user, habit)
    }

    func stats() async throws -> CharacterService.CharacterView { try await character.get(user) }

    /// The character's XP and coins re-added from the ledger: they must equal the cached totals.
    func ledgerTotals() async throws -> Award {
        var total = Award.zero
        var token = ""
        repeat {
            let page = try await character.ledger(user, pageSize: 100, pageToken: token)
            total = page.items.reduce(total) { $0 + $1.amount }
            token = page.nextPageToken ?? ""
        } while !token.isEmpty
        return total
    }
}

/// Asserts `body` throws a `HabitError` with `code`.
func expectError<T>(
    _ code: HabitError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), but it succeeded", sourceLocation: sourceLocation)
    } catch let error as HabitError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected HabitError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
