import Foundation
import HabitCore
import HabitCoreTesting
import Testing

@Suite struct CompletionRulesTests {
    @Test func retriedKeyReplaysAndOtherKeyIsAlreadyExists() async throws {
        // Pitfall 2.
        let harness = try await Harness()
        let habit = try await harness.newHabit()
        let (first, isFirstReplayed) = try await harness.completions.completeNotingReplay(
            harness.user, habit, idempotencyKey: "A")
        let (retry, isRetryReplayed) = try await harness.completions.completeNotingReplay(
            harness.user, habit, idempotencyKey: "A")
        #expect(retry == first)
        #expect(!isFirstReplayed && isRetryReplayed)
        #expect(first.award == Award(xp: 10, centiCoins: 100))
        #expect(first.streak == StreakSummary(current: 1, best: 1))
        await expectError(.alreadyExists) {
            try await harness.completions.complete(harness.user, habit, idempotencyKey: "B")
        }
        await expectError(.invalidArgument) {
            try await harness.completions.skip(harness.user, habit, idempotencyKey: "A")
        }
        let stats = try await harness.stats()
        #expect(stats.totalXP == 10 && stats.centiCoins == 100)
        let entries = try await harness.completions.list(
            harness.user, habit, from: Harness.day(1), through: Harness.day(1))
        #expect(entries.count == 1)
        // After an undo the key still replays its original outcome; completing again needs a new key.
        _ = try await harness.completions.undo(harness.user, habit)
        #expect(try await harness.completions.complete(harness.user, habit, idempotencyKey: "A") == first)
        #expect(try await harness.stats().totalXP == 0)
    }

