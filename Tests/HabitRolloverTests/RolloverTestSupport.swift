import Foundation
import HabitCore
import HabitCoreTesting
import HabitRollover
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

/// The real store with a window on how the worker calls it: whether a call ran on an event loop, how many passes
/// and transactions it made, failures injected into its first passes, and a hook after its first transaction.
final class ObservedStore: HabitStore {
    struct Counts {
        var passes = 0
        var transactions = 0
        var callsOnEventLoop = 0
    }

    private let base: any HabitStore
    private let failingPasses: Int
    private let afterFirstTransaction: (@Sendable () async -> Void)?
    private let state = Mutex(Counts())

    /// Observes `base`; the first `failingPasses` listings of due users throw.
    init(_ base: any HabitStore, failingPasses: Int = 0, afterFirstTransaction: (@Sendable () async -> Void)? = nil) {
        self.base = base
        self.failingPasses = failingPasses
        self.afterFirstTransaction = afterFirstTransaction
    }

    var counts: Counts { state.withLock { $0 } }

    func usersDueForRollover(at instant: Date, limit: Int) async throws -> [UserID] {
        let pass = record { $0.passes += 1 }.passes
        if pass <= failingPasses { throw HabitError(.unavailable, "injected failure of pass \(pass)") }
        return try await base.usersDueForRollover(at: instant, limit: limit)
    }

    func withUserTransaction<T: Sendable>(
        _ user: UserID, _ body: (any UserTransaction) async throws -> T
    ) async throws -> T {
        let transaction = record { $0.transactions += 1 }.transactions
        let result = try await base.withUserTransaction(user, body)
        if transaction == 1, let afterFirstTransaction { await afterFirstTransaction() }
        return result
    }

    func committedUser(_ user: UserID) async throws -> UserRecord? {
        try await base.committedUser(user)
    }

    func committedActiveHabits(_ user: UserID) async throws -> [(habit: Habit, entries: [DayEntry])] {
        try await base.committedActiveHabits(user)
    }

    /// Applies `change` and notes whether the caller runs on an event loop thread.
    private func record(_ change: (inout Counts) -> Void) -> Counts {
        let isOnEventLoop = MultiThreadedEventLoopGroup.currentEventLoop != nil
        return state.withLock { counts in
            change(&counts)
            if isOnEventLoop { counts.callsOnEventLoop += 1 }
            return counts
        }
    }
}

