import Foundation
import HabitCore
import HabitCoreTesting
import Testing

@Suite struct RolloverTests {
    @Test func concurrentRolloversApplyOnce() async throws {
        // Pitfall 8.
        let harness = try await Harness()
        _ = try await harness.newHabit(difficulty: .hard)
        harness.goTo(3)
        let reports = try await withThrowingTaskGroup(of: RolloverReport?.self) { group in
            for _ in 0..<6 { group.addTask { try await harness.rollover.rollOver(harness.user) } }
            return try await group.reduce(into: [RolloverReport?]()) { $0.append($1) }
        }
        #expect(reports.compactMap { $0 }.count == 1)
        #expect(try await harness.stats().hpTenths == 460)
        let damage = try await harness.character.ledger(harness.user).items.filter { $0.kind == .missedDamage }
        #expect(damage.count == 1)
    }

    @Test func failedCommitPersistsNothingAndTheNextCallAppliesOnce() async throws {
        let harness = try await Harness()
        _ = try await harness.newHabit()
        harness.goTo(3)
        harness.store.setFailsCommits(true)
        await expectError(.unavailable) { try await harness.stats() }
        harness.store.setFailsCommits(false)
        let report = try await harness.rollover.rollOver(harness.user)
        #expect(report?.closedThrough == Harness.day(2) && report?.damageTenths == 20)
        #expect(try await harness.rollover.rollOver(harness.user) == nil)
        let stats = try await harness.stats()
        #expect(stats.hpTenths == 480 && stats.lastClosedDay == Harness.day(2))
        #expect(try await harness.character.ledger(harness.user).items.count { $0.kind == .missedDamage } == 1)
    }

    @Test func deathAppliesItsPenaltyExactlyOnce() async throws {
        // Pitfall 9: 200 tenths per miss, so the third miss kills.
        var rules = HabitRules()
        rules.missedDamageTenths = 200
        let harness = try await Harness(rules: rules)
        let habit = try await harness.newHabit()
        for n in 1...3 {
            harness.goTo(n)
            try await harness.complete(habit)
        }
        harness.goTo(5)
        #expect(try await harness.stats().hpTenths == 300)
        harness.goTo(6)
        #expect(try await harness.stats().hpTenths == 100)
        harness.goTo(7)
        let results = try await withThrowingTaskGroup(of: RolloverReport?.self) { group in
            for _ in 0..<4 { group.addTask { try await harness.rollover.rollOver(harness.user) } }
            return try await group.reduce(into: [RolloverReport?]()) { $0.append($1) }
        }
        #expect(results.compactMap { $0 }.map(\.deaths) == [1])
        var stats = try await harness.stats()
        #expect((stats.deaths, stats.level, stats.totalXP, stats.centiCoins, stats.hpTenths) == (1, 1, 0, 0, 500))
        harness.goTo(8)
        stats = try await harness.stats()
        #expect((stats.deaths, stats.hpTenths) == (1, 300))
        let totals = try await harness.ledgerTotals()
        #expect(totals.xp == stats.totalXP && totals.centiCoins == stats.centiCoins)
    }

    @Test func weeklyHabitsAreChargedPerWeekWithoutRefund() async throws {
        let harness = try await Harness()
        let habit = try await harness.newHabit(schedule: .timesPerWeek(1))
        harness.goTo(7)
        #expect(try await harness.stats().hpTenths == 500)  // the week is still open on Sunday
        harness.goTo(8)
        #expect(try await harness.stats().hpTenths == 480)  // Sunday closed the week short
        let late = try await harness.complete(habit, day: 7)
        #expect(late.award == Award(xp: 10, centiCoins: 100))
        #expect(try await harness.stats().hpTenths == 480)
    }

    @Test func archivedHabitsAreNeverCharged() async throws {
        let harness = try await Harness()
        let habit = try await harness.newHabit()
        _ = try await harness.habits.setArchived(harness.user, habit, true)
        harness.goTo(4)
        #expect(try await harness.stats().hpTenths == 500)
        await expectError(.failedPrecondition) { try await harness.complete(habit) }
    }

    @Test func workerFindsUsersWhoseDayEnded() async throws {
        let harness = try await Harness(zone: "Asia/Tokyo")
        let other = try UserID("bob")
        _ = try await harness.character.updateSettings(other, .init(timeZoneID: "America/Los_Angeles"))
        _ = try await harness.newHabit()
        harness.goTo(2, hour: 1)  // Tokyo's D1 ended; Los Angeles is still on D1
        let pass = try await harness.rollover.rollOverDueUsers(limit: 10)
        #expect(pass.rolledOver.map(\.user) == [harness.user])
        #expect(pass.failures.isEmpty)
        #expect(try await harness.rollover.rollOverDueUsers(limit: 10).rolledOver.isEmpty)
    }
}
