import Foundation
import HabitAPI
import RPCClient
import RPCCore
import Testing

/// Two habit-server processes over one real Redis enforce one quota per user.
@Suite("quotas across servers", .serialized)
struct SharedQuotaTests {
    @Test("a user's write allowance is shared by two servers, and a call over it is not executed")
    func twoServersShareOneQuota() async throws {
        let redisURL = try #require(
            ProcessInfo.processInfo.environment["HABIT_TEST_REDIS_URL"], "make test exports HABIT_TEST_REDIS_URL")
        let quota = [
            "HABIT_REDIS_URL": redisURL, "HABIT_QUOTA_POLICIES": "write=3/1h:3", "HABIT_QUOTA_INSTANCES": "2",
            // Debug builds of two servers beside the rest of the suite: a 25 ms check can time out and
            // fall back to each server's local share, which is not what this test is about.
            "HABIT_QUOTA_CHECK_TIMEOUT_MS": "2000",
        ]
        let first = try await ServerProcess.start(environment: quota)
        let second = try await ServerProcess.start(environment: quota)
        let firstClient = try first.client()
        let secondClient = try second.client()
        do {
            // A user name no earlier run has charged: the quota keys live in the shared Redis.
            let user = try await tokenOptions("quota-\(UUID().uuidString)")
            let clients = [HabitServiceClient(transport: firstClient), HabitServiceClient(transport: secondClient)]
            func create(_ index: Int) async throws {
                var request = CreateHabitRequest()
                request.name = "Habit \(index)"
                request.difficulty = .easy
                var schedule = Schedule()
                schedule.kind = .everyDay(Schedule.EveryDay())
                request.schedule = schedule
                _ = try await clients[index % 2].createHabit(request, options: user)
            }
            for index in 0..<3 { try await create(index) }

            let rejection = try #require(await errorOf { try await create(3) })
            #expect(rejection.code == .resourceExhausted)
            #expect(rejection.isNotProcessed)
            #expect(rejection.metadata.firstText("quota-class") == "write")
            #expect(rejection.metadata.firstText("quota-remaining") == "0")
            let retryAfter = try #require(rejection.metadata.firstText("retry-after-ms").flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 1_200_000)

            // Reads have their own class, and the refused write was never executed (each server may keep
            // its own store, so look at both).
            var names = Set<String>()
            for client in clients {
                names.formUnion(try await client.listHabits(ListHabitsRequest(), options: user).habits.map(\.name))
            }
            #expect(names == ["Habit 0", "Habit 1", "Habit 2"])
        } catch {
            Issue.record("unexpected error: \(error)\nfirst server log:\n\(first.log)\nsecond server log:\n\(second.log)")
        }
        await firstClient.close()
        await secondClient.close()
        await first.stop()
        await second.stop()
    }
}
