import Foundation
import HabitAPI
import HabitAuth
import HabitCore
import HabitCoreTesting
import HabitHandlers
import Logging
import NIOCore
import RPCClient
import RPCCore
import RPCServer
import Testing

/// A real habit server on 127.0.0.1 port 0 (auth interceptor, every handler, the in-memory store) and a
/// client per user, for the duration of `body`.
struct HabitTestServer: Sendable {
    let client: RPCClient
    let authority: TokenAuthority

    /// Call options carrying a fresh token for `user`.
    func options(_ user: String, lifetime: Duration = .seconds(600)) async throws -> CallOptions {
        CallOptions(metadata: ["authorization": .text("Bearer \(try await authority.mint(user: user, lifetime: lifetime))")])
    }

    var habits: HabitServiceClient { HabitServiceClient(transport: client) }
    var completions: CompletionServiceClient { CompletionServiceClient(transport: client) }
    var characters: CharacterServiceClient { CharacterServiceClient(transport: client) }
    var health: HealthServiceClient { HealthServiceClient(transport: client) }

    static let secret = "handler-tests-secret-0123456789abcdef"

    /// Runs `body` against a server on `store` logging to `logger` (silent by default), with `interceptors`
    /// ahead of authentication.
    static func run<Result: Sendable>(
        store: InMemoryHabitStore = InMemoryHabitStore(), logger: Logger? = nil,
        interceptors: [any ServerInterceptor] = [],
        _ body: (HabitTestServer) async throws -> Result
    ) async throws -> Result {
        let logger = logger ?? {
            var silent = Logger(label: "test.habit-server")
            silent.logLevel = .critical
            return silent
        }()
        let secret = try JWTSecret(bytes: Array(Self.secret.utf8), source: .environment)
        let authority = await TokenAuthority(secret: secret)
        let board = ServingStatusBoard()
        board.set(.serving)
        let application = HabitApplication(environment: HabitEnvironment(store: store), logger: logger)
        let server = try RPCServer(
            methods: application.serverMethods + HealthHandler(board: board).serverMethods,
            interceptors: interceptors + [AuthInterceptor(authority: authority)], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let address = try await server.localAddress()
            var configuration = RPCClient.Configuration(addresses: [address])
            configuration.maxAttempts = 1
            let client = RPCClient(configuration: configuration)
            do {
                let result = try await body(HabitTestServer(client: client, authority: authority))
                await client.close()
                server.beginGracefulShutdown()
                try await group.waitForAll()
                return result
            } catch {
                await client.close()
                server.beginGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

/// The status code `body` fails with, or nil when it succeeds.
func statusCode(_ body: () async throws -> Void) async -> RPCError.Code? {
    do {
        try await body()
        return nil
    } catch let error as RPCError {
        return error.code
    } catch {
        Issue.record("expected an RPCError, got \(error)")
        return nil
    }
}

func dailyHabit(_ name: String, key: String = "") -> CreateHabitRequest {
    var request = CreateHabitRequest()
    request.name = name
    request.difficulty = .easy
    var schedule = HabitAPI.Schedule()
    schedule.kind = .everyDay(HabitAPI.Schedule.EveryDay())
    request.schedule = schedule
    request.idempotencyKey = key
    return request
}
