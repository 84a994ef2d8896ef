import Foundation
public import HabitCore

/// The behaviour every `HabitStore` adapter must show, runnable against any store.
///
/// Each check makes its own store with `makeStore` and its own random users, so checks may share one database.
/// A failed check throws `ContractViolation`; call each from a `@Test` in the adapter's tests, for example
/// `@Test(arguments: HabitStoreContractSuite.Check.allCases) func contract(_ check: ...) async throws {
/// try await suite.run(check) }`.
///
/// Instants in the records used here are whole seconds; the domain itself only stores whole milliseconds.
public struct HabitStoreContractSuite: Sendable {
    /// One contract check.
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        // Each case names what it checks; see the private function of the same name.
        case userRoundTrip, habitRoundTrip, entryRoundTripAndRanges, onePerHabitPerDay, idempotencyRecords,
            ledgerAppendOnlyAndOrdered, rolloverCompareAndSet, usersDueForRollover, perUserIsolation,
            rollbackOnError, transactionsOfOneUserSerialize, firstTransactionsOfANewUserSerialize,
            concurrentCompletionsSumExactly, pagination,
            deleteHabitCascadesToEntriesOnly, committedUserReadsCommittedRowsOnly, saveUserAppendingLedger,
            habitWithEntries, committedActiveHabitsReadCommittedRowsOnly

