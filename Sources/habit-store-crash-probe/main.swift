// Test-only writer for the kill -9 durability tests (HabitStoreTesting.CrashProbe runs it).
//
//   habit-store-crash-probe <sqlite:PATH | postgres://USER:PASSWORD@HOST:PORT/DB> <user> <count> <unix-seconds>
//
// Makes sure the user has <count> habits, then completes habit i with idempotency key `burst-i` through
// HabitCore's CompletionService, printing `ack burst-i` only after the transaction committed. Rerunning it
// with the same arguments replays acknowledged keys and completes the rest.
import Foundation
import HabitCore
import HabitPostgres
import HabitSQLite
import HabitStoreSQL
import Logging

struct ProbeClock: HabitClock {
    let instant: Date
    func now() -> Date { instant }
}

func burst(store: any HabitStore, user: UserID, count: Int, now: Date) async throws {
    let environment = HabitEnvironment(store: store, clock: ProbeClock(instant: now))
    let habits = HabitService(environment: environment)
    let completions = CompletionService(environment: environment)
    var existing = try await habits.list(user, pageSize: 100, includeArchived: true).items
    while existing.count < count {
        existing.append(try await habits.create(user, .init(name: "burst habit \(existing.count)")))
    }
    for (index, habit) in existing.prefix(count).enumerated() {
        let key = "burst-\(index)"
        _ = try await completions.complete(user, habit.id, idempotencyKey: key)
        // Unbuffered, so the line is out before the next completion starts.
        FileHandle.standardOutput.write(Data("ack \(key)\n".utf8))
    }
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
}
let logger = Logger(label: "habit-store-crash-probe")
let arguments = CommandLine.arguments
guard arguments.count == 5, let user = try? UserID(arguments[2]), let count = Int(arguments[3]),
    (1...100).contains(count), let seconds = Double(arguments[4])
else {
    FileHandle.standardError.write(Data("usage: habit-store-crash-probe <sqlite:PATH|postgres://...> <user> <count 1-100> <unix-seconds>\n".utf8))
    exit(2)
}
let now = Date(timeIntervalSince1970: seconds)
do {
    if arguments[1].hasPrefix("sqlite:") {
        let store = try await SQLiteHabitStore.open(path: String(arguments[1].dropFirst("sqlite:".count)), logger: logger)
        try await burst(store: store, user: user, count: count, now: now)
        try await store.close()
    } else {
        let location = try StoreConfiguration.PostgresLocation(url: arguments[1])
        var configuration = PostgresHabitStore.Configuration(location: location)
        // A busy test machine must not turn a slow commit into a failed run; outages are tested elsewhere.
        configuration.callTimeout = .seconds(30)
        let store = PostgresHabitStore(configuration: configuration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            try await store.migrate()
            try await burst(store: store, user: user, count: count, now: now)
            group.cancelAll()
        }
    }
} catch {
    FileHandle.standardError.write(Data("habit-store-crash-probe: \(error)\n".utf8))
    exit(1)
}
