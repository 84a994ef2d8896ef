import LoadGenerator
import Synchronization
import Testing

/// The runner against an in-process call function (no server): counts, stop conditions, abort, drain.
@Suite("Load runner")
struct LoadRunnerTests {
    static func mix() throws -> MethodMix { try MethodMix(parsing: "A=3,B=1", available: ["A", "B"]) }

    @Test("closed loop with a call count: exactly that many measured calls, spread over every connection")
    func closedLoopCallCount() async throws {
        let plan = try LoadPlan(
            shape: .closedLoop(connections: 3, inFlightPerConnection: 2), stop: .calls(500), warmup: .zero,
            drainTimeout: .seconds(30))
        let connections = Mutex(Set<Int>())
        let firstCalls = Atomic(0)
        let report = await LoadRunner(plan: plan, mix: try Self.mix()).run { slot in
            connections.withLock { _ = $0.insert(slot.connection) }
            // Each caller's first call (sequence = caller index) waits for the others', so all six take part
            // however the tasks are scheduled.
            if slot.sequence < 6 {
                firstCalls.add(1, ordering: .relaxed)
                while firstCalls.load(ordering: .relaxed) < 6 { try? await Task.sleep(for: .milliseconds(1)) }
            }
            await Task.yield()
            return slot.sequence % 10 == 0 ? "UNAVAILABLE" : "OK"
        }
        #expect(report.calls == 500)
        #expect(report.statusCounts.values.reduce(0, +) == 500)
        #expect((report.statusCounts["OK"] ?? 0) > 0)
        #expect(report.methods.map(\.calls).reduce(0, +) == 500)
        #expect(report.unfinishedCalls == 0)
        #expect(report.abortReason == nil)
        #expect(connections.withLock { $0 } == [0, 1, 2])
    }

    @Test("open loop with a call count: every scheduled call is made once")
    func openLoopCallCount() async throws {
        let plan = try LoadPlan(
            shape: .openLoop(connections: 2, callsPerSecond: 20_000, maxInFlight: 16), stop: .calls(300),
            warmup: .zero, drainTimeout: .seconds(30))
        let sequences = Mutex([Int]())
        let report = await LoadRunner(plan: plan, mix: try Self.mix()).run { slot in
            sequences.withLock { $0.append(slot.sequence) }
            return "OK"
        }
        #expect(report.calls == 300)
        #expect(report.statusCounts == ["OK": 300])
        #expect(sequences.withLock { $0.sorted() } == Array(0..<300))
        #expect(report.load.mode == "open")
    }

    @Test("an abort stops the run; calls that never return are cancelled at the drain timeout")
    func abortAndDrain() async throws {
        let plan = try LoadPlan(
            shape: .closedLoop(connections: 1, inFlightPerConnection: 4), stop: .after(.seconds(3600)), warmup: .zero,
            drainTimeout: .milliseconds(200))
        let started = Atomic(0)
        let report = await LoadRunner(plan: plan, mix: try Self.mix(), tickInterval: .milliseconds(10)).run(
            call: { _ in
                if started.add(1, ordering: .relaxed).newValue > 20 {
                    // A server that stopped answering: the call only ends when cancelled.
                    try? await Task.sleep(for: .seconds(3600))
                    return "DEADLINE_EXCEEDED"
                }
                return "OK"
            },
            abortReason: { started.load(ordering: .relaxed) > 20 ? "server stopped answering" : nil })
        #expect(report.abortReason == "server stopped answering")
        // Calls 1...20 answer; the 21st and later hang until the drain timeout cancels them.
        #expect(report.calls <= 20)
        #expect(report.unfinishedCalls >= 1)
        #expect(report.calls + report.unfinishedCalls == started.load(ordering: .relaxed))
    }

    @Test("a time-bound run ends even when no call ever answers: every started call is counted as unfinished")
    func timeBoundRunEndsWithoutAnswers() async throws {
        let plan = try LoadPlan(
            shape: .closedLoop(connections: 2, inFlightPerConnection: 3), stop: .after(.milliseconds(300)),
            warmup: .zero, drainTimeout: .milliseconds(200))
        let started = Atomic(0)
        let report = await LoadRunner(plan: plan, mix: try Self.mix(), tickInterval: .milliseconds(10)).run { _ in
            started.add(1, ordering: .relaxed)
            try? await Task.sleep(for: .seconds(3600))
            return "OK"
        }
        // Under load a caller may not have started before the stop; every one that did is cancelled.
        #expect(report.calls == 0)
        #expect(report.unfinishedCalls == started.load(ordering: .relaxed))
        #expect(report.unfinishedCalls <= 6)
        #expect(report.abortReason == nil)
        #expect(report.latencyMicroseconds == nil)
    }
}
