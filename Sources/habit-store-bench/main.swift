// Load driver of scripts/bench-persistence.sh: HabitCore's use cases over PostgresHabitStore at N callers.
//
//   habit-store-bench <postgres://USER:PASSWORD@HOST:PORT/DB> <complete|character> <callers> <warmup-s> <seconds>
//
// Each caller is its own user. `complete` gives every user 100 daily habits, completes each of them today, then
// moves that caller's clock a day on and starts again, so every call records a new completion (the first call
// of each day also runs the user's rollover, as a real user's first call of a day does). `character` reads what GetCharacter
// serves (CharacterService.overview: the character and its habits' streak overview) for a user with a few habits
// and completions. Each caller is a task on one of NIO's
// event loops, as the RPC server runs its handlers. Calls run back to back for the warm-up,
// then for the measured seconds; a call counts when it finishes inside the measured window. Prints one line:
//   <mode> callers=8 seconds=20.0 calls=N tps=X p50_ms=Y p99_ms=Z errors=E all_calls=M setup_calls=S
import Foundation
import HabitCore
import NIOPosix
import RPCCore
import HabitPostgres
import HabitStoreSQL
import Logging

/// A clock stopped at one instant: the driver moves each caller's calendar explicitly.
struct FixedClock: HabitClock {
    let instant: Date
    func now() -> Date { instant }
}

/// One benchmarked caller: a user and the next call it makes.
protocol BenchCaller: Sendable {
    /// Store transactions the caller ran while being prepared (not timed).
    var setupCalls: Int { get }
    /// Makes one timed call.
    mutating func call() async throws(HabitError)
}

/// Completes each of its habits today, then moves its clock a day on, as a user checking in every day does:
/// every call records a new completion, and the first call of each day runs the user's rollover, which finds
/// nothing missed.
struct CompletionCaller: BenchCaller {
    let store: any HabitStore
    let user: UserID
    let habits: [HabitID]
    let setupCalls: Int
    private var instant: Date
    private var completions: CompletionService
    private var next = 0

    /// Creates `habitCount` daily habits at `base`, where the timed completions start.
    static func prepare(store: any HabitStore, user: UserID, habitCount: Int, base: Date) async throws(HabitError)
        -> CompletionCaller
    {
        let environment = HabitEnvironment(store: store, clock: FixedClock(instant: base))
        let creator = HabitService(environment: environment)
        var habits: [HabitID] = []
        for index in 0..<habitCount {
            habits.append(try await creator.create(user, .init(name: "bench habit \(index)")).id)
        }
        return CompletionCaller(store: store, user: user, habits: habits, instant: base)
    }

    private init(store: any HabitStore, user: UserID, habits: [HabitID], instant: Date) {
        self.store = store
        self.user = user
        self.habits = habits
        self.setupCalls = habits.count
        self.instant = instant
        self.completions = CompletionService(environment: HabitEnvironment(store: store, clock: FixedClock(instant: instant)))
    }

    mutating func call() async throws(HabitError) {
        if next == habits.count {
            instant = instant.addingTimeInterval(86_400)
            completions = CompletionService(environment: HabitEnvironment(store: store, clock: FixedClock(instant: instant)))
            next = 0
        }
        let habit = habits[next]
        next += 1
        _ = try await completions.complete(user, habit)
    }
}

/// Reads GetCharacter's overview of a user who has a few habits, each completed today.
struct CharacterCaller: BenchCaller {
    let user: UserID
    let characters: CharacterService
    let setupCalls: Int

    /// Gives the user `habitCount` habits completed today, so the character has XP, coins and a ledger.
    static func prepare(store: any HabitStore, user: UserID, habitCount: Int, base: Date) async throws(HabitError)
        -> CharacterCaller
    {
        let environment = HabitEnvironment(store: store, clock: FixedClock(instant: base))
        let habits = HabitService(environment: environment)
        let completions = CompletionService(environment: environment)
        for index in 0..<habitCount {
            let habit = try await habits.create(user, .init(name: "bench habit \(index)"))
            _ = try await completions.complete(user, habit.id)
        }
        return CharacterCaller(user: user, characters: CharacterService(environment: environment), setupCalls: 2 * habitCount)
    }

    mutating func call() async throws(HabitError) {
        _ = try await characters.overview(user)
    }
}

/// What one caller measured.
struct CallerTally: Sendable {
    /// Latencies in nanoseconds of the calls that finished inside the measured window.
    var latencies: [Int64] = []
    /// Every call made, warm-up included.
    var calls = 0
    /// Calls that failed, and the first failure.
    var errors = 0
    var firstError: String?
}

