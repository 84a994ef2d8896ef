import Foundation
import HabitAPI
import RPCClient
import RPCCore
import Testing

/// `/metrics` and the call log of the real habit-server binary after a few calls that succeed and fail.
@Suite("habit-server metrics and call log", .serialized)
struct MetricsEndToEndTests {
    @Test("/metrics counts calls by method and status, connections and quota decisions; the log names calls, never tokens")
    func metricsAfterCalls() async throws {
        let store = TestStore.freshSQLite()
        defer { store.remove() }
        let server = try await ServerProcess.start(store: store, environment: ["HABIT_LOG_LEVEL": "trace"])
        let client = try server.client()
        do {
            let options = try await tokenOptions("metrics-\(UUID().uuidString)")
            let token = try #require(options.metadata.firstText("authorization")?.dropFirst("Bearer ".count))
            let habits = HabitServiceClient(transport: client)
            for name in ["Read", "Run"] {
                var create = CreateHabitRequest()
                create.name = name
                create.difficulty = .easy
                var schedule = Schedule()
                schedule.kind = .everyDay(Schedule.EveryDay())
                create.schedule = schedule
                _ = try await habits.createHabit(create, options: options)
            }
            var get = GetHabitRequest()
            get.habitId = UUID().uuidString
            #expect(await errorOf { _ = try await habits.getHabit(get, options: options) }?.code == .notFound)
            #expect(await errorOf { _ = try await habits.listHabits(ListHabitsRequest()) }?.code == .unauthenticated)
            _ = try await HealthServiceClient(transport: client).check(HealthCheckRequest())

            let (status, contentType, body) = try await server.adminResponse("/metrics")
            #expect(status == 200)
            #expect(contentType?.hasPrefix("text/plain; version=0.0.4") == true, "\(contentType ?? "none")")
            let lines = body.split(separator: "\n").map(String.init)

            // Every call of this test, and nothing else: no other client talks to this server.
            let habit = "/habit.v1.HabitService"
            #expect(
                Set(lines.filter { $0.hasPrefix("hrpc_server_calls_total{") }) == [
                    #"hrpc_server_calls_total{method="\#(habit)/CreateHabit",code="OK"} 2"#,
                    #"hrpc_server_calls_total{method="\#(habit)/GetHabit",code="NOT_FOUND"} 1"#,
                    #"hrpc_server_calls_total{method="\#(habit)/ListHabits",code="UNAUTHENTICATED"} 1"#,
                    #"hrpc_server_calls_total{method="/habit.v1.HealthService/Check",code="OK"} 1"#,
                ], "\(body)")
            let expectedLines = [
                "# TYPE hrpc_server_calls_total counter",
                "# TYPE hrpc_server_call_duration_seconds histogram",
                #"hrpc_server_call_duration_seconds_bucket{method="\#(habit)/CreateHabit",le="+Inf"} 2"#,
                #"hrpc_server_call_duration_seconds_count{method="\#(habit)/GetHabit"} 1"#,
                "hrpc_server_calls_in_flight 0.0",
                "# TYPE hrpc_server_connections_open gauge",
                // CreateHabit twice and GetHabit once passed authentication and took a quota check each.
                #"hrpc_quota_decisions_total{outcome="allowed",source="local"} 3"#,
                #"hrpc_quota_decisions_total{outcome="denied",source="local"} 0"#,
                "hrpc_quota_breaker_state 0.0",
            ]
            for line in expectedLines { #expect(lines.contains(line), "missing \(line) in:\n\(body)") }
            // The latency buckets fitted to a low-latency server, 50 µs to 5 s.
            for bound in ["0.00005", "0.001", "5.0"] {
                let bucket = #"hrpc_server_call_duration_seconds_bucket{method="\#(habit)/CreateHabit",le="\#(bound)"} "#
                #expect(lines.contains { $0.hasPrefix(bucket) }, "missing \(bucket) in:\n\(body)")
            }
            #expect(value(of: "hrpc_server_connections_open", in: lines).map { $0 >= 1 } == true, "\(body)")
            #expect(value(of: "hrpc_server_connections_accepted_total", in: lines).map { $0 >= 1 } == true, "\(body)")
            for kind in ["unavailable", "conflict", "internal"] {
                #expect(value(of: #"hrpc_store_errors_total{kind="\#(kind)"}"#, in: lines) != nil, "\(body)")
            }

            // The log at trace level: one line per call with its status, and the token in none of them.
            let log = server.log
            #expect(log.split(separator: "\n").filter { $0.contains("rpc.status=") }.count == 5, "\(log)")
            #expect(!log.contains(token), "the bearer token is never logged")
        } catch {
            Issue.record("unexpected error: \(error)\nserver log:\n\(server.log)")
        }
        await client.close()
        await server.stop()
    }

    /// The value of the sample `series` (name and labels) among the exposition `lines`.
    private func value(of series: String, in lines: [String]) -> Double? {
        lines.first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
    }
}