    @Test func concurrentCompletionsOfOneDayPayOnce() async throws {
        let harness = try await Harness()
        let habit = try await harness.newHabit()
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<10 {
                group.addTask {
                    (try? await harness.completions.complete(harness.user, habit, idempotencyKey: "key-\(index)"))
                        != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count { $0 } == 1)
        #expect(try await harness.stats().totalXP == 10)
    }

    @Test func backdatingPaysFromThatDaysStreakAndLeavesLaterRowsAlone() async throws {
        // Pitfall 3.
        let harness = try await Harness()
        let habit = try await harness.newHabit()
        for n in [1, 2, 4, 5] {
            harness.goTo(n)
            try await harness.complete(habit)
        }
        let before = try await harness.character.ledger(harness.user, pageSize: 100).items
        let backdate = try await harness.complete(habit, day: 3)
        #expect(backdate.award.centiCoins == 102 && backdate.award.xp == 10)
        #expect(backdate.streak == StreakSummary(current: 5, best: 5))
        let after = try await harness.character.ledger(harness.user, pageSize: 100).items
        #expect(Array(after.prefix(before.count)) == before)
        let awards = after.filter { $0.kind == .completionAward }.map { ($0.day, $0.amount.centiCoins) }
        #expect(awards.map(\.1) == [100, 101, 100, 101, 102])
        harness.goTo(12)
        await expectError(.invalidArgument) { try await harness.complete(habit, day: 4) }  // 8 days back
        await expectError(.invalidArgument) { try await harness.complete(habit, day: 13) }  // future
        harness.goTo(5)
        let late = try await harness.newHabit("late")
        await expectError(.invalidArgument) { try await harness.complete(late, day: 4) }  // before creation
        #expect(try await harness.stats().totalXP == 50)
    }

    @Test func undoDelevelsExactly() async throws {
        // Pitfall 4: 20 XP, a hard completion (+20) reaches level 2 with 15 into it; undo goes back to 20.
        let harness = try await Harness()
        for name in ["a", "b"] { try await harness.complete(try await harness.newHabit(name)) }
        let hard = try await harness.newHabit("hard", difficulty: .hard)
        try await harness.complete(hard)
        var stats = try await harness.stats()
        #expect((stats.totalXP, stats.level, stats.xpIntoLevel, stats.xpForLevel) == (40, 2, 15, 50))
        let undo = try await harness.completions.undo(harness.user, hard)
        #expect(undo.reversed == Award(xp: -20, centiCoins: -200))
        stats = try await harness.stats()
        #expect((stats.totalXP, stats.level, stats.xpIntoLevel) == (20, 1, 20))
        await expectError(.notFound) { try await harness.completions.undo(harness.user, hard) }
    }

    @Test func spentCoinsGoNegativeOnUndoAndCyclesNeverMint() async throws {
        // Pitfall 4: coins 100, complete (+100) = 200, spend 200 = 0, undo = -100, complete again = 0.
        let harness = try await Harness()
        try await harness.complete(try await harness.newHabit("first"))
        let habit = try await harness.newHabit("second")
        try await harness.complete(habit)
        let reward = try await harness.character.createReward(harness.user, name: "cake", priceCentiCoins: 200)
        _ = try await harness.character.redeem(harness.user, reward.id)
        #expect(try await harness.stats().centiCoins == 0)
        _ = try await harness.completions.undo(harness.user, habit)
        #expect(try await harness.stats().centiCoins == -100)
        await expectError(.failedPrecondition) { try await harness.character.redeem(harness.user, reward.id) }
        try await harness.complete(habit)
        #expect(try await harness.stats().centiCoins == 0)
        for _ in 0..<10 {
            _ = try await harness.completions.undo(harness.user, habit)
            try await harness.complete(habit)
        }
        let stats = try await harness.stats()
        #expect(stats.centiCoins == 0 && stats.totalXP == 20)
        let totals = try await harness.ledgerTotals()
        #expect(totals.centiCoins == 0 && totals.xp == 20)
    }

    @Test func skipOnACompletedDayAndUndoOfASkip() async throws {
        let harness = try await Harness()
        let habit = try await harness.newHabit()
        try await harness.complete(habit)
        await expectError(.alreadyExists) { try await harness.completions.skip(harness.user, habit) }
        _ = try await harness.completions.undo(harness.user, habit)
        let skip = try await harness.completions.skip(harness.user, habit, note: "rest day")
        #expect(skip.award == .zero && skip.entry.kind == .skipped && skip.entry.note == "rest day")
        let undo = try await harness.completions.undo(harness.user, habit)
        #expect(undo.reversed == .zero && undo.removed.kind == .skipped)
    }

    @Test func editingTheScheduleNeverRewritesPastDays() async throws {
        // Pitfall 10: weekdays D1-D9 (weekend D6/D7 off), changed to daily on D10: still 7, not 2.
        let harness = try await Harness()
        let habit = try await harness.newHabit(
            schedule: .weekdays(WeekdaySet([.monday, .tuesday, .wednesday, .thursday, .friday])))
        for n in [1, 2, 3, 4, 5, 8, 9] {
            harness.goTo(n)
            try await harness.complete(habit)
        }
        harness.goTo(10)
        let before = try await harness.streak(habit)
        let edited = try await harness.habits.update(harness.user, habit, .init(schedule: .daily))
        #expect(edited.schedules.changes.map(\.effectiveFrom) == [Harness.day(1), Harness.day(10)])
        #expect(try await harness.streak(habit) == before)
        #expect(before == StreakSummary(current: 7, best: 7))
        harness.goTo(12)
        #expect(try await harness.streak(habit).current == 0)  // D10 and D11 are due now and missed
    }

    @Test func fourHundredDayStreak() async throws {
        // Pitfall 10: no one-year window, no lossy history.
        let harness = try await Harness()
        let habit = try await harness.newHabit()
        let days = (0..<400).map { CompletionService.ImportedDay(day: Harness.day(1).adding(days: -$0)) }
        let imported = try await harness.completions.importHistory(harness.user, habit, days: days + days.prefix(3))
        #expect(imported.imported == 400 && imported.duplicates == 3)
        #expect(imported.streak == StreakSummary(current: 400, best: 400))
        #expect(try await harness.stats().totalXP == 0)  // imports pay nothing
        await expectError(.invalidArgument) {
            try await harness.completions.importHistory(
                harness.user, habit, days: [.init(day: Harness.day(2))])
        }
        await expectError(.invalidArgument) {
            try await harness.completions.importHistory(
                harness.user, habit, days: [.init(day: Harness.day(1).adding(days: -3661))])
        }
    }
}

@Suite struct TimeZoneScenarioTests {
    @Test func dstSpringForwardDayCountsAsOneDay() async throws {
        // Pitfall 6.
        let harness = try await Harness(zone: "America/New_York")
        try harness.goTo(instant: "2024-03-09T17:00:00Z")
        let habit = try await harness.newHabit()
        try await harness.complete(habit)
        try harness.goTo(instant: "2024-03-10T16:00:00Z")
        try await harness.complete(habit)
        try harness.goTo(instant: "2024-03-11T16:00:00Z")
        let third = try await harness.complete(habit)
        #expect(third.streak == StreakSummary(current: 3, best: 3))
        #expect(third.entry.day.description == "2024-03-11")
    }

    @Test func dstFallBackDayIsOneDay() async throws {
        let harness = try await Harness(zone: "America/New_York")
        try harness.goTo(instant: "2024-11-02T16:00:00Z")
        let habit = try await harness.newHabit()
        try harness.goTo(instant: "2024-11-03T04:30:00Z")  // 00:30 EDT
        #expect(try await harness.complete(habit).entry.day.description == "2024-11-03")
        try harness.goTo(instant: "2024-11-04T04:30:00Z")  // 23:30 EST, same local day
        await expectError(.alreadyExists) { try await harness.complete(habit) }
    }

