import Foundation
import HabitCore
import HabitCoreTesting
import Testing

/// SplitMix64: tiny, seedable, so a failing history can be replayed from the printed seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed from `HABIT_PROPERTY_SEED` if set, otherwise a fresh one; printed either way.
    static func seed(_ label: String) -> UInt64 {
        let seed =
            ProcessInfo.processInfo.environment["HABIT_PROPERTY_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("\(label): HABIT_PROPERTY_SEED=\(seed)")
        return seed
    }
}

/// A deliberately naive streak model, written from the rule text rather than from StreakCalculator: weekdays
/// from Foundation's Gregorian calendar, every-N-days by counting, schedule by linear scan, and the best run
/// by trying every interval.
enum ReferenceStreaks {
    enum Unit { case plus, neutral, breaks }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar
    }()

    /// ISO weekday 1 (Monday) ... 7 (Sunday) by Foundation.
    static func isoWeekday(_ day: LocalDay) -> Int {
        let date = Date(timeIntervalSince1970: TimeInterval(day.daysSince1970) * 86_400)
        let sundayFirst = calendar.component(.weekday, from: date)  // 1 = Sunday
        return sundayFirst == 1 ? 7 : sundayFirst - 1
    }

    static func isDue(_ schedule: Schedule, _ day: LocalDay) -> Bool {
        switch schedule {
        case .daily: return true
        case .weekdays(let set): return set.contains(Weekday(rawValue: isoWeekday(day)) ?? .monday)
        case .timesPerWeek: return false
        case .everyNDays(let n, let start):
            var due = start
            while due < day { due = due.adding(days: n) }
            return due == day
        }
    }

    static func streaks(
        changes: [ScheduleChange], createdDay: LocalDay, entries: [LocalDay: DayEntry.Kind], today: LocalDay
    ) -> (current: Int, best: Int) {
        let entries = entries.filter { $0.key <= today }
        let start = min(createdDay, entries.keys.min() ?? createdDay)
        func changeIndex(_ day: LocalDay) -> Int { max(0, changes.count { $0.effectiveFrom <= day } - 1) }
        func monday(_ day: LocalDay) -> LocalDay { day.adding(days: -(isoWeekday(day) - 1)) }
        // Week groups: every day from the start to the end of today's week, keyed by (Monday, schedule index).
        struct Key: Hashable {
            var monday: LocalDay
            var change: Int
        }
        var groups: [Key: [LocalDay]] = [:]
        var day = start
        while day <= monday(today).adding(days: 6) {
            if changes[changeIndex(day)].schedule.isWeekly {
                groups[Key(monday: monday(day), change: changeIndex(day)), default: []].append(day)
            }
            day = day.adding(days: 1)
        }
        var units: [Unit] = []
        day = start
        while day <= today {
            let schedule = changes[changeIndex(day)].schedule
            if case .timesPerWeek(let n) = schedule {
                let members = groups[Key(monday: monday(day), change: changeIndex(day))] ?? []
                let lastKnown = members.filter { $0 <= today }.max()
                if day == lastKnown {
                    let done = members.count { entries[$0] == .completed }
                    let skipped = members.count { entries[$0] == .skipped }
                    let required = min(n, members.count - skipped)
                    let hasEnded = (members.max() ?? day) < today
                    if required > 0 && done >= required {
                        units.append(.plus)
                    } else if required > 0 && hasEnded {
                        units.append(.breaks)
                    }
                }
            } else if entries[day] == .completed {
                units.append(.plus)
            } else if entries[day] == nil && day < today && isDue(schedule, day) {
                units.append(.breaks)
            }
            day = day.adding(days: 1)
        }
        var best = 0
        for i in units.indices {
            for j in i..<units.count {
                let slice = units[i...j]
                if slice.contains(where: { if case .breaks = $0 { true } else { false } }) { break }
                best = max(best, slice.count { if case .plus = $0 { true } else { false } })
            }
        }
        let afterLastBreak = units.lastIndex { if case .breaks = $0 { true } else { false } }.map { $0 + 1 } ?? 0
        let current = units[afterLastBreak...].count { if case .plus = $0 { true } else { false } }
        return (current, best)
    }

    static func randomSchedule(_ rng: inout SeededGenerator, around day: LocalDay) -> Schedule {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return .daily
        case 1:
            return .weekdays(WeekdaySet(Weekday.allCases.filter { _ in Bool.random(using: &rng) }.ifEmpty([.friday])))
        case 2: return .timesPerWeek(Int.random(in: 1...7, using: &rng))
        default:
            return .everyNDays(
                Int.random(in: 1...5, using: &rng), start: day.adding(days: Int.random(in: -3...3, using: &rng)))
        }
    }
}

extension Array {
    func ifEmpty(_ replacement: [Element]) -> [Element] { isEmpty ? replacement : self }
}

