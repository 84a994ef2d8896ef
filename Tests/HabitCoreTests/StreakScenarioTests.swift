import HabitCore
import HabitCoreTesting
import Testing

/// One habit created on D1 (Monday 2024-01-01, UTC), a sequence of events, and what the user must see after.
struct StreakScenario: Sendable, CustomTestStringConvertible {
    enum Event: Sendable {
        /// Move the clock to noon of day n.
        case day(Int)
        /// Complete day n (a backdate when n is before today).
        case done(Int)
        case skip(Int)
        case undo(Int)
    }

    struct Expected: Sendable, Equatable {
        var current: Int
        var best: Int
        var xp: Int64
        var centiCoins: Int64
        var level: Int
        var hpTenths: Int64
    }

    var name: String
    var schedule: Schedule = .daily
    var events: [Event]
    var expected: Expected

    var testDescription: String { name }
}

private let weekdaysOnly = Schedule.weekdays(WeekdaySet([.monday, .tuesday, .wednesday, .thursday, .friday]))

/// Completes day n on day n for each n.
private func daily(_ days: ClosedRange<Int>) -> [StreakScenario.Event] {
    days.flatMap { [StreakScenario.Event.day($0), .done($0)] }
}

private let scenarios: [StreakScenario] = [
    // Pitfall 1: best streak and stale current streak.
    .init(
        name: "P1 five days in a row", events: daily(1...5),
        expected: .init(current: 5, best: 5, xp: 50, centiCoins: 510, level: 2, hpTenths: 500)),
    .init(
        name: "P1 a missed day resets current, keeps best", events: daily(1...5) + [.day(7), .done(7)],
        expected: .init(current: 1, best: 5, xp: 60, centiCoins: 610, level: 2, hpTenths: 480)),
    .init(
        name: "P1 undo in the middle lowers best", events: daily(1...5) + [.day(7), .done(7), .undo(3)],
        expected: .init(current: 1, best: 2, xp: 50, centiCoins: 508, level: 2, hpTenths: 480)),
    .init(
        name: "P1 a single completion is a streak of one", events: [.day(1), .done(1)],
        expected: .init(current: 1, best: 1, xp: 10, centiCoins: 100, level: 1, hpTenths: 500)),
    .init(
        name: "P1 a stale streak reads 0 before any rollover ran", events: daily(1...5) + [.day(8)],
        expected: .init(current: 0, best: 5, xp: 50, centiCoins: 510, level: 2, hpTenths: 480)),
    // Pitfall 3: backdating into a gap joins the runs and refunds that day's damage.
    .init(
        name: "P3 backdating the gap joins two runs",
        events: daily(1...2) + daily(4...5) + [.done(3)],
        expected: .init(current: 5, best: 5, xp: 50, centiCoins: 504, level: 2, hpTenths: 500)),
    .init(
        // Reaching level 2 on D4 healed the D3 damage, so the refund applied 0 and its undo takes 0.
        name: "P3 undoing the backdate splits the runs again",
        events: daily(1...2) + daily(4...5) + [.done(3), .undo(3)],
        expected: .init(current: 2, best: 2, xp: 40, centiCoins: 402, level: 2, hpTenths: 500)),
    // Pitfall 9: several missed days cost one day of damage.
    .init(
        name: "P9 one missed day (boundary)", events: [.day(1), .done(1), .day(3)],
        expected: .init(current: 0, best: 1, xp: 10, centiCoins: 100, level: 1, hpTenths: 480)),
    .init(
        name: "P9 six days away cost one day of damage", events: [.day(1), .done(1), .day(7)],
        expected: .init(current: 0, best: 1, xp: 10, centiCoins: 100, level: 1, hpTenths: 480)),
    .init(
        name: "P9 no damage for the creation day or the still-open day", events: [.day(2)],
        expected: .init(current: 0, best: 0, xp: 0, centiCoins: 0, level: 1, hpTenths: 500)),
    .init(
        name: "P9 weekday habit away Sat to Mon: only Monday is missed", schedule: weekdaysOnly,
        events: daily(1...5) + [.day(9)],
        expected: .init(current: 0, best: 5, xp: 50, centiCoins: 510, level: 2, hpTenths: 480)),
    .init(
        name: "P9 weekday habit on Monday morning: the weekend is not missed", schedule: weekdaysOnly,
        events: daily(1...5) + [.day(8)],
        expected: .init(current: 5, best: 5, xp: 50, centiCoins: 510, level: 2, hpTenths: 500)),
    // Pitfall 10: schedules, skips, weeks.
    .init(
        name: "P10 weekends are transparent for a weekday habit", schedule: weekdaysOnly,
        events: daily(1...5) + [.day(8), .done(8)],
        expected: .init(current: 6, best: 6, xp: 60, centiCoins: 615, level: 2, hpTenths: 500)),
    .init(
        name: "P10 a skip neither counts nor breaks",
        events: [.day(1), .done(1), .day(2), .skip(2), .day(3), .done(3)],
        expected: .init(current: 2, best: 2, xp: 20, centiCoins: 201, level: 1, hpTenths: 500)),
    .init(
        name: "P10 only skips make no streak", events: [.day(1), .skip(1), .day(2), .skip(2), .day(3), .skip(3)],
        expected: .init(current: 0, best: 0, xp: 0, centiCoins: 0, level: 1, hpTenths: 500)),
    .init(
        name: "P10 a non-due completion counts", schedule: weekdaysOnly, events: daily(5...8),
        expected: .init(current: 4, best: 4, xp: 40, centiCoins: 406, level: 2, hpTenths: 500)),
    .init(
        name: "P10 every 2 days: off days are transparent",
        schedule: .everyNDays(2, start: Harness.day(1)),
        events: [.day(1), .done(1), .day(3), .done(3), .day(5), .done(5), .day(6)],
        expected: .init(current: 3, best: 3, xp: 30, centiCoins: 303, level: 2, hpTenths: 500)),
    .init(
        name: "P10 every 2 days: a missed due day breaks",
        schedule: .everyNDays(2, start: Harness.day(1)),
        events: [.day(1), .done(1), .day(3), .done(3), .day(6), .done(6)],
        expected: .init(current: 1, best: 2, xp: 30, centiCoins: 301, level: 2, hpTenths: 500)),
    .init(
        name: "P10 three per calendar week, two weeks kept", schedule: .timesPerWeek(3),
        events: [1, 3, 5, 9, 11, 13].flatMap { [StreakScenario.Event.day($0), .done($0)] },
        expected: .init(current: 2, best: 2, xp: 60, centiCoins: 603, level: 2, hpTenths: 500)),
    .init(
        name: "P10 three per week: an unfinished week is pending", schedule: .timesPerWeek(3),
        events: [1, 3, 5, 9, 11, 13, 15, 17].flatMap { [StreakScenario.Event.day($0), .done($0)] },
        expected: .init(current: 2, best: 2, xp: 80, centiCoins: 807, level: 3, hpTenths: 500)),
    .init(
        name: "P10 three per week: a week closed with two breaks it", schedule: .timesPerWeek(3),
        events: [1, 3, 5, 9, 11, 13, 15, 17].flatMap { [StreakScenario.Event.day($0), .done($0)] } + [.day(22)],
        expected: .init(current: 0, best: 2, xp: 80, centiCoins: 807, level: 3, hpTenths: 480)),
    .init(
        name: "P10 three per week: a skip lowers what the week needs", schedule: .timesPerWeek(3),
        events: [
            .day(1), .done(1), .day(2), .done(2), .day(3), .skip(3), .day(4), .skip(4), .day(5), .skip(5),
            .day(6), .skip(6), .day(7), .skip(7), .day(8),
        ],
        expected: .init(current: 1, best: 1, xp: 20, centiCoins: 200, level: 1, hpTenths: 500)),
]

@Suite struct StreakScenarioTests {
    @Test(arguments: scenarios)
    func scenario(_ scenario: StreakScenario) async throws {
        let harness = try await Harness()
        let habit = try await harness.newHabit(schedule: scenario.schedule)
        for event in scenario.events {
            switch event {
            case .day(let n): harness.goTo(n)
            case .done(let n): try await harness.complete(habit, day: n)
            case .skip(let n): _ = try await harness.completions.skip(harness.user, habit, day: Harness.day(n))
            case .undo(let n): _ = try await harness.completions.undo(harness.user, habit, day: Harness.day(n))
            }
        }
        let streak = try await harness.streak(habit)
        let stats = try await harness.stats()
        let actual = StreakScenario.Expected(
            current: streak.current, best: streak.best, xp: stats.totalXP, centiCoins: stats.centiCoins,
            level: stats.level, hpTenths: stats.hpTenths)
        #expect(actual == scenario.expected)
        let totals = try await harness.ledgerTotals()
        #expect(totals.xp == stats.totalXP && totals.centiCoins == stats.centiCoins, "ledger sums = character")
    }
}