    @Test func rolloverRunsOnceAcrossTheRepeatedHour() async throws {
        let harness = try await Harness(zone: "America/New_York")
        try harness.goTo(instant: "2024-11-01T16:00:00Z")
        _ = try await harness.newHabit()
        try harness.goTo(instant: "2024-11-03T05:30:00Z")  // 01:30 EDT
        let first = try await harness.rollover.rollOver(harness.user)
        #expect(first?.closedThrough.description == "2024-11-02")
        #expect(first?.damageTenths == 20)
        try harness.goTo(instant: "2024-11-03T06:30:00Z")  // 01:30 EST
        #expect(try await harness.rollover.rollOver(harness.user) == nil)
        #expect(try await harness.stats().hpTenths == 480)
    }

    @Test func travelWestNeverClosesADayTwice() async throws {
        // Pitfall 7: Berlin -> New York right after the Berlin rollover.
        let harness = try await Harness(zone: "Europe/Berlin")
        try harness.goTo(instant: "2024-05-31T10:00:00Z")
        let habit = try await harness.newHabit()
        try await harness.complete(habit)
        try harness.goTo(instant: "2024-06-01T10:00:00Z")
        try await harness.complete(habit)
        try harness.goTo(instant: "2024-06-01T22:05:00Z")  // 00:05 CEST on 06-02
        #expect(try await harness.rollover.rollOver(harness.user)?.closedThrough.description == "2024-06-01")
        let moved = try await harness.character.updateSettings(harness.user, .init(timeZoneID: "America/New_York"))
        #expect(moved.today.description == "2024-06-01" && moved.lastClosedDay.description == "2024-06-01")
        try harness.goTo(instant: "2024-06-02T04:00:00Z")  // 00:00 EDT on 06-02
        #expect(try await harness.rollover.rollOver(harness.user) == nil)
        try harness.goTo(instant: "2024-06-03T04:00:00Z")  // 00:00 EDT on 06-03
        let report = try await harness.rollover.rollOver(harness.user)
        #expect(report?.closedFrom.description == "2024-06-02" && report?.closedThrough.description == "2024-06-02")
        #expect(report?.missedHabits == [habit])
        #expect(try await harness.stats().hpTenths == 480)
        let days = try await harness.completions.list(
            harness.user, habit, from: try #require(LocalDay(iso8601: "2024-05-01")), through: Harness.day(200))
        #expect(days.map(\.day.description) == ["2024-05-31", "2024-06-01"])  // never re-zoned
    }

    @Test func travelEastClosesTheSkippedEveningAndABackdateRefundsIt() async throws {
        // Pitfall 7 and 8: New York -> Tokyo; the completion afterwards is a backdate of a closed day.
        let harness = try await Harness(zone: "America/New_York")
        try harness.goTo(instant: "2024-06-09T16:00:00Z")
        let habit = try await harness.newHabit()
        try harness.goTo(instant: "2024-06-11T00:00:00Z")  // 20:00 EDT on 06-10
        let moved = try await harness.character.updateSettings(harness.user, .init(timeZoneID: "Asia/Tokyo"))
        #expect(moved.today.description == "2024-06-11" && moved.lastClosedDay.description == "2024-06-10")
        #expect(moved.hpTenths == 480)
        let evening = try #require(LocalDay(iso8601: "2024-06-10"))
        let late = try await harness.completions.complete(harness.user, habit, day: evening)
        #expect(late.award == Award(xp: 10, centiCoins: 100, hpTenths: 20))
        #expect(try await harness.stats().hpTenths == 500)
        let undo = try await harness.completions.undo(harness.user, habit, day: late.entry.day)
        #expect(undo.reversed == Award(xp: -10, centiCoins: -100, hpTenths: -20))
        #expect(try await harness.stats().hpTenths == 480)
    }

    @Test func dayStartOffsetMovesTheBoundary() async throws {
        // Pitfall 5 through the service: 02:00 belongs to yesterday with a 04:00 day start.
        let harness = try await Harness(zone: "America/Los_Angeles", dayStartMinutes: 240)
        try harness.goTo(instant: "2024-01-14T20:00:00Z")
        let habit = try await harness.newHabit()
        try harness.goTo(instant: "2024-01-15T10:00:00Z")  // 02:00 PST
        #expect(try await harness.complete(habit).entry.day.description == "2024-01-14")
        try harness.goTo(instant: "2024-01-15T12:00:00Z")  // 04:00 PST
        let next = try await harness.complete(habit)
        #expect(next.entry.day.description == "2024-01-15" && next.streak.current == 2)
    }
}
