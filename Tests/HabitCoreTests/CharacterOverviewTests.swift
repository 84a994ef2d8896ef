import HabitCore
import HabitCoreTesting
import Testing

/// GetCharacter's streak overview (rule R3): over the unarchived habits, from one read, on both paths.
@Suite struct CharacterOverviewTests {
    /// Habit `onStreak` completed D2 and D3 (current 2), `broken` only D1 (D2 missed: current 0, best 1), and an
    /// archived habit completed D1 to D3 (current and best 3), which the overview must leave out.
    private static func threeHabits() async throws -> (Harness, active: [HabitID]) {
        let harness = try await Harness()
        let onStreak = try await harness.newHabit("on streak")
        let broken = try await harness.newHabit("broken")
        let archived = try await harness.newHabit("archived")
        try await harness.complete(broken)
        try await harness.complete(archived)
        for day in 2...3 {
            harness.goTo(day)
            try await harness.complete(onStreak)
            try await harness.complete(archived)
        }
        _ = try await harness.habits.setArchived(harness.user, archived, true)
        return (harness, [onStreak, broken])
    }

    /// The overview `habits`' own streaks give, as rule R3 defines it.
    private static func expected(_ harness: Harness, _ habits: [HabitID]) async throws
        -> CharacterService.StreakOverview
    {
        var streaks: [StreakSummary] = []
        for habit in habits { streaks.append(try await harness.streak(habit)) }
        return CharacterService.StreakOverview(
            habitsOnStreak: streaks.count(where: { $0.current >= 1 }), longestCurrent: streaks.map(\.current).max() ?? 0,
            longestEver: streaks.map(\.best).max() ?? 0)
    }

    @Test func summarisesTheUnarchivedHabitsFromCommittedRows() async throws {
        let (harness, active) = try await Self.threeHabits()
        let overview = try await harness.character.overview(harness.user)
        #expect(overview.streaks == .init(habitsOnStreak: 1, longestCurrent: 2, longestEver: 2))
        #expect(overview.streaks == (try await Self.expected(harness, active)))
        #expect(overview.character == (try await harness.stats()))
    }

    @Test func aDueRolloverTakesTheSessionAndGivesTheSameOverview() async throws {
        let (harness, active) = try await Self.threeHabits()
        harness.goTo(6)  // D3, D4 and D5 ended unclosed: the read must roll over first
        let before = try await harness.store.committedUser(harness.user)
        let overview = try await harness.character.overview(harness.user)
        let after = try await harness.store.committedUser(harness.user)
        #expect(after?.lastClosedDay == Harness.day(5) && before?.lastClosedDay != after?.lastClosedDay)
        #expect(overview.streaks == .init(habitsOnStreak: 0, longestCurrent: 0, longestEver: 2))
        #expect(overview.streaks == (try await Self.expected(harness, active)))
        #expect(overview.character == (try await harness.stats()))
    }

    @Test func aUserWithoutHabitsHasAnEmptyOverview() async throws {
        let harness = try await Harness()
        let overview = try await harness.character.overview(harness.user)
        #expect(overview.streaks == .init(habitsOnStreak: 0, longestCurrent: 0, longestEver: 0))
        let newcomer = try UserID("newcomer")
        #expect(try await harness.character.overview(newcomer).streaks.longestEver == 0)
        #expect(try await harness.store.committedUser(newcomer) != nil, "a first read provisions, as get does")
    }
}
