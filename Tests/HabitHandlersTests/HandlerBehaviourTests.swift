import HabitAPI
import RPCCore
import Testing

@Suite("Handlers")
struct HandlerBehaviourTests {
    @Test("complete, replay by idempotency key, streak, character, redeem, ledger and completion streams")
    func journey() async throws {
        try await HabitTestServer.run { server in
            let alice = try await server.options("alice")
            let habitID = try #require(try await server.habits.createHabit(dailyHabit("Read"), options: alice).habit?.id)
            var complete = CompleteHabitRequest()
            complete.habitId = habitID
            complete.idempotencyKey = "k1"
            let first = try await server.completions.completeHabit(complete, options: alice)
            #expect(first.replayed == false)
            #expect((first.award?.xp ?? 0) > 0)
            #expect(first.streak?.current == 1)
            let retry = try await server.completions.completeHabit(complete, options: alice)
            #expect(retry.replayed == true)
            #expect(retry.completion == first.completion)
            #expect(retry.character?.coinsCenti == first.character?.coinsCenti)

            var again = complete
            again.idempotencyKey = "k2"
            #expect(await statusCode { _ = try await server.completions.completeHabit(again, options: alice) } == .alreadyExists)

            var reward = CreateRewardRequest()
            reward.name = "Tea"
            reward.priceCoinsCenti = 10
            let rewardID = try #require(try await server.characters.createReward(reward, options: alice).reward?.id)
            var redeem = RedeemRewardRequest()
            redeem.rewardId = rewardID
            redeem.idempotencyKey = "r1"
            let redeemed = try await server.characters.redeemReward(redeem, options: alice)
            #expect(redeemed.entry?.kind == .rewardRedemption)
            #expect(redeemed.entry?.coinsCentiDelta == -10)
            #expect(redeemed.entry?.coinsCentiBalance == redeemed.character?.coinsCenti)

            let ledger = try await server.characters.listLedger(ListLedgerRequest(), options: alice) { responses in
                var entries: [LedgerEntry] = []
                for try await batch in responses { entries += batch.entries }
                return entries
            }
            #expect(ledger.map(\.kind) == [.completionAward, .rewardRedemption])
            #expect(ledger.map(\.sequence) == [1, 2])

            let imported = try await server.completions.importCompletions(options: alice) { writer in
                for day in 1...3 {
                    var entry = ImportCompletionsRequest()
                    entry.habitId = habitID
                    var date = LocalDate()
                    (date.year, date.month, date.day) = (2024, 3, Int32(day))
                    entry.localDate = date
                    try await writer.write(entry)
                }
                var invalid = ImportCompletionsRequest()
                invalid.habitId = habitID
                var date = LocalDate()
                (date.year, date.month, date.day) = (2024, 2, 30)
                invalid.localDate = date
                try await writer.write(invalid)
            }
            #expect(imported.imported == 3)
            #expect(imported.rejected.map(\.index) == [3])
            #expect(imported.rejected.map(\.reason) == [.invalidDate])

            var list = ListCompletionsRequest()
            var from = LocalDate()
            (from.year, from.month, from.day) = (2024, 1, 1)
            list.fromDate = from
            list.batchSize = 2
            let batches = try await server.completions.listCompletions(list, options: alice) { responses in
                var sizes: [Int] = []
                for try await batch in responses { sizes.append(batch.completions.count) }
                return sizes
            }
            #expect(batches == [2, 2])
        }
    }

    @Test("malformed ids and dates are INVALID_ARGUMENT naming the field")
    func invalidArguments() async throws {
        try await HabitTestServer.run { server in
            let alice = try await server.options("alice")
            var get = GetHabitRequest()
            get.habitId = "not-a-uuid"
            let error = await errorOf { _ = try await server.habits.getHabit(get, options: alice) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("habit_id") == true)
            var create = dailyHabit("x")
            create.schedule = nil
            #expect(await statusCode { _ = try await server.habits.createHabit(create, options: alice) } == .invalidArgument)
        }
    }
}
