import Foundation
import HabitCore
import HabitCoreTesting
import HabitPostgres
import HabitRollover
import HabitStoreTesting
import Logging
import ServiceLifecycle
import Testing

/// The rollover worker on real PostgreSQL with an injected clock: once across instances, catch-up after a
/// restart, off the event loops, failures retried, prompt shutdown (rule R7, issue #7).
@Suite("rollover worker on PostgreSQL")
struct RolloverWorkerTests {
    /// HP a user of `SeededUser` loses when it misses both habits on a day.
    static let bothMissed: Int64 = 20 + 40

    @Test("two workers on two connection pools over one database close every due day of every user exactly once")
    func twoInstancesCloseEachDayOnce() async throws {
        let location = try await ScratchPostgres.createDatabase()
        let clock = FixedClock(TestDays.instant(day: 1))
        let logs = LogRecorder()
        try await ScratchPostgres.withStore(location) { first in
            try await ScratchPostgres.withStore(location) { second in
                let users = try await SeededUser.seed(
                    24, prefix: "pair", environment: HabitEnvironment(store: first, clock: clock))
                let completions = CompletionService(environment: HabitEnvironment(store: second, clock: clock))
                let workers = [worker(first, clock: clock, logger: logs.logger), worker(second, clock: clock, logger: logs.logger)]
                try await withWorkers(workers) { _ in
                    for day in 2...5 {
                        clock.set(TestDays.instant(day: day, hour: 0.5))
                        #expect(try await waitUntilNothingDue(first, clock: clock), "every user closed day \(day - 1)")
                        // On D3 the even users do their hard habit, so D3 charges them only the easy one.
                        if day == 3 {
                            for user in users.enumerated() where user.offset.isMultiple(of: 2) {
                                _ = try await completions.complete(user.element.id, user.element.hard, idempotencyKey: "d3")
                            }
                        }
                    }
                }
                // D1 is the habits' creation day (never charged); D2, D3 and D4 were closed.
                for (index, user) in users.enumerated() {
                    var expected: [StoredRollover.Charge] = []
                    for day in [2, 3, 4] {
                        expected.append(.init(habit: user.easy, day: TestDays.day(day), hpTenths: -20))
                        if day != 3 || !index.isMultiple(of: 2) {
                            expected.append(.init(habit: user.hard, day: TestDays.day(day), hpTenths: -40))
                        }
                    }
                    let stored = try await StoredRollover.read(user.id, from: second)
                    #expect(stored.charges == expected, "\(user.id)")
                    #expect(stored.lastClosedDay == TestDays.day(4))
                    #expect(stored.hpTenths == 500 + expected.reduce(0) { $0 + $1.hpTenths })
                }
                // Both workers together reported each user's rollover once per day: 4 days × 24 users.
                #expect(logs.sum(of: "rollover.users", in: "rollover pass") == 4 * users.count)
            }
        }
    }

    @Test("a worker started after missed days catches up once (several missed days count as one), then continues daily")
    func restartCatchesUpOnce() async throws {
        let location = try await ScratchPostgres.createDatabase()
        let clock = FixedClock(TestDays.instant(day: 1))
        let logs = LogRecorder()
        let users = try await ScratchPostgres.withStore(location) { store in
            let users = try await SeededUser.seed(5, prefix: "gap", environment: HabitEnvironment(store: store, clock: clock))
            try await withWorkers([worker(store, clock: clock, logger: logs.logger)]) { _ in
                for day in 2...3 {
                    clock.set(TestDays.instant(day: day, hour: 0.5))
                    let closed = try await waitUntilNothingDue(store, clock: clock)
                    #expect(closed)
                }
            }
            return users
        }
        // The server was down from D3 to D7: D3 … D6 ended without a worker.
        clock.set(TestDays.instant(day: 7, hour: 6))
        try await ScratchPostgres.withStore(location) { store in
            try await withWorkers([worker(store, clock: clock, logger: logs.logger)]) { _ in
                #expect(try await waitUntilNothingDue(store, clock: clock))
                for user in users {
                    let stored = try await StoredRollover.read(user.id, from: store)
                    #expect(stored.lastClosedDay == TestDays.day(6))
                    #expect(stored.charges.map(\.day) == [2, 2, 6, 6].map(TestDays.day))
                    #expect(stored.hpTenths == 500 - 2 * Self.bothMissed)
                }
                #expect(logs.sum(of: "rollover.users", in: "rollover pass") - 5 * 2 == users.count)

                clock.set(TestDays.instant(day: 8, hour: 0.5))
                #expect(try await waitUntilNothingDue(store, clock: clock))
            }
            for user in users {
                let stored = try await StoredRollover.read(user.id, from: store)
                #expect(stored.lastClosedDay == TestDays.day(7))
                #expect(stored.charges.map(\.day) == [2, 2, 6, 6, 7, 7].map(TestDays.day))
                #expect(stored.charges.filter { $0.day == TestDays.day(7) }.map(\.habit) == [user.easy, user.hard])
                #expect(stored.hpTenths == 500 - 3 * Self.bothMissed)
            }
        }
    }