        /// The check's name.
        public var description: String { rawValue }
    }

    /// A contract check failed: what was expected and where.
    public struct ContractViolation: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    private let makeStore: @Sendable () async throws -> any HabitStore

    /// A suite that gets a store for each check from `makeStore`.
    public init(makeStore: @escaping @Sendable () async throws -> any HabitStore) {
        self.makeStore = makeStore
    }

    /// Runs one check against a fresh store from the factory.
    public func run(_ check: Check) async throws {
        let store = try await makeStore()
        switch check {
        case .userRoundTrip: try await userRoundTrip(store)
        case .habitRoundTrip: try await habitRoundTrip(store)
        case .entryRoundTripAndRanges: try await entryRoundTripAndRanges(store)
        case .onePerHabitPerDay: try await onePerHabitPerDay(store)
        case .idempotencyRecords: try await idempotencyRecords(store)
        case .ledgerAppendOnlyAndOrdered: try await ledgerAppendOnlyAndOrdered(store)
        case .rolloverCompareAndSet: try await rolloverCompareAndSet(store)
        case .usersDueForRollover: try await usersDueForRollover(store)
        case .perUserIsolation: try await perUserIsolation(store)
        case .rollbackOnError: try await rollbackOnError(store)
        case .transactionsOfOneUserSerialize: try await transactionsOfOneUserSerialize(store)
        case .firstTransactionsOfANewUserSerialize: try await firstTransactionsOfANewUserSerialize(store)
        case .concurrentCompletionsSumExactly: try await concurrentCompletionsSumExactly(store)
        case .pagination: try await pagination(store)
        case .deleteHabitCascadesToEntriesOnly: try await deleteHabitCascadesToEntriesOnly(store)
        case .committedUserReadsCommittedRowsOnly: try await committedUserReadsCommittedRowsOnly(store)
        case .saveUserAppendingLedger: try await saveUserAppendingLedger(store)
        case .habitWithEntries: try await habitWithEntries(store)
        case .committedActiveHabitsReadCommittedRowsOnly: try await committedActiveHabitsReadCommittedRowsOnly(store)
        }
    }

    // MARK: - Checks

    private func userRoundTrip(_ store: any HabitStore) async throws {
        let user = try Fixture.newUser()
        let record = Fixture.userRecord(user)
        let missing = try await store.withUserTransaction(user) { try await $0.loadUser() }
        try expect(missing == nil, "an unknown user loads as nil")
        try await store.withUserTransaction(user) { try await $0.saveUser(record) }
        try expect(try await load(store, user) == record, "a saved user loads back equal")
        var changed = record
        changed.settings = UserSettings(displayName: "Zoë ✓", timeZoneID: "Asia/Tokyo", dayStartMinutes: 1439)
        changed.character = CharacterState(xp: -5, centiCoins: -12_345, hpTenths: 1, highestLevel: 7, deaths: 3)
        changed.nextOrdinal = 42
        changed.lastClosedDay = record.lastClosedDay.adding(days: 30)
        changed.nextRolloverAt = record.nextRolloverAt.addingTimeInterval(86_400 * 30)
        try await store.withUserTransaction(user) { try await $0.saveUser(changed) }
        var expected = changed
        expected.lastClosedDay = record.lastClosedDay
        expected.nextRolloverAt = record.nextRolloverAt
        try expect(
            try await load(store, user) == expected,
            "saveUser updates settings, character and ordinal but never the rollover watermark")
    }

    private func habitRoundTrip(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        var habit = Fixture.habit(ordinal: 1)
        try await store.withUserTransaction(user) { try await $0.insertHabit(habit) }
        try expect(
            try await store.withUserTransaction(user) { try await $0.habit(habit.id) } == habit,
            "a habit with a multi-entry schedule history loads back equal")
        habit.name = "renamed"
        habit.difficulty = .trivial
        habit.isArchived = true
        habit.schedules.change(to: .timesPerWeek(3), from: Fixture.day.adding(days: 20))
        let updated = habit
        try await store.withUserTransaction(user) { try await $0.updateHabit(updated) }
        try expect(
            try await store.withUserTransaction(user) { try await $0.habit(updated.id) } == updated,
            "updateHabit replaces every field")
        try await expectCode(.alreadyExists, "inserting a habit id twice") {
            try await store.withUserTransaction(user) { try await $0.insertHabit(updated) }
        }
        try await expectCode(.notFound, "updating an unknown habit") {
            try await store.withUserTransaction(user) { try await $0.updateHabit(Fixture.habit(ordinal: 2)) }
        }
        try expect(try await store.withUserTransaction(user) { try await $0.habitCount() } == 1, "habitCount")
    }

    private func entryRoundTripAndRanges(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let first = Fixture.habit(ordinal: 1)
        let second = Fixture.habit(ordinal: 2)
        let day = Fixture.day
        let entries = [
            Fixture.entry(second, day, .completed),
            Fixture.entry(first, day, .skipped, note: "sick 🤒"),
            Fixture.entry(first, day.adding(days: 1), .completed, imported: true),
            Fixture.entry(first, day.adding(days: -400), .completed),
        ]
        try await store.withUserTransaction(user) { transaction in
            try await transaction.insertHabit(first)
            try await transaction.insertHabit(second)
            for entry in entries { try await transaction.insertEntry(entry) }
        }
        let all = try await store.withUserTransaction(user) {
            try await $0.entries(habit: nil, from: nil, through: nil)
        }
        try expect(all == [entries[3], entries[1], entries[0], entries[2]], "all entries sort by day, then ordinal")
        let firstOnly = try await store.withUserTransaction(user) {
            try await $0.entries(habit: first.id, from: day, through: day.adding(days: 1))
        }
        try expect(firstOnly == [entries[1], entries[2]], "a habit's range is inclusive at both ends")
        let upTo = try await store.withUserTransaction(user) {
            try await $0.entries(habit: nil, from: nil, through: day.adding(days: -1))
        }
        try expect(upTo == [entries[3]], "an open start reaches back any distance")
        let deleted = try await store.withUserTransaction(user) { try await $0.deleteEntry(habit: first.id, day: day) }
        try expect(deleted == entries[1], "deleteEntry returns the removed entry")
        let again = try await store.withUserTransaction(user) { try await $0.deleteEntry(habit: first.id, day: day) }
        try expect(again == nil, "deleting a missing entry returns nil")
    }

    private func onePerHabitPerDay(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let habit = Fixture.habit(ordinal: 1)
        let original = Fixture.entry(habit, Fixture.day, .completed)
        try await store.withUserTransaction(user) { transaction in
            try await transaction.insertHabit(habit)
            try await transaction.insertEntry(original)
        }
        try await expectCode(.alreadyExists, "a second entry for the same habit and day") {
            try await store.withUserTransaction(user) {
                try await $0.insertEntry(Fixture.entry(habit, Fixture.day, .skipped))
            }
        }
        let stored = try await store.withUserTransaction(user) {
            try await $0.entries(habit: habit.id, from: nil, through: nil)
        }
        try expect(stored == [original], "the first entry survives a duplicate insert")
        _ = try await store.withUserTransaction(user) { try await $0.deleteEntry(habit: habit.id, day: Fixture.day) }
        let replacement = Fixture.entry(habit, Fixture.day, .skipped)
        try await store.withUserTransaction(user) { try await $0.insertEntry(replacement) }
        let replaced = try await store.withUserTransaction(user) {
            try await $0.entries(habit: habit.id, from: nil, through: nil)
        }
        try expect(replaced == [replacement], "after a delete the day can be written again")
    }

    private func idempotencyRecords(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let other = try await Fixture.savedUser(store)
        let habit = Fixture.habit(ordinal: 1)
        let completion = IdempotencyRecord(
            key: "key-1", requestFingerprint: "completed \(habit.id) today",
            outcome: .completion(
                CompletionOutcome(
                    entry: Fixture.entry(habit, Fixture.day, .completed),
                    award: Award(xp: 10, centiCoins: 101, hpTenths: 20), streak: StreakSummary(current: 2, best: 9))),
            recordedAt: Fixture.instant)
        let redemption = IdempotencyRecord(
            key: "key-2", requestFingerprint: "redeem",
            outcome: .redemption(RedemptionOutcome(rewardID: .random(), priceCentiCoins: 500, ledgerSequence: 7)),
            recordedAt: Fixture.instant)
        try await store.withUserTransaction(user) { transaction in
            try await transaction.insertIdempotencyRecord(completion)
            try await transaction.insertIdempotencyRecord(redemption)
        }
        let loaded = try await store.withUserTransaction(user) {
            [try await $0.idempotencyRecord(key: "key-1"), try await $0.idempotencyRecord(key: "key-2")]
        }
        try expect(loaded == [completion, redemption], "idempotency records round-trip with their outcomes")
        try await expectCode(.alreadyExists, "reusing an idempotency key") {
            try await store.withUserTransaction(user) { try await $0.insertIdempotencyRecord(completion) }
        }
        try await store.withUserTransaction(other) { try await $0.insertIdempotencyRecord(completion) }
        let missing = try await store.withUserTransaction(user) { try await $0.idempotencyRecord(key: "key-3") }
        try expect(missing == nil, "an unknown key loads as nil; keys are per user")
    }

    private func ledgerAppendOnlyAndOrdered(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let habit = HabitID.random()
        let rows = [
            LedgerEntry(
                kind: .completionAward, amount: Award(xp: 10, centiCoins: 102, hpTenths: 20), habitID: habit,
                day: Fixture.day, completionID: .random(), recordedAt: Fixture.instant),
            LedgerEntry(
                kind: .redemption, amount: Award(centiCoins: -500), rewardID: .random(), recordedAt: Fixture.instant),
            LedgerEntry(
                kind: .missedDamage, amount: Award(hpTenths: -40), habitID: habit, day: Fixture.day.adding(days: 1),
                recordedAt: Fixture.instant),
        ]
        let firstBatch = try await store.withUserTransaction(user) { try await $0.appendLedger(rows) }
        let secondBatch = try await store.withUserTransaction(user) {
            try await $0.appendLedger([
                LedgerEntry(
                    kind: .deathPenalty, amount: Award(xp: -25, centiCoins: -9, hpTenths: 500),
                    recordedAt: Fixture.instant),
                LedgerEntry(kind: .levelUpHeal, amount: Award(hpTenths: 3), recordedAt: Fixture.instant),
            ])
        }
        let all = firstBatch + secondBatch
        try expect(
            zip(all, all.dropFirst()).allSatisfy { $0.sequence < $1.sequence }, "sequences strictly increase")
        try expect(
            zip(firstBatch, rows).allSatisfy { numbered, row in
                var unnumbered = numbered
                unnumbered.sequence = row.sequence
                return unnumbered == row
            }, "appended rows come back unchanged apart from their sequence")
        let listed = try await store.withUserTransaction(user) { try await $0.ledger(afterSequence: nil, limit: 100) }
        try expect(listed == all, "the ledger lists every row in append order")
        let page = try await store.withUserTransaction(user) {
            try await $0.ledger(afterSequence: all[1].sequence, limit: 2)
        }
        try expect(page == [all[2], all[3]], "ledger pages start after the given sequence and honour the limit")
        let aboutDay = try await store.withUserTransaction(user) {
            try await $0.ledger(habit: habit, day: Fixture.day)
        }
        try expect(aboutDay == [all[0]], "rows about one habit and day")
    }

    private func rolloverCompareAndSet(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let start = Fixture.day
        let later = Fixture.instant.addingTimeInterval(86_400)
        let first = try await store.withUserTransaction(user) {
            try await $0.advanceRollover(expected: start, to: start.adding(days: 2), nextRolloverAt: later)
        }
        try expect(first, "a compare-and-set with the stored watermark succeeds")
        let stale = try await store.withUserTransaction(user) {
            try await $0.advanceRollover(expected: start, to: start.adding(days: 3), nextRolloverAt: Fixture.instant)
        }
        try expect(!stale, "a second compare-and-set with the stale watermark fails")
        let loaded = try await load(store, user)
        try expect(
            loaded?.lastClosedDay == start.adding(days: 2) && loaded?.nextRolloverAt == later,
            "the failed compare-and-set changed nothing")
        let refresh = try await store.withUserTransaction(user) {
            try await $0.advanceRollover(
                expected: start.adding(days: 2), to: start.adding(days: 2), nextRolloverAt: Fixture.instant)
        }
        try expect(refresh, "a compare-and-set to the same day refreshes nextRolloverAt")
        try expect(try await load(store, user)?.nextRolloverAt == Fixture.instant, "nextRolloverAt refreshed")
        let unknown = try Fixture.newUser()
        let missing = try await store.withUserTransaction(unknown) {
            try await $0.advanceRollover(expected: start, to: start, nextRolloverAt: later)
        }
        try expect(!missing, "a compare-and-set on an unknown user fails")
    }

    private func usersDueForRollover(_ store: any HabitStore) async throws {
        // Far-future instants keep this check apart from other checks' users in a shared database.
        let base = Date(timeIntervalSince1970: 4_000_000_000 + TimeInterval(Int.random(in: 0..<1_000_000) * 100))
        var users: [UserID] = []
        for offset in [30, 10, 20, 90] {
            let user = try Fixture.newUser()
            var record = Fixture.userRecord(user)
            record.nextRolloverAt = base.addingTimeInterval(TimeInterval(offset))
            try await store.withUserTransaction(user) { try await $0.saveUser(record) }
            users.append(user)
        }
        let due = try await store.usersDueForRollover(at: base.addingTimeInterval(30), limit: 1000)
        let mine = due.filter(users.contains)
        try expect(mine == [users[1], users[2], users[0]], "due users come earliest first, boundary included")
        let limited = try await store.usersDueForRollover(at: base.addingTimeInterval(30), limit: 1)
        try expect(limited.count == 1, "the limit holds")
    }

    private func perUserIsolation(_ store: any HabitStore) async throws {
        let owner = try await Fixture.savedUser(store)
        let intruder = try await Fixture.savedUser(store)
        let habit = Fixture.habit(ordinal: 1)
        let reward = Reward(id: .random(), ordinal: 2, name: "tea", priceCentiCoins: 100, createdAt: Fixture.instant)
        try await store.withUserTransaction(owner) { transaction in
            try await transaction.insertHabit(habit)
            try await transaction.insertEntry(Fixture.entry(habit, Fixture.day, .completed))
            try await transaction.insertReward(reward)
            _ = try await transaction.appendLedger([
                LedgerEntry(
                    kind: .completionAward, amount: Award(xp: 1), habitID: habit.id, day: Fixture.day,
                    recordedAt: Fixture.instant)
            ])
        }
        try await store.withUserTransaction(intruder) { transaction in
            try expect(try await transaction.habit(habit.id) == nil, "another user's habit is not found")
            try expect(
                try await transaction.habits(afterOrdinal: nil, limit: 10, includeArchived: true).isEmpty,
                "another user's habits are not listed")
            try expect(try await transaction.habitCount() == 0, "another user's habits are not counted")
            try expect(
                try await transaction.entries(habit: habit.id, from: nil, through: nil).isEmpty,
                "another user's entries are not listed")
            try expect(try await transaction.reward(reward.id) == nil, "another user's reward is not found")
            try expect(try await transaction.ledger(afterSequence: nil, limit: 10).isEmpty, "ledgers are per user")
            try expect(
                try await transaction.ledger(habit: habit.id, day: Fixture.day).isEmpty, "ledgers are per user")
            try expect(try await transaction.deleteEntry(habit: habit.id, day: Fixture.day) == nil, "no foreign delete")
            try expect(!(try await transaction.deleteHabit(habit.id)), "another user's habit cannot be deleted")
        }
        try await expectCode(.notFound, "updating another user's habit") {
            try await store.withUserTransaction(intruder) { try await $0.updateHabit(habit) }
        }
        let intact = try await store.withUserTransaction(owner) {
            (try await $0.habit(habit.id), try await $0.entries(habit: habit.id, from: nil, through: nil).count)
        }
        try expect(intact.0 == habit && intact.1 == 1, "the owner's data is intact")
    }

    private func rollbackOnError(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let before = try await load(store, user)
        let habit = Fixture.habit(ordinal: 1)
        do {
            try await store.withUserTransaction(user) { transaction in
                try await transaction.insertHabit(habit)
                try await transaction.insertEntry(Fixture.entry(habit, Fixture.day, .completed))
                _ = try await transaction.appendLedger([
                    LedgerEntry(kind: .missedDamage, amount: Award(hpTenths: -20), recordedAt: Fixture.instant)
                ])
                var changed = Fixture.userRecord(user)
                changed.character.hpTenths = 1
                try await transaction.saveUser(changed)
                _ = try await transaction.advanceRollover(
                    expected: Fixture.day, to: Fixture.day.adding(days: 5), nextRolloverAt: Fixture.instant)
                throw HabitError(.aborted, "body failed")
            }
            throw ContractViolation(description: "the body's error was swallowed")
        } catch let error as HabitError where error == HabitError(.aborted, "body failed") {
            // The body's own error comes back unchanged.
        }
        let after = try await store.withUserTransaction(user) { transaction in
            (
                try await transaction.loadUser(), try await transaction.habit(habit.id),
                try await transaction.entries(habit: nil, from: nil, through: nil).count,
                try await transaction.ledger(afterSequence: nil, limit: 10).count
            )
        }
        try expect(after.0 == before, "a thrown body leaves the user row as it was")
        try expect(after.1 == nil && after.2 == 0 && after.3 == 0, "a thrown body persists nothing")
    }

    private func transactionsOfOneUserSerialize(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let increments = 24
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<increments {
                group.addTask {
                    try await store.withUserTransaction(user) { transaction in
                        guard var record = try await transaction.loadUser() else {
                            throw ContractViolation(description: "user vanished")
                        }
                        await Task.yield()
                        record.nextOrdinal += 1
                        try await transaction.saveUser(record)
                    }
                }
            }
            try await group.waitForAll()
        }
        let final = try await load(store, user)
        try expect(
            final?.nextOrdinal == Fixture.userRecord(user).nextOrdinal + Int64(increments),
            "read-modify-write transactions of one user never lose an update")
    }

    private func firstTransactionsOfANewUserSerialize(_ store: any HabitStore) async throws {
        // The lock must hold before the user row exists: concurrent first calls of a new user provision it once.
        let user = try Fixture.newUser()
        let tasks = 8
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    try await store.withUserTransaction(user) { transaction in
                        var record = try await transaction.loadUser() ?? Fixture.userRecord(user)
                        await Task.yield()
                        record.nextOrdinal += 1
                        try await transaction.saveUser(record)
                    }
                }
            }
            try await group.waitForAll()
        }
        try expect(
            try await load(store, user)?.nextOrdinal == Fixture.userRecord(user).nextOrdinal + Int64(tasks),
            "concurrent first transactions of a new user serialize")
    }

    private func concurrentCompletionsSumExactly(_ store: any HabitStore) async throws {
        let environment = HabitEnvironment(store: store, clock: FixedClock(Fixture.instant))
        let habits = HabitService(environment: environment)
        let completions = CompletionService(environment: environment)
        let user = try Fixture.newUser()
        var ids: [HabitID] = []
        for index in 0..<8 { ids.append(try await habits.create(user, .init(name: "habit \(index)")).id) }
        let created = ids
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in created {
                group.addTask { _ = try await completions.complete(user, id, idempotencyKey: "k-\(id)") }
                group.addTask { _ = try await completions.complete(user, id, idempotencyKey: "k-\(id)") }
            }
            try await group.waitForAll()
        }
        let character = try await CharacterService(environment: environment).get(user)
        try expect(
            character.totalXP == 80 && character.centiCoins == 800,
            "8 habits completed concurrently (each twice with one key) pay exactly 8 awards")
        let duplicates = await withTaskGroup(of: HabitError.Code?.self) { group in
            for index in 0..<4 {
                group.addTask {
                    do {
                        _ = try await completions.complete(user, created[0], idempotencyKey: "other-\(index)")
                        return nil
                    } catch let error as HabitError {
                        return error.code
                    } catch {
                        return .internalError
                    }
                }
            }
            return await group.reduce(into: [HabitError.Code?]()) { $0.append($1) }
        }
        try expect(
            duplicates.allSatisfy { $0 == .alreadyExists }, "a completed day refuses other keys: \(duplicates)")
        let ledger = try await CharacterService(environment: environment).ledger(user, pageSize: 100)
        try expect(ledger.items.count == 8, "one ledger row per completion")
    }

    private func pagination(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        try await store.withUserTransaction(user) { transaction in
            for ordinal in 1...7 {
                var habit = Fixture.habit(ordinal: Int64(ordinal * 10))
                habit.isArchived = ordinal.isMultiple(of: 3)
                try await transaction.insertHabit(habit)
                try await transaction.insertReward(
                    Reward(
                        id: .random(), ordinal: Int64(ordinal * 10 + 1), name: "r\(ordinal)", priceCentiCoins: 1,
                        createdAt: Fixture.instant))
            }
        }
        let pages = try await store.withUserTransaction(user) { transaction in
            (
                try await transaction.habits(afterOrdinal: nil, limit: 3, includeArchived: true).map(\.ordinal),
                try await transaction.habits(afterOrdinal: 30, limit: 3, includeArchived: true).map(\.ordinal),
                try await transaction.habits(afterOrdinal: 20, limit: 10, includeArchived: false).map(\.ordinal),
                try await transaction.rewards(afterOrdinal: 41, limit: 2).map(\.ordinal),
                try await transaction.rewards(afterOrdinal: 71, limit: 2).map(\.ordinal)
            )
        }
        try expect(pages.0 == [10, 20, 30], "first habit page")
        try expect(pages.1 == [40, 50, 60], "habit page after an ordinal")
        try expect(pages.2 == [40, 50, 70], "archived habits are left out unless asked for")
        try expect(pages.3 == [51, 61], "reward page")
        try expect(pages.4.isEmpty, "past the end is empty")
    }

    private func deleteHabitCascadesToEntriesOnly(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let habit = Fixture.habit(ordinal: 1)
        try await store.withUserTransaction(user) { transaction in
            try await transaction.insertHabit(habit)
            try await transaction.insertEntry(Fixture.entry(habit, Fixture.day, .completed))
            _ = try await transaction.appendLedger([
                LedgerEntry(
                    kind: .completionAward, amount: Award(xp: 10), habitID: habit.id, day: Fixture.day,
                    recordedAt: Fixture.instant)
            ])
        }
        let deleted = try await store.withUserTransaction(user) { try await $0.deleteHabit(habit.id) }
        try expect(deleted, "deleteHabit reports an existing habit")
        let after = try await store.withUserTransaction(user) { transaction in
            (
                try await transaction.habit(habit.id),
                try await transaction.entries(habit: nil, from: nil, through: nil),
                try await transaction.ledger(afterSequence: nil, limit: 10).count,
                try await transaction.deleteHabit(habit.id)
            )
        }
        try expect(after.0 == nil && after.1.isEmpty, "the habit and its entries are gone")
        try expect(after.2 == 1, "ledger rows stay")
        try expect(!after.3, "deleting again reports false")
    }

    private func committedUserReadsCommittedRowsOnly(_ store: any HabitStore) async throws {
        let unknown = try Fixture.newUser()
        try expect(try await store.committedUser(unknown) == nil, "an unknown user reads as nil")
        try expect(try await load(store, unknown) == nil, "reading a user never provisions them")
        let user = try await Fixture.savedUser(store)
        let record = Fixture.userRecord(user)
        try expect(try await store.committedUser(user) == record, "the committed row reads back equal")
        var changed = record
        changed.character.xp += 7
        try await expectCode(.aborted, "a failing body") {
            try await store.withUserTransaction(user) { transaction in
                try await transaction.saveUser(changed)
                throw HabitError(.aborted, "rolled back on purpose")
            }
        }
        try expect(try await store.committedUser(user) == record, "a rolled-back write is never read")
        try await store.withUserTransaction(user) { try await $0.saveUser(changed) }
        try expect(try await store.committedUser(user) == changed, "a committed write is read at once")
    }

    private func saveUserAppendingLedger(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let earlier = try await store.withUserTransaction(user) {
            try await $0.appendLedger([
                LedgerEntry(kind: .redemption, amount: Award(centiCoins: -5), rewardID: .random(), recordedAt: Fixture.instant)
            ])
        }
        var changed = Fixture.userRecord(user)
        changed.character.xp += 30
        changed.nextOrdinal += 1
        let rows = [
            LedgerEntry(
                kind: .completionAward, amount: Award(xp: 30, centiCoins: 150), habitID: .random(), day: Fixture.day,
                completionID: .random(), recordedAt: Fixture.instant),
            LedgerEntry(kind: .levelUpHeal, amount: Award(hpTenths: 20), recordedAt: Fixture.instant),
        ]
        let (before, appended, after) = try await store.withUserTransaction(user) { transaction in
            let before = try await transaction.loadUser()
            let appended = try await transaction.saveUser(changed, appendingLedger: rows)
            return (before, appended, try await transaction.loadUser())
        }
        try expect(before == Fixture.userRecord(user), "the first load of a transaction reads the stored row")
        try expect(after == changed, "a load after the write in the same transaction sees the write")
        try expect(try await load(store, user) == changed, "the user row is saved")
        let sequences = (earlier + appended).map(\.sequence)
        try expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 }, "the appended rows number on")
        let listed = try await store.withUserTransaction(user) { try await $0.ledger(afterSequence: nil, limit: 10) }
        try expect(listed == earlier + appended, "the ledger lists the appended rows in order")
        let onlySaved = try await store.withUserTransaction(user) { transaction in
            try await transaction.saveUser(Fixture.userRecord(user), appendingLedger: [])
        }
        try expect(onlySaved.isEmpty, "no rows, nothing appended")
        try expect(try await load(store, user) == Fixture.userRecord(user), "the user row is saved without rows too")
    }

    private func habitWithEntries(_ store: any HabitStore) async throws {
        let user = try await Fixture.savedUser(store)
        let other = try await Fixture.savedUser(store)
        let habit = Fixture.habit(ordinal: 1)
        let bare = Fixture.habit(ordinal: 2)
        let day = Fixture.day
        let entries = [
            Fixture.entry(habit, day.adding(days: 2), .completed, note: "late ✓"),
            Fixture.entry(habit, day, .skipped),
            Fixture.entry(habit, day.adding(days: -400), .completed, imported: true),
        ]
        try await store.withUserTransaction(user) { transaction in
            try await transaction.insertHabit(habit)
            try await transaction.insertHabit(bare)
            for entry in entries { try await transaction.insertEntry(entry) }
        }
        let found = try await store.withUserTransaction(user) { try await $0.habitWithEntries(habit.id) }
        try expect(found?.habit == habit, "the habit reads back equal")
        try expect(found?.entries == [entries[2], entries[1], entries[0]], "its entries come oldest first")
        let empty = try await store.withUserTransaction(user) { try await $0.habitWithEntries(bare.id) }
        try expect(empty?.habit == bare && empty?.entries == [], "a habit without entries comes with none")
        let missing = try await store.withUserTransaction(user) { try await $0.habitWithEntries(.random()) }
        try expect(missing == nil, "an unknown habit is nil")
        let foreign = try await store.withUserTransaction(other) { try await $0.habitWithEntries(habit.id) }
        try expect(foreign == nil, "another user's habit is not found")
    }

    private func committedActiveHabitsReadCommittedRowsOnly(_ store: any HabitStore) async throws {
        let unknown = try Fixture.newUser()
        try expect(try await store.committedActiveHabits(unknown).isEmpty, "an unknown user has no habits")
        try expect(try await load(store, unknown) == nil, "reading habits never provisions the user")
        let user = try await Fixture.savedUser(store)
        let other = try await Fixture.savedUser(store)
        let second = Fixture.habit(ordinal: 2)
        let first = Fixture.habit(ordinal: 1)
        let bare = Fixture.habit(ordinal: 3)
        var archived = Fixture.habit(ordinal: 4)
        archived.isArchived = true
        let day = Fixture.day
        let entries = [
            Fixture.entry(second, day, .completed), Fixture.entry(first, day.adding(days: 1), .skipped, note: "rest"),
            Fixture.entry(first, day, .completed), Fixture.entry(archived, day, .completed),
        ]
        try await store.withUserTransaction(user) { transaction in
            for habit in [second, first, bare, archived] { try await transaction.insertHabit(habit) }
            for entry in entries { try await transaction.insertEntry(entry) }
        }
        try await store.withUserTransaction(other) { try await $0.insertHabit(Fixture.habit(ordinal: 1)) }
        let expected = [(first, [entries[2], entries[1]]), (second, [entries[0]]), (bare, [])]
        let read = try await store.committedActiveHabits(user)
        try expect(
            read.map(\.habit) == expected.map(\.0), "unarchived habits by ordinal, the user's own only")
        try expect(read.map(\.entries) == expected.map(\.1), "each with its own entries, oldest first")
        try await expectCode(.aborted, "a failing body") {
            try await store.withUserTransaction(user) { transaction in
                try await transaction.insertEntry(Fixture.entry(bare, day, .completed))
                throw HabitError(.aborted, "rolled back on purpose")
            }
        }
        try expect(
            try await store.committedActiveHabits(user).map(\.entries) == expected.map(\.1),
            "a rolled-back entry is never read")
        let committed = Fixture.entry(bare, day, .completed)
        try await store.withUserTransaction(user) { try await $0.insertEntry(committed) }
        try expect(
            try await store.committedActiveHabits(user).last?.entries == [committed], "a committed entry is read at once")
    }

    // MARK: - Helpers

    private func load(_ store: any HabitStore, _ user: UserID) async throws -> UserRecord? {
        try await store.withUserTransaction(user) { try await $0.loadUser() }
    }

    private func expect(_ condition: Bool, _ message: String) throws {
        guard condition else { throw ContractViolation(description: message) }
    }

    private func expectCode(
        _ code: HabitError.Code, _ what: String, _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
        } catch let error as HabitError where error.code == code {
            return
        } catch {
            throw ContractViolation(description: "\(what): expected \(code), got \(error)")
        }
        throw ContractViolation(description: "\(what): expected \(code), but it succeeded")
    }
}

