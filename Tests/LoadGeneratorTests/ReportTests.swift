import Foundation
import LoadGenerator
import Testing

@Suite("Tally, percentiles and the report")
struct ReportTests {
    static func plan(stop: LoadPlan.Stop = .after(.seconds(1)), warmup: Duration = .seconds(1)) throws -> LoadPlan {
        try LoadPlan(
            shape: .closedLoop(connections: 2, inFlightPerConnection: 8), stop: stop, warmup: warmup,
            drainTimeout: .seconds(5))
    }

    @Test("calls started in the warm-up are counted apart; the rest are measured with their status")
    func warmupExcluded() throws {
        var tally = RunTally(plan: try Self.plan(), methods: ["A", "B"])
        tally.callFinished(method: 0, status: "OK", start: .milliseconds(999), end: .milliseconds(1500))
        tally.callFinished(method: 0, status: "OK", start: .seconds(1), end: .milliseconds(1001))
        tally.callFinished(method: 1, status: "RESOURCE_EXHAUSTED", start: .milliseconds(1200), end: .milliseconds(1210))
        tally.callAbandoned()
        let report = tally.report()
        #expect(report.warmupCalls == 1)
        #expect(report.calls == 2)
        #expect(report.unfinishedCalls == 1)
        #expect(report.statusCounts == ["OK": 1, "RESOURCE_EXHAUSTED": 1])
        #expect(report.methods.map(\.calls) == [1, 1])
        #expect(report.methods[1].statusCounts == ["RESOURCE_EXHAUSTED": 1])
        #expect(tally.finishedCalls == 3)
        #expect(tally.failedCalls == 1)
        #expect(abs(report.measuredSeconds - 0.21) < 1e-9)
        #expect(abs(report.callsPerSecond - 2 / 0.21) < 1e-6)
    }

    @Test("admission: always during the warm-up, then until the duration or the call count is reached")
    func admission() throws {
        var timed = RunTally(plan: try Self.plan(), methods: ["A"])
        let admitted1 = timed.admit(at: .milliseconds(10))
        #expect(admitted1)
        let admitted2 = timed.admit(at: .milliseconds(1999))
        #expect(admitted2)
        let admitted3 = timed.admit(at: .seconds(2))
        #expect(!admitted3)
        #expect(timed.stoppedAt == .seconds(2))
        let admitted4 = timed.admit(at: .milliseconds(1500))
        #expect(!admitted4)

        var counted = RunTally(plan: try Self.plan(stop: .calls(3)), methods: ["A"])
        let admitted5 = counted.admit(at: .milliseconds(500))
        #expect(admitted5)
        let admitted6 = counted.admit(at: .seconds(5))
        #expect(admitted6)
        let admitted7 = counted.admit(at: .seconds(5))
        #expect(admitted7)
        let admitted8 = counted.admit(at: .seconds(5))
        #expect(admitted8)
        let admitted9 = counted.admit(at: .seconds(5))
        #expect(!admitted9)
        #expect(counted.admittedMeasuredCalls == 3)

        var aborted = RunTally(plan: try Self.plan(), methods: ["A"])
        aborted.abort("connection 0 closed", at: .milliseconds(3))
        let admitted10 = aborted.admit(at: .milliseconds(4))
        #expect(!admitted10)
        #expect(aborted.report().abortReason == "connection 0 closed")
    }

    @Test("percentiles come from the histogram: 1...1000 µs gives p50 500, p99.9 999, max 1000 (within 0.1%)")
    func percentiles() throws {
        var recorder = LatencyRecorder(methods: ["A"])
        for micros in 1...1000 { recorder.record(method: 0, status: "OK", latency: .microseconds(micros)) }
        let summary = try #require(recorder.latency)
        func close(_ value: Double, _ expected: Double) -> Bool { abs(value - expected) <= expected * 0.001 + 0.1 }
        #expect(close(summary.p50, 500))
        #expect(close(summary.p90, 900))
        #expect(close(summary.p99, 990))
        #expect(close(summary.p999, 999))
        #expect(close(summary.max, 1000))
        #expect(close(summary.mean, 500.5))
        #expect(LatencyRecorder(methods: []).latency == nil)

        var huge = LatencyRecorder(methods: ["A"])
        huge.record(method: 0, status: "OK", latency: .seconds(100_000))
        huge.record(method: 7, status: "OK", latency: .seconds(-1))
        #expect(huge.calls == 2)
        #expect(try #require(huge.latency).max >= 3_600_000_000 * 0.999)
    }

    @Test("the JSON has the documented keys, status counts add up to calls, and it round-trips")
    func jsonShape() throws {
        var tally = RunTally(plan: try Self.plan(stop: .calls(10), warmup: .zero), methods: ["GetCharacter", "ListLedger"])
        tally.callFinished(method: 0, status: "OK", start: .zero, end: .microseconds(120))
        tally.callFinished(method: 1, status: "UNAVAILABLE", start: .zero, end: .microseconds(80))
        var report = tally.report()
        report.workload = ["users": "3", "mix": "GetCharacter=1,ListLedger=1"]
        let json = report.jsonString()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "schema", "load", "measured_seconds", "calls", "calls_per_second", "status_counts", "latency_us",
                "warmup_calls", "unfinished_calls", "methods", "workload",
            ])
        #expect(object["schema"] as? String == "habit-cli-bench/1")
        let load = try #require(object["load"] as? [String: Any])
        #expect(
            Set(load.keys) == ["mode", "connections", "in_flight_per_connection", "warmup_seconds", "call_limit"])
        #expect(load["mode"] as? String == "closed")
        let latency = try #require(object["latency_us"] as? [String: Double])
        #expect(Set(latency.keys) == ["p50", "p90", "p99", "p999", "max", "mean"])
        let statuses = try #require(object["status_counts"] as? [String: Int])
        #expect(statuses.values.reduce(0, +) == object["calls"] as? Int)
        let methods = try #require(object["methods"] as? [[String: Any]])
        #expect(methods.map { $0["method"] as? String } == ["GetCharacter", "ListLedger"])
        #expect(Set(methods[0].keys) == ["method", "calls", "status_counts", "latency_us"])
        #expect(try JSONDecoder().decode(BenchmarkReport.self, from: Data(json.utf8)) == report)

        let text = report.text()
        #expect(text.contains("closed loop, 2 connection(s) x 8 in flight"))
        #expect(text.contains("OK 1"))
        #expect(text.contains("UNAVAILABLE 1"))
    }
}
