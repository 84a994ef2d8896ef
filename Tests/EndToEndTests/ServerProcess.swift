import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HabitAPI
import HabitAuth
import HabitStoreSQL
import HabitStoreTesting
import NIOCore
import RPCClient
import RPCCore
import Testing

/// The real `habit-server` binary, started on 127.0.0.1 with a free port and a throwaway data directory.
final class ServerProcess: Sendable {
    static let secret = "end-to-end-secret-0123456789abcdefgh"

    let process: Process
    let port: Int
    let adminPort: Int
    let logPath: String
    let dataDirectory: String

    private init(process: Process, port: Int, adminPort: Int, logPath: String, dataDirectory: String) {
        self.process = process
        self.port = port
        self.adminPort = adminPort
        self.logPath = logPath
        self.dataDirectory = dataDirectory
    }

    /// A built binary (`habit-server`, `habit-cli`): next to the test bundle, else in `.build/debug`.
    static func binaryPath(_ name: String = "habit-server") throws -> String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/\(name)").path,
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ServerProcessError(description: "\(name) binary not found in \(candidates); run swift build")
        }
        return found
    }

    /// Starts the server on `store` (a fresh database on the test PostgreSQL when nil) and waits until it
    /// listens and (unless `waitsForStore` is false) has found the store reachable and migrated; `environment`
    /// adds `HABIT_*` settings.
    static func start(
        store: TestStore? = nil, drainSeconds: Int = 10, environment extra: [String: String] = [:],
        waitsForStore: Bool = true
    ) async throws -> ServerProcess {
        let store = if let store { store } else { try await TestStore.freshPostgres() }
        let directory = NSTemporaryDirectory() + "habit-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logPath = directory + "/server.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binaryPath())
        process.arguments = [
            "--host", "127.0.0.1", "--port", "0", "--admin-port", "0", "--data-dir", directory + "/data", "--drain-seconds", "\(drainSeconds)",
        ]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HABIT_") }
        environment["HABIT_JWT_SECRET"] = secret
        switch store {
        case .postgres(let location): environment["HABIT_DATABASE_URL"] = ScratchPostgres.url(location)
        case .sqlite(let path): environment["HABIT_SQLITE_PATH"] = path
        }
        environment.merge(extra) { _, added in added }
        process.environment = environment
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        try process.run()
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let port = Self.number(after: "port=", onLineContaining: "habit-server ready", in: text),
                let adminPort = Self.number(after: "admin.port=", onLineContaining: "admin ready", in: text),
                !waitsForStore || text.contains("store reachable and migrated")
            {
                return ServerProcess(
                    process: process, port: port, adminPort: adminPort, logPath: logPath, dataDirectory: directory)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        throw ServerProcessError(description: "habit-server did not become ready; its log:\n\(text)")
    }

    private static func number(after key: String, onLineContaining marker: String, in text: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(marker) }),
            let range = line.range(of: " " + key)
        else { return nil }
        return Int(line[range.upperBound...].prefix(while: \.isNumber))
    }

    /// GET `path` on the admin port: the status code and the body.
    func admin(_ path: String) async throws -> (status: Int, body: String) {
        let response = try await adminResponse(path)
        return (response.status, response.body)
    }

    /// GET `path` on the admin port: the status code, the content type and the body.
    func adminResponse(_ path: String) async throws -> (status: Int, contentType: String?, body: String) {
        let url = try #require(URL(string: "http://127.0.0.1:\(adminPort)\(path)"))
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = response as? HTTPURLResponse
        return (
            http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Content-Type"), String(decoding: data, as: UTF8.self)
        )
    }

    /// A client for the server.
    func client() throws -> RPCClient {
        var configuration = RPCClient.Configuration(addresses: [try SocketAddress(ipAddress: "127.0.0.1", port: port)])
        configuration.maxAttempts = 1
        return RPCClient(configuration: configuration)
    }

    /// Sends SIGTERM.
    func terminate() { kill(process.processIdentifier, SIGTERM) }

    /// Waits for the process to exit and returns its status.
    func waitForExit() async throws -> Int32 {
        for _ in 0..<1200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            process.terminate()
            Issue.record("habit-server did not exit within 60 s of SIGTERM")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Stops the server (if still running) and removes its directory.
    func stop() async {
        if process.isRunning {
            terminate()
            _ = try? await waitForExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// The database a test server runs on; the test owns it, so a restarted server finds the same data.
enum TestStore: Sendable {
    /// A database on a PostgreSQL server.
    case postgres(StoreConfiguration.PostgresLocation)
    /// An SQLite file.
    case sqlite(path: String)

    /// A new, empty database on the PostgreSQL that make test starts.
    static func freshPostgres() async throws -> TestStore {
        .postgres(try await ScratchPostgres.createDatabase())
    }

    /// A path for a new SQLite file in a directory of its own under the temporary directory.
    static func freshSQLite() -> TestStore {
        .sqlite(path: NSTemporaryDirectory() + "habit-e2e-sqlite-\(UUID().uuidString)/habit.sqlite")
    }

    /// Removes an SQLite store's directory (PostgreSQL scratch databases go with the test cluster).
    func remove() {
        guard case .sqlite(let path) = self else { return }
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
    }
}

struct ServerProcessError: Error, CustomStringConvertible {
    let description: String
}

/// Mints tokens with the server's secret (or, to forge one, another `secret`).
func tokenOptions(
    _ user: String, lifetime: Duration = .seconds(600), now: Date = Date(), secret: String = ServerProcess.secret
) async throws -> CallOptions {
    let authority = await TokenAuthority(secret: try JWTSecret(bytes: Array(secret.utf8), source: .environment))
    let token = try await authority.mint(user: user, lifetime: lifetime, now: now)
    return CallOptions(metadata: ["authorization": .text("Bearer \(token)")])
}

/// The RPCError `body` throws, or nil.
func errorOf(_ body: () async throws -> Void) async -> RPCError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? RPCError
    }
}

/// Polls `condition` every 100 ms until it holds, for at most 60 s (a liveness bound, not a timing assertion).
func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<600 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return false
}

extension CreateHabitRequest {
    /// An every-day habit named `name`.
    static func daily(_ name: String, difficulty: Difficulty = .easy) -> CreateHabitRequest {
        var request = CreateHabitRequest()
        request.name = name
        request.difficulty = difficulty
        var schedule = Schedule()
        schedule.kind = .everyDay(Schedule.EveryDay())
        request.schedule = schedule
        return request
    }
}
