import Foundation
import Synchronization
import HabitAPI
import RPCClient
import RPCCore
import Testing

/// Drives the real habit-server binary over TCP with the Swift client.
@Suite("habit-server end to end", .serialized)
struct UserJourneyTests {
    @Test(
        "a user's journey: habit, completion, idempotent retry, streak, character, reward, streams",
        arguments: [StoreKind.postgres, .sqlite])
    func journey(on kind: StoreKind) async throws {
        let store = try await kind.fresh()
        defer { store.remove() }
        let server = try await ServerProcess.start(store: store)
        let client = try server.client()
        do {
            #expect(try await server.admin("/health") == (200, "ok\n"))
            #expect(try await server.admin("/ready") == (200, "ready\n"))
            let alice = try await tokenOptions("alice")
            let habits = HabitServiceClient(transport: client)
            let completions = CompletionServiceClient(transport: client)
            let characters = CharacterServiceClient(transport: client)

            var create = CreateHabitRequest()
            create.name = "Stretch"
            create.difficulty = .medium
            var schedule = Schedule()
            schedule.kind = .everyDay(Schedule.EveryDay())
            create.schedule = schedule
            let habitID = try #require(try await habits.createHabit(create, options: alice).habit?.id)

            var complete = CompleteHabitRequest()
            complete.habitId = habitID
            complete.idempotencyKey = "e2e-1"
            let done = try await completions.completeHabit(complete, options: alice)
            let retried = try await completions.completeHabit(complete, options: alice)
            #expect(!done.replayed)
            #expect(retried.replayed)
            #expect(retried.character?.coinsCenti == done.character?.coinsCenti)

            var streakRequest = GetStreakRequest()
            streakRequest.habitId = habitID
            #expect(try await completions.getStreak(streakRequest, options: alice).streak?.current == 1)

            let character = try #require(try await characters.getCharacter(GetCharacterRequest(), options: alice).character)
            #expect(character.lifetimeXp == done.award?.xp)
            #expect(character.streaks?.habitsOnStreak == 1)

            var reward = CreateRewardRequest()
            reward.name = "Sweets"
            reward.priceCoinsCenti = 50
            let rewardID = try #require(try await characters.createReward(reward, options: alice).reward?.id)
            var redeem = RedeemRewardRequest()
            redeem.rewardId = rewardID
            redeem.idempotencyKey = "buy-1"
            let bought = try await characters.redeemReward(redeem, options: alice)
            #expect(bought.character?.coinsCenti == (done.character?.coinsCenti ?? 0) - 50)

            let imported = try await completions.importCompletions(options: alice) { writer in
                for day in 1...5 {
                    var entry = ImportCompletionsRequest()
                    entry.habitId = habitID
                    var date = LocalDate()
                    (date.year, date.month, date.day) = (2025, 6, Int32(day))
                    entry.localDate = date
                    try await writer.write(entry)
                }
            }
            #expect(imported.imported == 5)

            var list = ListCompletionsRequest()
            var from = LocalDate()
            (from.year, from.month, from.day) = (2025, 1, 1)
            list.fromDate = from
            let listed = try await completions.listCompletions(list, options: alice) { responses in
                var all: [Completion] = []
                for try await batch in responses { all += batch.completions }
                return all
            }
            #expect(listed.count == 6)
            #expect(listed.first?.localDate?.day == 1)

            // Refusals: no token, a bad token, an expired token, another user's ids.
            #expect(await errorOf { _ = try await characters.getCharacter(GetCharacterRequest()) }?.code == .unauthenticated)
            let bad = CallOptions(metadata: ["authorization": .text("Bearer not.a.token")])
            #expect(await errorOf { _ = try await characters.getCharacter(GetCharacterRequest(), options: bad) }?.code == .unauthenticated)
            let expired = try await tokenOptions("alice", lifetime: .seconds(1), now: Date().addingTimeInterval(-600))
            #expect(
                await errorOf { _ = try await characters.getCharacter(GetCharacterRequest(), options: expired) }?.code
                    == .unauthenticated)
            let forged = try await tokenOptions("alice", secret: "another-secret-0123456789abcdefghijkl")
            #expect(
                await errorOf { _ = try await characters.getCharacter(GetCharacterRequest(), options: forged) }?.code
                    == .unauthenticated)
            let bob = try await tokenOptions("bob")
            let aliceBefore = try await characters.getCharacter(GetCharacterRequest(), options: alice).character
            #expect(await errorOf { _ = try await completions.getStreak(streakRequest, options: bob) }?.code == .notFound)
            #expect(await errorOf { _ = try await characters.redeemReward(redeem, options: bob) }?.code == .notFound)
            var getHabit = GetHabitRequest()
            getHabit.habitId = habitID
            #expect(await errorOf { _ = try await habits.getHabit(getHabit, options: bob) }?.code == .notFound)
            var bobCompletes = complete
            bobCompletes.idempotencyKey = "bob-1"
            #expect(await errorOf { _ = try await completions.completeHabit(bobCompletes, options: bob) }?.code == .notFound)
            // None of it touched alice: her streak, XP and coins are what they were.
            #expect(try await completions.getStreak(streakRequest, options: alice).streak?.current == 1)
            let aliceAfter = try await characters.getCharacter(GetCharacterRequest(), options: alice).character
            #expect(aliceAfter?.stats == aliceBefore?.stats)
            #expect(aliceAfter?.lifetimeXp == aliceBefore?.lifetimeXp)
            await client.close()
        } catch {
            await client.close()
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("SIGTERM drains: a call in flight finishes, health and /ready report not serving, the process exits 0")
    func sigtermLetsInFlightCallsFinish() async throws {
        let server = try await ServerProcess.start()
        let client = try server.client()
        let alice = try await tokenOptions("alice")
        let completions = CompletionServiceClient(transport: client)
        var create = CreateHabitRequest()
        create.name = "Walk"
        create.difficulty = .easy
        var schedule = Schedule()
        schedule.kind = .everyDay(Schedule.EveryDay())
        create.schedule = schedule
        let habitID = try #require(try await HabitServiceClient(transport: client).createHabit(create, options: alice).habit?.id)

        let recorder = StatusRecorder()
        let watch = Task {
            try await HealthServiceClient(transport: client).watch(HealthWatchRequest()) { responses in
                for try await response in responses { recorder.record(response.status) }
            }
        }
        #expect(await recorder.waitFor(.serving))

        let summary = try await completions.importCompletions(options: alice) { writer in
            func entry(_ day: Int32) -> ImportCompletionsRequest {
                var entry = ImportCompletionsRequest()
                entry.habitId = habitID
                var date = LocalDate()
                (date.year, date.month, date.day) = (2025, 1, day)
                entry.localDate = date
                return entry
            }
            try await writer.write(entry(1))
            server.terminate()
            // The import is still open while the server drains; it must be allowed to finish.
            #expect(await recorder.waitFor(.notServing))
            let ready = try await server.admin("/ready")
            #expect(ready == (503, "not ready: draining\n"))
            try await writer.write(entry(2))
            try await writer.write(entry(3))
        }
        #expect(summary.imported == 3)
        watch.cancel()
        await client.close()
        #expect(try await server.waitForExit() == 0)
        await server.stop()
    }
}

/// The statuses a health watch received.
final class StatusRecorder: Sendable {
    private let statuses = Mutex<[ServingStatus]>([])

    func record(_ status: ServingStatus) { statuses.withLock { $0.append(status) } }

    /// Whether `status` arrives within 30 s (a liveness bound, not a timing assertion).
    func waitFor(_ status: ServingStatus) async -> Bool {
        for _ in 0..<3000 {
            if statuses.withLock({ $0.contains(status) }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}