    @Test("passes run off the event loops, and a failing pass is logged and retried without stopping the worker")
    func passesRunOffTheEventLoopsAndFailuresAreRetried() async throws {
        let location = try await ScratchPostgres.createDatabase()
        let clock = FixedClock(TestDays.instant(day: 1))
        let logs = LogRecorder()
        try await ScratchPostgres.withStore(location) { store in
            let users = try await SeededUser.seed(3, prefix: "loop", environment: HabitEnvironment(store: store, clock: clock))
            clock.set(TestDays.instant(day: 3, hour: 0.5))
            let observed = ObservedStore(store, failingPasses: 2)
            let closed = try await withWorkers([worker(observed, clock: clock, logger: logs.logger)]) { _ in
                try await waitUntilNothingDue(store, clock: clock)
            }
            #expect(closed)
            let counts = observed.counts
            #expect(counts.passes > 2)
            #expect(counts.transactions >= users.count)
            #expect(counts.callsOnEventLoop == 0)
            // Exactly the two injected failures (a loaded database may add real ones, which are retried too).
            let injected = logs.lines("rollover pass failed; retrying after the interval").filter {
                $0.metadata["error"]?.contains("injected failure") == true
            }
            #expect(injected.count == 2)
            #expect(injected.allSatisfy { $0.level == .warning })
            for user in users {
                #expect(try await StoredRollover.read(user.id, from: store).charges.map(\.day) == [2, 2].map(TestDays.day))
            }
        }
    }

    @Test("graceful shutdown ends a sleeping worker at once, not after its interval", .timeLimit(.minutes(2)))
    func shutdownInterruptsTheInterval() async throws {
        let location = try await ScratchPostgres.createDatabase()
        let clock = FixedClock(TestDays.instant(day: 1))
        try await ScratchPostgres.withStore(location) { store in
            let observed = ObservedStore(store)
            // An hour-long interval: the test only ends in time if shutdown interrupts the sleep.
            try await withWorkers([worker(observed, clock: clock, logger: LogRecorder().logger, interval: .seconds(3600))]) { _ in
                for _ in 0..<6000 where observed.counts.passes == 0 { try await Task.sleep(for: .milliseconds(20)) }
                #expect(observed.counts.passes == 1)
            }
        }
    }

    @Test("graceful shutdown during a pass stops it after the user in progress; the rest stay due", .timeLimit(.minutes(2)))
    func shutdownStopsAPassBetweenUsers() async throws {
        let location = try await ScratchPostgres.createDatabase()
        let clock = FixedClock(TestDays.instant(day: 1))
        try await ScratchPostgres.withStore(location) { store in
            let users = try await SeededUser.seed(20, prefix: "stop", environment: HabitEnvironment(store: store, clock: clock))
            clock.set(TestDays.instant(day: 2, hour: 0.5))
            let trigger = ShutdownTrigger()
            // After the first user's transaction commits, shut down and wait until the worker's task sees it.
            let observed = ObservedStore(store) {
                await trigger.fire()
                for _ in 0..<6000 where !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
            }
            try await withWorkers([worker(observed, clock: clock, logger: LogRecorder().logger)]) { running in
                await trigger.arm(running)
                for _ in 0..<6000 where !trigger.hasFired { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(observed.counts.transactions == 1)
            let stillDue = try await store.usersDueForRollover(at: clock.now(), limit: 100)
            #expect(stillDue.count == users.count - 1)
        }
    }
}