/// Sample data for the contract checks.
enum Fixture {
    static let instant = Date(timeIntervalSince1970: 1_717_200_000)
    static let day = LocalDay(daysSince1970: 19_875)

    static func newUser() throws -> UserID { try UserID("contract-\(UUID().uuidString)") }

    static func userRecord(_ user: UserID) -> UserRecord {
        UserRecord(
            id: user, settings: UserSettings(displayName: "Tester", timeZoneID: "Europe/Berlin", dayStartMinutes: 240),
            character: CharacterState(xp: 40, centiCoins: 250, hpTenths: 480, highestLevel: 2, deaths: 0),
            nextOrdinal: 100, lastClosedDay: day, nextRolloverAt: instant, createdAt: instant)
    }

    static func savedUser(_ store: any HabitStore) async throws -> UserID {
        let user = try newUser()
        let record = userRecord(user)
        try await store.withUserTransaction(user) { try await $0.saveUser(record) }
        return user
    }

    static func habit(ordinal: Int64) -> Habit {
        var schedules = ScheduleHistory(.weekdays(WeekdaySet([.monday, .wednesday, .friday])), from: day)
        schedules.change(to: .everyNDays(3, start: day.adding(days: 10)), from: day.adding(days: 10))
        return Habit(
            id: .random(), ordinal: ordinal, name: "Stretch \(ordinal)", notes: "10 minutes\nno excuses",
            difficulty: .hard,
            schedules: schedules, createdDay: day, createdAt: instant, isArchived: false)
    }

    static func entry(
        _ habit: Habit, _ day: LocalDay, _ kind: DayEntry.Kind, note: String = "", imported: Bool = false
    ) -> DayEntry {
        DayEntry(
            id: .random(), habitID: habit.id, day: day, kind: kind, note: note, isImported: imported,
            recordedAt: instant)
    }
}
