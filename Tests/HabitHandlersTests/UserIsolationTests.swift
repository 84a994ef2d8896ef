import HabitAPI
import RPCCore
import Testing

/// For every method of every authenticated service: user B can neither read nor change user A's habits,
/// completions, rewards or character. Another user's id is NOT_FOUND (the domain does not reveal that it
/// exists); lists and the character only ever show the caller's own data.
@Suite("User isolation")
struct UserIsolationTests {
    @Test("user B cannot read or change anything of user A through any method")
    func everyMethodIsScopedToTheCaller() async throws {
        try await HabitTestServer.run { server in
            let alice = try await server.options("alice")
            let bob = try await server.options("bob")

            // Alice's data: a completed habit, some coins, a reward she can afford.
            let habit = try await server.habits.createHabit(dailyHabit("Read"), options: alice).habit
            let habitID = try #require(habit?.id)
            var complete = CompleteHabitRequest()
            complete.habitId = habitID
            complete.idempotencyKey = "alice-1"
            _ = try await server.completions.completeHabit(complete, options: alice)
            var newReward = CreateRewardRequest()
            newReward.name = "Coffee"
            newReward.priceCoinsCenti = 1
            let rewardID = try #require(try await server.characters.createReward(newReward, options: alice).reward?.id)
            let aliceBefore = try await server.characters.getCharacter(GetCharacterRequest(), options: alice)

            // HabitService.
            var get = GetHabitRequest()
            get.habitId = habitID
            #expect(await statusCode { _ = try await server.habits.getHabit(get, options: bob) } == .notFound)
            #expect(try await server.habits.listHabits(ListHabitsRequest(), options: bob).habits.isEmpty)
            var update = UpdateHabitRequest()
            update.habitId = habitID
            update.name = "Stolen"
            #expect(await statusCode { _ = try await server.habits.updateHabit(update, options: bob) } == .notFound)
            var archive = ArchiveHabitRequest()
            archive.habitId = habitID
            archive.archived = true
            #expect(await statusCode { _ = try await server.habits.archiveHabit(archive, options: bob) } == .notFound)
            var delete = DeleteHabitRequest()
            delete.habitId = habitID
            #expect(await statusCode { _ = try await server.habits.deleteHabit(delete, options: bob) } == .notFound)
            let bobsHabit = try await server.habits.createHabit(dailyHabit("Run"), options: bob).habit
            #expect(try await server.habits.listHabits(ListHabitsRequest(), options: alice).habits.map(\.id) == [habitID])
            #expect(bobsHabit?.id != habitID)

            // CompletionService.
            var bobComplete = complete
            bobComplete.idempotencyKey = "bob-1"
            #expect(await statusCode { _ = try await server.completions.completeHabit(bobComplete, options: bob) } == .notFound)
            var replayWithAlicesKey = complete
            replayWithAlicesKey.habitId = habitID
            #expect(
                await statusCode { _ = try await server.completions.completeHabit(replayWithAlicesKey, options: bob) }
                    == .notFound)
            var undo = UndoCompletionRequest()
            undo.habitId = habitID
            #expect(await statusCode { _ = try await server.completions.undoCompletion(undo, options: bob) } == .notFound)
            var skip = SkipDayRequest()
            skip.habitId = habitID
            #expect(await statusCode { _ = try await server.completions.skipDay(skip, options: bob) } == .notFound)
            var streak = GetStreakRequest()
            streak.habitId = habitID
            #expect(await statusCode { _ = try await server.completions.getStreak(streak, options: bob) } == .notFound)
            var listTheirs = ListCompletionsRequest()
            listTheirs.habitIds = [habitID]
            #expect(
                await statusCode {
                    _ = try await server.completions.listCompletions(listTheirs, options: bob) { responses in
                        for try await _ in responses {}
                    }
                } == .notFound)
            let bobsOwn = try await server.completions.listCompletions(ListCompletionsRequest(), options: bob) { responses in
                var count = 0
                for try await batch in responses { count += batch.completions.count }
                return count
            }
            #expect(bobsOwn == 0)
            let imported = try await server.completions.importCompletions(options: bob) { writer in
                var entry = ImportCompletionsRequest()
                entry.habitId = habitID
                var date = LocalDate()
                (date.year, date.month, date.day) = (2024, 1, 1)
                entry.localDate = date
                try await writer.write(entry)
            }
            #expect(imported.imported == 0)
            #expect(imported.rejected.map(\.reason) == [.unknownHabit])
            let bobsAttempt = bobComplete
            let synced = try await server.completions.syncCompletions(
                options: bob,
                requests: { writer in
                    var request = SyncCompletionsRequest()
                    request.clientSequence = 7
                    request.action = .complete(bobsAttempt)
                    try await writer.write(request)
                },
                responses: { responses in
                    var all: [SyncCompletionsResponse] = []
                    for try await response in responses { all.append(response) }
                    return all
                })
            #expect(synced.map(\.clientSequence) == [7])
            guard case .error(let failure)? = synced.first?.result else {
                Issue.record("sync with another user's habit must fail, got \(synced)")
                return
            }
            #expect(failure.code == Int32(RPCError.Code.notFound.rawValue))

            // CharacterService.
            let bobCharacter = try await server.characters.getCharacter(GetCharacterRequest(), options: bob).character
            #expect(bobCharacter?.lifetimeXp == 0)
            #expect(bobCharacter?.stats?.coinsCenti == 0)
            var rename = UpdateCharacterRequest()
            rename.displayName = "Bob"
            _ = try await server.characters.updateCharacter(rename, options: bob)
            #expect(try await server.characters.listRewards(ListRewardsRequest(), options: bob).rewards.isEmpty)
            var redeem = RedeemRewardRequest()
            redeem.rewardId = rewardID
            #expect(await statusCode { _ = try await server.characters.redeemReward(redeem, options: bob) } == .notFound)
            let bobLedger = try await server.characters.listLedger(ListLedgerRequest(), options: bob) { responses in
                var count = 0
                for try await batch in responses { count += batch.entries.count }
                return count
            }
            #expect(bobLedger == 0)

            // Alice's data is exactly as she left it.
            let aliceAfter = try await server.characters.getCharacter(GetCharacterRequest(), options: alice)
            #expect(aliceAfter == aliceBefore)
            let aliceHabit = try await server.habits.getHabit(get, options: alice)
            #expect(aliceHabit.habit == habit)
            #expect(aliceHabit.streak?.current == 1)
            #expect(try await server.characters.listRewards(ListRewardsRequest(), options: alice).rewards.map(\.id) == [rewardID])
        }
    }
}