/// Calls back to back until `end`, timing the calls that finish at or after `measuredFrom`.
func drive(
    _ caller: some BenchCaller, measuredFrom: ContinuousClock.Instant, end: ContinuousClock.Instant
) async -> CallerTally {
    var caller = caller
    var tally = CallerTally()
    let clock = ContinuousClock()
    while clock.now < end {
        let started = clock.now
        do {
            try await caller.call()
        } catch {
            tally.errors += 1
            if tally.firstError == nil { tally.firstError = "\(error)" }
        }
        let finished = clock.now
        tally.calls += 1
        if finished >= measuredFrom && finished <= end {
            let elapsed = started.duration(to: finished).components
            tally.latencies.append(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        }
    }
    return tally
}

/// Prepares every caller (in parallel, untimed), then drives them all over the same window.
func run<Caller: BenchCaller>(
    mode: String, callers: Int, warmup: Duration, measured: Duration,
    prepare: @escaping @Sendable (Int) async throws(HabitError) -> Caller
) async throws -> String {
    let prepared = try await withThrowingTaskGroup(of: Caller.self) { group in
        for index in 0..<callers { group.addTask { try await prepare(index) } }
        var all: [Caller] = []
        for try await caller in group { all.append(caller) }
        return all
    }
    let measuredFrom = ContinuousClock.now + warmup
    let end = measuredFrom + measured
    let tallies = await withTaskGroup(of: CallerTally.self) { group in
        // Each caller is a task on one of NIO's event loops, as the RPC server runs its handlers.
        for caller in prepared {
            let executor = EventLoopTaskExecutor(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
            group.addTask(executorPreference: executor) { await drive(caller, measuredFrom: measuredFrom, end: end) }
        }
        var all: [CallerTally] = []
        for await tally in group { all.append(tally) }
        return all
    }
    let latencies = tallies.flatMap(\.latencies).sorted()
    let seconds = Double(measured.components.seconds) + Double(measured.components.attoseconds) / 1e18
    func percentile(_ fraction: Double) -> String {
        guard !latencies.isEmpty else { return "nan" }
        let index = min(latencies.count - 1, max(0, Int((fraction * Double(latencies.count)).rounded(.up)) - 1))
        return String(format: "%.2f", Double(latencies[index]) / 1e6)
    }
    let errors = tallies.reduce(0) { $0 + $1.errors }
    var line = "\(mode) callers=\(callers) seconds=\(String(format: "%.1f", seconds)) calls=\(latencies.count)"
    line += " tps=\(String(format: "%.1f", Double(latencies.count) / seconds)) p50_ms=\(percentile(0.5))"
    line += " p99_ms=\(percentile(0.99)) errors=\(errors) all_calls=\(tallies.reduce(0) { $0 + $1.calls })"
    line += " setup_calls=\(prepared.reduce(0) { $0 + $1.setupCalls })"
    if let first = tallies.compactMap(\.firstError).first { line += "\nfirst error: \(first)" }
    return line
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
}
let arguments = CommandLine.arguments
guard arguments.count == 6, ["complete", "character"].contains(arguments[2]), let callers = Int(arguments[3]),
    (1...64).contains(callers), let warmupSeconds = Int(arguments[4]), warmupSeconds >= 0,
    let measuredSeconds = Int(arguments[5]), measuredSeconds > 0
else {
    FileHandle.standardError.write(
        Data("usage: habit-store-bench <postgres://...> <complete|character> <callers 1-64> <warmup-s> <seconds>\n".utf8))
    exit(2)
}
let mode = arguments[2]
// Noon UTC today: the default settings reckon days in UTC, so moving whole days never crosses a day start.
let base = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 43_200)
do {
    let location = try StoreConfiguration.PostgresLocation(url: arguments[1])
    var configuration = PostgresHabitStore.Configuration(location: location)
    // A loaded 2-core machine must not turn a slow commit into a failed call; the latency figures show it.
    configuration.callTimeout = .seconds(30)
    // One warm connection per caller, as a server sized for its usual concurrency would keep.
    configuration.minimumConnections = callers
    let store = PostgresHabitStore(configuration: configuration, logger: Logger(label: "habit-store-bench"))
    let report = try await withThrowingTaskGroup(of: String?.self) { group in
        group.addTask {
            await store.run()
            return nil
        }
        try await store.migrate()
        let warmup = Duration.seconds(warmupSeconds)
        let measured = Duration.seconds(measuredSeconds)
        let report: String
        if mode == "complete" {
            report = try await run(mode: mode, callers: callers, warmup: warmup, measured: measured) { index throws(HabitError) in
                try await CompletionCaller.prepare(
                    store: store, user: try UserID("bench-complete-\(index)"), habitCount: 100, base: base)
            }
        } else {
            report = try await run(mode: mode, callers: callers, warmup: warmup, measured: measured) { index throws(HabitError) in
                try await CharacterCaller.prepare(
                    store: store, user: try UserID("bench-character-\(index)"), habitCount: 5, base: base)
            }
        }
        group.cancelAll()
        return report
    }
    print(report)
} catch {
    FileHandle.standardError.write(Data("habit-store-bench: \(error)\n".utf8))
    exit(1)
}
