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
        try await ServerPair.run(environment: ["HABIT_QUOTA_POLICIES": "write=3/1h:3"]) { pair in
            // A user name no earlier run has charged: the quota keys live in the shared Redis.
            let user = try await tokenOptions("quota-\(UUID().uuidString)")
            let clients = pair.clients.map { HabitServiceClient(transport: $0) }
            func create(_ index: Int) async throws {
                _ = try await clients[index % 2].createHabit(.daily("Habit \(index)"), options: user)
            }
            for index in 0..<3 { try await create(index) }

            let rejection = try #require(await errorOf { try await create(3) })
            #expect(rejection.code == .resourceExhausted)
            #expect(rejection.isNotProcessed)
            #expect(rejection.metadata.firstText("quota-class") == "write")
            #expect(rejection.metadata.firstText("quota-remaining") == "0")
            let retryAfter = try #require(rejection.metadata.firstText("retry-after-ms").flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 1_200_000)

            // Reads have their own class, and the refused write was never executed: both servers see the
            // same three habits in the one database.
            for client in clients {
                let names = try await client.listHabits(ListHabitsRequest(), options: user).habits.map(\.name)
                #expect(names == ["Habit 0", "Habit 1", "Habit 2"])
            }
        }
    }
}