/// Keeps what a logger wrote, for assertions on warnings and pass summaries.
final class LogRecorder: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    /// A logger writing into this recorder (at every level).
    var logger: Logger {
        var logger = Logger(label: "test.rollover") { _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    /// The lines whose message is `message`.
    func lines(_ message: String) -> [Line] { lines.withLock { $0.filter { $0.message == message } } }

    /// The sum of the integer metadata `key` over the lines whose message is `message`.
    func sum(of key: String, in message: String) -> Int {
        lines(message).reduce(0) { $0 + (Int($1.metadata[key] ?? "") ?? 0) }
    }

    fileprivate func append(_ line: Line) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            recorder.append(
                Line(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// The calendar of these tests: every user keeps the default settings (UTC, day start 00:00); D1 is Monday
/// 2024-01-01.
enum TestDays {
    static let d1 = LocalDay(daysSince1970: 19_723)

    /// Day `n`.
    static func day(_ n: Int) -> LocalDay { d1.adding(days: n - 1) }

    /// `hour` o'clock UTC on day `n`.
    static func instant(day n: Int, hour: Double = 12) -> Date {
        Date(timeIntervalSince1970: Double(day(n).daysSince1970) * 86_400 + hour * 3600)
    }
}

/// A user of these tests with an easy (2.0 HP when missed) and a hard (4.0 HP) daily habit, created on D1.
struct SeededUser: Sendable {
    let id: UserID
    let easy: HabitID
    let hard: HabitID

    /// Creates `count` such users through the domain (the clock must read D1).
    static func seed(_ count: Int, prefix: String, environment: HabitEnvironment) async throws -> [SeededUser] {
        let habits = HabitService(environment: environment)
        var users: [SeededUser] = []
        for index in 0..<count {
            let id = try UserID("\(prefix)-\(index)")
            let easy = try await habits.create(id, .init(name: "Easy", difficulty: .easy)).id
            let hard = try await habits.create(id, .init(name: "Hard", difficulty: .hard)).id
            users.append(SeededUser(id: id, easy: easy, hard: hard))
        }
        return users
    }
}

/// What the store holds for a user, read in a raw transaction (no use case, so no lazy rollover).
struct StoredRollover: Sendable {
    /// The rollover watermark.
    var lastClosedDay: LocalDay
    /// HP in tenths.
    var hpTenths: Int64
    /// The missed-habit charges in ledger order.
    var charges: [Charge]

    struct Charge: Hashable, Sendable, CustomStringConvertible {
        var habit: HabitID
        var day: LocalDay
        var hpTenths: Int64
        var description: String { "\(habit)@\(day):\(hpTenths)" }
    }

    static func read(_ user: UserID, from store: any HabitStore) async throws -> StoredRollover {
        try await store.withUserTransaction(user) { transaction in
            guard let record = try await transaction.loadUser() else {
                throw HabitError(.notFound, "user \(user) was never stored")
            }
            let ledger = try await transaction.ledger(afterSequence: nil, limit: 10_000)
            return StoredRollover(
                lastClosedDay: record.lastClosedDay, hpTenths: record.character.hpTenths,
                charges: ledger.filter { $0.kind == .missedDamage }.compactMap { entry in
                    guard let habit = entry.habitID, let day = entry.day else { return nil }
                    return Charge(habit: habit, day: day, hpTenths: entry.amount.hpTenths)
                })
        }
    }
}

/// Polls until no user is due at `clock`'s time, at most 120 s (a liveness bound, not a timing assertion);
/// false if users were still due then.
func waitUntilNothingDue(_ store: any HabitStore, clock: FixedClock) async throws -> Bool {
    for _ in 0..<2400 {
        if try await store.usersDueForRollover(at: clock.now(), limit: 1).isEmpty { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}

/// Runs `workers` in one service group around `body`, then shuts the group down gracefully and waits for it.
func withWorkers<T: Sendable>(
    _ workers: [RolloverWorker], _ body: (ServiceGroup) async throws -> T
) async throws -> T {
    var logger = Logger(label: "test.service-group")
    logger.logLevel = .warning
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(services: workers.map { .init(service: $0) }, logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let result: T
        do {
            result = try await body(group)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return result
    }
}

/// Shuts down a service group started after the hook that fires it was made, and remembers that it fired.
final class ShutdownTrigger: Sendable {
    private let state = Mutex<(group: ServiceGroup?, hasFired: Bool)>((nil, false))

    /// Hands over the group to shut down, shutting it down at once if the trigger fired before.
    func arm(_ group: ServiceGroup) async {
        let hasFired = state.withLock { state in
            state.group = group
            return state.hasFired
        }
        if hasFired { await group.triggerGracefulShutdown() }
    }

    /// Whether ``fire()`` ran.
    var hasFired: Bool { state.withLock { $0.hasFired } }

    /// Triggers the graceful shutdown of the armed group.
    func fire() async {
        let group = state.withLock { state in
            state.hasFired = true
            return state.group
        }
        await group?.triggerGracefulShutdown()
    }
}

/// A worker over `store` reading `clock`, polling every 50 ms.
func worker(
    _ store: any HabitStore, clock: FixedClock, logger: Logger, interval: Duration = .milliseconds(50),
    batchSize: Int = 500
) -> RolloverWorker {
    RolloverWorker(
        rollover: RolloverService(environment: HabitEnvironment(store: store, clock: clock)), interval: interval,
        batchSize: batchSize, logger: logger)
}
