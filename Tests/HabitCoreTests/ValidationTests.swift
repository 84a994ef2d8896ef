import Foundation
import HabitCore
import HabitCoreTesting
import Testing

@Suite struct ValidationTests {
    @Test func habitFieldsAreChecked() async throws {
        let harness = try await Harness()
        await expectError(.invalidArgument) { try await harness.newHabit("   ") }
        await expectError(.invalidArgument) { try await harness.newHabit(String(repeating: "x", count: 101)) }
        await expectError(.invalidArgument) { try await harness.newHabit("bell\u{7}") }
        await expectError(.invalidArgument) { try await harness.newHabit("two\nlines") }
        await expectError(.invalidArgument) { try await harness.newHabit(schedule: .timesPerWeek(8)) }
        await expectError(.invalidArgument) { try await harness.newHabit(schedule: .weekdays(WeekdaySet([]))) }
        await expectError(.invalidArgument) {
            try await harness.newHabit(schedule: .everyNDays(0, start: Harness.day(1)))
        }
        await expectError(.invalidArgument) {
            try await harness.habits.create(harness.user, .init(name: "n", notes: String(repeating: "y", count: 2001)))
        }
        let habit = try await harness.habits.create(harness.user, .init(name: "  Read 📚  "))
        #expect(habit.name == "Read 📚" && habit.createdDay == Harness.day(1) && habit.ordinal == 1)
        #expect(try await harness.habitCountIsBounded())
    }

    @Test func anotherUsersHabitIsNotFound() async throws {
        let harness = try await Harness()
        let habit = try await harness.newHabit()
        let mallory = try UserID("mallory")
        await expectError(.notFound) { try await harness.habits.get(mallory, habit) }
        await expectError(.notFound) { try await harness.completions.complete(mallory, habit) }
        await expectError(.notFound) { try await harness.completions.undo(mallory, habit) }
        await expectError(.notFound) { try await harness.habits.delete(mallory, habit) }
        await expectError(.notFound) {
            try await harness.habits.update(mallory, habit, .init(name: "mine now"))
        }
        await expectError(.notFound) { try await harness.completions.streak(mallory, HabitID.random()) }
        #expect(try await harness.habits.get(harness.user, habit).name == "habit")
        await expectError(.invalidArgument) { try HabitID(parsing: "not-a-uuid") }
        await expectError(.invalidArgument) { try UserID("") }
    }

    @Test func settingsAreChecked() async throws {
        let harness = try await Harness()
        await expectError(.invalidArgument) {
            try await harness.character.updateSettings(harness.user, .init(timeZoneID: "Mars/Base"))
        }
        await expectError(.invalidArgument) {
            try await harness.character.updateSettings(harness.user, .init(dayStartMinutes: 1440))
        }
        await expectError(.invalidArgument) {
            try await harness.character.updateSettings(harness.user, .init(displayName: ""))
        }
        let view = try await harness.character.updateSettings(
            harness.user, .init(displayName: "Zoë", timeZoneID: "Europe/Paris", dayStartMinutes: 240))
        #expect(view.settings == UserSettings(displayName: "Zoë", timeZoneID: "Europe/Paris", dayStartMinutes: 240))
        #expect((view.level, view.hpTenths, view.maxHPTenths, view.centiCoins) == (1, 500, 500, 0))
    }

    @Test func completionInputsAreChecked() async throws {
        let harness = try await Harness()
        let habit = try await harness.newHabit()
        await expectError(.invalidArgument) {
            try await harness.completions.complete(harness.user, habit, idempotencyKey: "")
        }
        await expectError(.invalidArgument) {
            try await harness.completions.complete(harness.user, habit, note: String(repeating: "n", count: 501))
        }
        await expectError(.invalidArgument) {
            try await harness.completions.list(harness.user, habit, from: Harness.day(2), through: Harness.day(1))
        }
        await expectError(.invalidArgument) {
            try await harness.completions.list(harness.user, habit, from: Harness.day(1), through: Harness.day(367))
        }
        await expectError(.invalidArgument) {
            try await harness.completions.importHistory(
                harness.user, habit,
                days: Array(repeating: .init(day: Harness.day(1)), count: CompletionService.maxImportDays + 1))
        }
        await expectError(.notFound) { try await harness.completions.undo(harness.user, habit) }
        #expect(try await harness.stats().totalXP == 0)
    }

    @Test func habitsPageInCreationOrder() async throws {
        let harness = try await Harness()
        var created: [HabitID] = []
        for index in 0..<7 { created.append(try await harness.newHabit("h\(index)")) }
        _ = try await harness.habits.setArchived(harness.user, created[2], true)
        var seen: [HabitID] = []
        var token = ""
        repeat {
            let page = try await harness.habits.list(harness.user, pageSize: 2, pageToken: token)
            #expect(page.items.count <= 2)
            seen += page.items.map(\.id)
            token = page.nextPageToken ?? ""
        } while !token.isEmpty
        #expect(seen == created.enumerated().filter { $0.offset != 2 }.map(\.element))
        let withArchived = try await harness.habits.list(harness.user, pageSize: 100, includeArchived: true)
        #expect(withArchived.items.map(\.id) == created && withArchived.nextPageToken == nil)
        await expectError(.invalidArgument) { try await harness.habits.list(harness.user, pageToken: "abc") }
        await expectError(.invalidArgument) { try await harness.habits.list(harness.user, pageSize: -1) }
        try await harness.habits.delete(harness.user, created[0])
        await expectError(.notFound) { try await harness.habits.get(harness.user, created[0]) }
    }

    @Test func rewardsShop() async throws {
        let harness = try await Harness()
        await expectError(.invalidArgument) {
            try await harness.character.createReward(harness.user, name: "free", priceCentiCoins: 0)
        }
        let tea = try await harness.character.createReward(harness.user, name: "tea", priceCentiCoins: 150)
        let cake = try await harness.character.createReward(harness.user, name: "cake", priceCentiCoins: 5000)
        #expect(try await harness.character.listRewards(harness.user).items == [tea, cake])
        await expectError(.failedPrecondition) { try await harness.character.redeem(harness.user, tea.id) }
        await expectError(.notFound) { try await harness.character.redeem(harness.user, RewardID.random()) }
        try await harness.complete(try await harness.newHabit("a", difficulty: .hard))
        let first = try await harness.character.redeem(harness.user, tea.id, idempotencyKey: "buy-1")
        let retry = try await harness.character.redeem(harness.user, tea.id, idempotencyKey: "buy-1")
        #expect(first == retry && first.priceCentiCoins == 150)
        #expect(try await harness.stats().centiCoins == 50)
        await expectError(.invalidArgument) {
            try await harness.character.redeem(harness.user, cake.id, idempotencyKey: "buy-1")
        }
        let ledger = try await harness.character.ledger(harness.user).items
        #expect(ledger.map(\.kind) == [.completionAward, .redemption])
        #expect(ledger.last?.sequence == first.ledgerSequence)
    }
}

extension Harness {
    /// With a limit of 2 habits, the third is refused.
    func habitCountIsBounded() async throws -> Bool {
        var rules = HabitRules()
        rules.maxHabitsPerUser = 2
        let small = try await Harness(rules: rules, user: "bounded")
        _ = try await small.newHabit("1")
        _ = try await small.newHabit("2")
        do {
            _ = try await small.newHabit("3")
            return false
        } catch let error as HabitError {
            return error.code == .failedPrecondition
        }
    }
}
