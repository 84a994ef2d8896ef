import Foundation
import HabitAPI
import RPCClient
import RPCCore
import Testing

/// Two habit-server processes over one PostgreSQL and one Redis behave as one service (issue #7, scale-out);
/// the shared quotas are `SharedQuotaTests`, on the same ``ServerPair``.
@Suite("scale-out: two servers, one database", .serialized)
struct ScaleOutTests {
    @Test("a journey alternating between two servers sees one state, and an idempotency key replays on the other server")
    func alternatingJourney() async throws {
        try await ServerPair.run { pair in
            let user = try await tokenOptions("scale-\(UUID().uuidString)")
            let habits = pair.clients.map { HabitServiceClient(transport: $0) }
            let completions = pair.clients.map { CompletionServiceClient(transport: $0) }
            let characters = pair.clients.map { CharacterServiceClient(transport: $0) }

            let readID = try #require(try await habits[0].createHabit(.daily("Read", difficulty: .medium), options: user).habit?.id)
            var get = GetHabitRequest()
            get.habitId = readID
            #expect(try await habits[1].getHabit(get, options: user).habit?.name == "Read")

            // A retry of the same request on the other server returns the original outcome and pays nothing.
            var complete = CompleteHabitRequest()
            complete.habitId = readID
            complete.idempotencyKey = "scale-1"
            let done = try await completions[0].completeHabit(complete, options: user)
            let retried = try await completions[1].completeHabit(complete, options: user)
            #expect(!done.replayed)
            #expect(retried.replayed)
            #expect(retried.completion == done.completion)
            #expect(retried.award == done.award)
            #expect(retried.character == done.character)
            var otherKey = complete
            otherKey.idempotencyKey = "scale-2"
            #expect(await errorOf { _ = try await completions[1].completeHabit(otherKey, options: user) }?.code == .alreadyExists)

            // The same key on both servers at once: one completion and one award, the same answer twice.
            let walkID = try #require(try await habits[1].createHabit(.daily("Walk"), options: user).habit?.id)
            var race = CompleteHabitRequest()
            race.habitId = walkID
            race.idempotencyKey = "scale-race"
            async let onFirst = completions[0].completeHabit(race, options: user)
            async let onSecond = completions[1].completeHabit(race, options: user)
            let raced = try await [onFirst, onSecond]
            #expect(raced.filter { !$0.replayed }.count == 1)
            #expect(raced[0].completion == raced[1].completion)
            #expect(raced[0].award == raced[1].award)
            #expect(raced[0].character == raced[1].character)

            // Every read on either server shows the same two completions and what they paid, once each.
            let paidXP = (done.award?.xp ?? 0) + (raced[0].award?.xp ?? 0)
            var from = LocalDate()
            (from.year, from.month, from.day) = (2000, 1, 1)
            var list = ListCompletionsRequest()
            list.fromDate = from
            var streak = GetStreakRequest()
            streak.habitId = readID
            for index in pair.clients.indices {
                let character = try #require(try await characters[index].getCharacter(GetCharacterRequest(), options: user).character)
                #expect(character.lifetimeXp == paidXP)
                #expect(character.stats?.coinsCenti == raced[0].character?.coinsCenti)
                let listed = try await completions[index].listCompletions(list, options: user) { responses in
                    var all: [Completion] = []
                    for try await batch in responses { all += batch.completions }
                    return all
                }
                #expect(Set(listed.map(\.habitId)) == [readID, walkID])
                #expect(listed.count == 2)
                #expect(try await completions[index].getStreak(streak, options: user).streak?.current == 1)
            }
        }
    }
}
