import Foundation
import HabitAPI
import HabitAuth
import HabitCoreTesting
import Logging
import RPCCore
import RPCServer
import Synchronization
import Testing

/// What a habit server logs at trace level over a mix of calls: one line per call with its method, call id,
/// status and duration, warnings that name the call, and never a token or a payload.
@Suite("call logging")
struct CallLoggingTests {
    @Test("one line per call with method, call id, status and duration; no token or payload in any line")
    func oneLinePerCallAndNoSecrets() async throws {
        let logs = CapturedLogs()
        var logger = Logger(label: "test.habit-server") { _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .trace
        let store = InMemoryHabitStore()
        let habitName = "payload-\(UUID().uuidString)"
        var secrets: [String] = []
        try await HabitTestServer.run(
            store: store, logger: logger, interceptors: [CallLoggingInterceptor(logger: logger)]
        ) { server in
            let options = try await server.options("ada")
            let token = try #require(options.metadata.firstText("authorization"))
            let expired = try await server.authority.mint(
                user: "ada", lifetime: .seconds(60), now: Date().addingTimeInterval(-3600))
            // The signature's first character: all six of its bits count (the last one's low bits are padding).
            let signature = try #require(token.lastIndex(of: ".")).utf16Offset(in: token) + 1
            var characters = Array(token)
            characters[signature] = characters[signature] == "A" ? "B" : "A"
            let tampered = String(characters)
            secrets = [String(token.dropFirst("Bearer ".count)), expired, String(tampered.dropFirst("Bearer ".count))]

            _ = try await server.habits.createHabit(dailyHabit(habitName), options: options)
            var get = GetHabitRequest()
            get.habitId = UUID().uuidString
            #expect(await statusCode { _ = try await server.habits.getHabit(get, options: options) } == .notFound)
            for bad in [tampered, "Bearer \(expired)"] {
                let badOptions = CallOptions(metadata: ["authorization": .text(bad)])
                #expect(
                    await statusCode { _ = try await server.habits.listHabits(ListHabitsRequest(), options: badOptions) }
                        == .unauthenticated)
            }
            store.setFailsCommits(true)
            #expect(
                await statusCode { _ = try await server.habits.createHabit(dailyHabit(habitName), options: options) }
                    == .unavailable)
        }

        let records = logs.records
        let callLines = records.filter { $0.metadata["rpc.status"] != nil }
        #expect(callLines.map(\.status) == ["OK", "NOT_FOUND", "UNAUTHENTICATED", "UNAUTHENTICATED", "UNAVAILABLE"])
        #expect(callLines.map(\.level) == [.debug, .debug, .debug, .debug, .warning])
        for line in callLines {
            #expect(line.metadata["rpc.method"]?.hasPrefix("/habit.v1.HabitService/") == true, "\(line.text)")
            #expect(line.metadata["rpc.call_id"].flatMap(UInt32.init) != nil, "\(line.text)")
            #expect(line.metadata["rpc.duration_ms"].flatMap(Int64.init) != nil, "\(line.text)")
        }
        let warnings = records.filter { $0.level >= .warning }
        #expect(!warnings.isEmpty)
        for warning in warnings {
            #expect(warning.metadata["rpc.call_id"] != nil && warning.metadata["rpc.method"] != nil, "\(warning.text)")
        }
        #expect(secrets.count == 3)
        for record in records {
            for secret in secrets { #expect(!record.text.contains(secret), "a token in: \(record.text)") }
            #expect(!record.text.contains(habitName), "a payload in: \(record.text)")
            #expect(!record.text.lowercased().contains("bearer"), "authorization metadata in: \(record.text)")
        }
    }
}

/// One log record, flattened to strings.
struct LogRecord: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]

    var status: String? { metadata["rpc.status"] }
    /// The message and every metadata key and value, as any handler could print them.
    var text: String { ([message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }
}

/// Every record the loggers made through ``CapturingLogHandler``.
final class CapturedLogs: Sendable {
    private let storage = Mutex<[LogRecord]>([])

    var records: [LogRecord] { storage.withLock { $0 } }

    func append(_ record: LogRecord) { storage.withLock { $0.append(record) } }
}

/// A log handler that keeps every record in memory.
struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        logs.append(
            LogRecord(
                level: event.level, message: "\(event.message)",
                metadata: merged.mapValues { "\($0)" }))
    }
}
