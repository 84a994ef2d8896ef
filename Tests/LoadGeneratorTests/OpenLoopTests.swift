import LoadGenerator
import Testing

@Suite("Open loop: schedule, dispatcher, coordinated-omission correction")
struct OpenLoopTests {
    @Test("intended send times are index / rate, and calls due at an offset are those at or before it")
    func schedule() {
        let schedule = OpenLoopSchedule(callsPerSecond: 1000)
        #expect(schedule.intendedOffset(ofCall: 0) == .zero)
        #expect(schedule.intendedOffset(ofCall: 1) == .milliseconds(1))
        #expect(schedule.intendedOffset(ofCall: 2500) == .milliseconds(2500))
        #expect(schedule.callsDue(at: .nanoseconds(-1)) == 0)
        #expect(schedule.callsDue(at: .zero) == 1)
        #expect(schedule.callsDue(at: .microseconds(999)) == 1)
        #expect(schedule.callsDue(at: .milliseconds(1)) == 2)
        #expect(schedule.callsDue(at: .seconds(1)) == 1001)
        #expect(schedule.firstCall(notBefore: .zero) == 0)
        #expect(schedule.firstCall(notBefore: .milliseconds(2)) == 2)
        #expect(schedule.firstCall(notBefore: .microseconds(2001)) == 3)

        let odd = OpenLoopSchedule(callsPerSecond: 3)
        for index in 0..<100 {
            let offset = odd.intendedOffset(ofCall: index)
            #expect(odd.callsDue(at: offset) == index + 1)
            #expect(odd.callsDue(at: offset - .nanoseconds(1)) == index)
        }
    }

    @Test("the dispatcher sends every due call at once, never more than the cap, and ends at the stop condition")
    func dispatcher() {
        var dispatcher = OpenLoopDispatcher(
            schedule: OpenLoopSchedule(callsPerSecond: 1000), maxInFlight: 4, warmup: .milliseconds(10),
            stop: .calls(20))
        #expect(dispatcher.firstMeasuredIndex == 10)
        #expect(dispatcher.endIndex == 30)
        #expect(dispatcher.next(at: .zero) == .send(0..<1))
        let step1 = dispatcher.next(at: .microseconds(500))
        #expect(step1 == .sleep(until: .milliseconds(1)))
        let step2 = dispatcher.next(at: .milliseconds(5))
        #expect(step2 == .send(1..<4))
        #expect(dispatcher.inFlight == 4)
        let step3 = dispatcher.next(at: .milliseconds(6))
        #expect(step3 == .waitForCompletion)
        dispatcher.callFinished()
        dispatcher.callFinished()
        let step4 = dispatcher.next(at: .milliseconds(6))
        #expect(step4 == .send(4..<6))
        for _ in 0..<4 { dispatcher.callFinished() }
        let step5 = dispatcher.next(at: .milliseconds(100))
        #expect(step5 == .send(6..<10))
        for _ in 0..<4 { dispatcher.callFinished() }
        var sent = 10
        while case .send(let batch) = dispatcher.next(at: .milliseconds(100)) {
            #expect(batch.lowerBound == sent)
            #expect(batch.count <= 4)
            sent = batch.upperBound
            for _ in batch { dispatcher.callFinished() }
        }
        #expect(sent == 30)
        let step6 = dispatcher.next(at: .seconds(5))
        #expect(step6 == .finished)

        var timed = OpenLoopDispatcher(
            schedule: OpenLoopSchedule(callsPerSecond: 100), maxInFlight: 1000, warmup: .seconds(1),
            stop: .after(.seconds(2)))
        #expect(timed.firstMeasuredIndex == 100)
        #expect(timed.endIndex == 300)
        let step7 = timed.next(at: .seconds(60))
        #expect(step7 == .send(0..<300))
        let step8 = timed.next(at: .seconds(61))
        #expect(step8 == .finished)

        var stopped = timed
        stopped.stop()
        #expect(stopped.next(at: .zero) == .finished)
    }

    /// One server that answers calls one at a time: call 0 stalls for 100 ms, every other call takes 50 µs.
    /// The dispatcher (cap 1, 1000 calls/s) holds the calls due during the stall; measured from their intended
    /// times, all of them are slow, as they would be for users arriving at that rate.
    @Test("a stalled response makes the calls it delayed count as slow (latency from the intended time)")
    func coordinatedOmissionCorrection() throws {
        let plan = try LoadPlan(
            shape: .openLoop(connections: 1, callsPerSecond: 1000, maxInFlight: 1), stop: .calls(200), warmup: .zero,
            drainTimeout: .seconds(1))
        var dispatcher = OpenLoopDispatcher(
            schedule: OpenLoopSchedule(callsPerSecond: 1000), maxInFlight: 1, warmup: .zero, stop: plan.stop)
        var tally = RunTally(plan: plan, methods: ["GetCharacter"])
        var serviceOnly = RunTally(plan: plan, methods: ["GetCharacter"])
        var now = Duration.zero
        simulation: while true {
            switch dispatcher.next(at: now) {
            case .send(let batch):
                #expect(batch.count == 1)
                let index = batch.lowerBound
                let service: Duration = index == 0 ? .milliseconds(100) : .microseconds(50)
                let intended = dispatcher.schedule.intendedOffset(ofCall: index)
                tally.callFinished(method: 0, status: "OK", start: intended, end: now + service)
                serviceOnly.callFinished(method: 0, status: "OK", start: now, end: now + service)
                now += service
                dispatcher.callFinished()
            case .sleep(let until):
                now = until
            case .waitForCompletion:
                Issue.record("the simulated server finishes each call before the next is asked for")
                break simulation
            case .finished:
                break simulation
            }
        }
        let corrected = try #require(tally.report().latencyMicroseconds)
        let uncorrected = try #require(serviceOnly.report().latencyMicroseconds)
        #expect(tally.report().calls == 200)
        // Calls 1...~105 were due during the stall and wait for it: latencies from ~99 ms down to 0.
        #expect(corrected.p90 > 50_000)
        #expect(corrected.p99 > 90_000)
        #expect(corrected.p50 > 1_000)
        // Measured from the actual send, only the stalled call itself is slow: the omission the correction undoes.
        #expect(uncorrected.p99 < 100)
        #expect(uncorrected.max > 99_000)
    }
}