@Suite struct StreakPropertyTests {
    @Test func calculatorAgreesWithReferenceOnRandomHistories() {
        let seed = SeededGenerator.seed("streak property")
        var rng = SeededGenerator(seed: seed)
        let base = LocalDay(daysSince1970: 19_723)
        for iteration in 0..<3000 {
            let createdDay = base.adding(days: Int.random(in: 0..<7, using: &rng))
            let length = Int.random(in: 1...60, using: &rng)
            var schedules = ScheduleHistory(ReferenceStreaks.randomSchedule(&rng, around: createdDay), from: createdDay)
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                let from = createdDay.adding(days: Int.random(in: 1...length, using: &rng))
                schedules.change(to: ReferenceStreaks.randomSchedule(&rng, around: from), from: from)
            }
            var kinds: [LocalDay: DayEntry.Kind] = [:]
            for offset in -Int.random(in: 0...3, using: &rng)..<length {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<5: kinds[createdDay.adding(days: offset)] = .completed
                case 5: kinds[createdDay.adding(days: offset)] = .skipped
                default: break
                }
            }
            let today = createdDay.adding(days: Int.random(in: 0...(length + 3), using: &rng))
            let habitID = HabitID.random()
            let entries = kinds.map { day, kind in
                DayEntry(
                    id: .random(), habitID: habitID, day: day, kind: kind, note: "", isImported: false,
                    recordedAt: Date(timeIntervalSince1970: 0))
            }
            let actual = StreakCalculator(schedules: schedules, createdDay: createdDay)
                .streaks(entries: entries.shuffled(using: &rng), today: today)
            let expected = ReferenceStreaks.streaks(
                changes: schedules.changes, createdDay: createdDay, entries: kinds, today: today)
            guard actual.current == expected.current, actual.best == expected.best, actual.best >= actual.current
            else {
                Issue.record(
                    """
                    seed \(seed) iteration \(iteration): calculator \(actual.current)/\(actual.best), \
                    reference \(expected.current)/\(expected.best); schedules \(schedules.changes), created \
                    \(createdDay), today \(today), entries \(kinds.sorted { $0.key < $1.key })
                    """)
                return
            }
        }
    }

    @Test func randomUseOfTheServicesKeepsTheBooksExact() async throws {
        // Random completes, backdates, skips, undos, redemptions and day changes: the character always equals
        // the ledger sums, HP stays within 1...max, streaks match the reference, and an undone completion's
        // rows net to zero XP and coins.
        let seed = SeededGenerator.seed("service property")
        var rng = SeededGenerator(seed: seed)
        for round in 0..<40 {
            let harness = try await Harness(user: "user-\(round)")
            var habits: [HabitID] = []
            for index in 0..<3 {
                habits.append(
                    try await harness.newHabit(
                        "h\(index)", difficulty: Difficulty.allCases.randomElement(using: &rng) ?? .easy,
                        schedule: ReferenceStreaks.randomSchedule(&rng, around: Harness.day(1))))
            }
            let reward = try await harness.character.createReward(harness.user, name: "treat", priceCentiCoins: 150)
            var dayNumber = 1
            for _ in 0..<60 {
                let habit = habits.randomElement(using: &rng) ?? habits[0]
                let day = Harness.day(max(1, dayNumber - Int.random(in: 0...3, using: &rng)))
                do {
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0..<4: _ = try await harness.completions.complete(harness.user, habit, day: day)
                    case 4: _ = try await harness.completions.skip(harness.user, habit, day: day)
                    case 5, 6: _ = try await harness.completions.undo(harness.user, habit, day: day)
                    case 7: _ = try await harness.character.redeem(harness.user, reward.id)
                    default:
                        dayNumber += Int.random(in: 1...2, using: &rng)
                        harness.goTo(dayNumber)
                    }
                } catch {
                    // Refusals are part of random use; they must change nothing, which the checks below verify.
                    let refusals: [HabitError.Code] = [.alreadyExists, .notFound, .failedPrecondition]
                    guard refusals.contains(error.code) else { throw error }
                }
            }
            let stats = try await harness.stats()
            let ledger = try await harness.character.ledger(harness.user, pageSize: 100)
            var all = ledger.items
            var token = ledger.nextPageToken
            while let next = token {
                let page = try await harness.character.ledger(harness.user, pageSize: 100, pageToken: next)
                all += page.items
                token = page.nextPageToken
            }
            let totals = all.reduce(Award.zero) { $0 + $1.amount }
            #expect(totals.xp == stats.totalXP && totals.centiCoins == stats.centiCoins, "seed \(seed) round \(round)")
            #expect((1...500).contains(stats.hpTenths), "seed \(seed) round \(round)")
            let byCompletion = Dictionary(grouping: all.filter { $0.completionID != nil }, by: { $0.completionID })
            for rows in byCompletion.values where rows.contains(where: { $0.kind == .completionReversal }) {
                let net = rows.reduce(Award.zero) { $0 + $1.amount }
                #expect(net.xp == 0 && net.centiCoins == 0, "seed \(seed) round \(round): undo is exact")
            }
            for id in habits {
                let habit = try await harness.habits.get(harness.user, id)
                let entries = try await harness.completions.list(
                    harness.user, id, from: Harness.day(1), through: Harness.day(200))
                let expected = ReferenceStreaks.streaks(
                    changes: habit.schedules.changes, createdDay: habit.createdDay,
                    entries: Dictionary(uniqueKeysWithValues: entries.map { ($0.day, $0.kind) }), today: stats.today)
                let actual = try await harness.streak(id)
                #expect(
                    actual.current == expected.current && actual.best == expected.best, "seed \(seed) round \(round)")
            }
        }
    }
}
