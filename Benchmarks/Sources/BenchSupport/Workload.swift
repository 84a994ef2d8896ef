import HabitAPI
import ProtoRuntime
import HabitCore
import HabitCoreTesting
import HabitHandlers
import Logging
import RPCCore

/// The method a client run calls; every server kind serves both.
public enum BenchMethod: String, CaseIterable, Sendable {
    /// Echoes a 100-byte request: the cost of the RPC layer alone.
    case noop
    /// The same no-op method with an empty request, as the C client comparison (clients/c/bench) sends.
    case empty
    /// habit.v1.CharacterService/GetCharacter through HabitHandlers' CharacterHandler on HabitCore over the
    /// in-memory store: decode, a store transaction, streak summary over the user's habits, encode.
    case character

    /// The request bytes every client kind sends for this method.
    public var requestBytes: [UInt8] {
        switch self {
        case .noop: [UInt8](repeating: 7, count: 100)
        case .empty: []
        case .character: GetCharacterRequest().serializedBytes()
        }
    }

    /// The HabitRPC descriptor of this method.
    public var descriptor: MethodDescriptor {
        switch self {
        case .noop, .empty: noopDescriptor
        case .character: CharacterService.Method.getCharacter
        }
    }
}

/// bench.Bench/Noop on HabitRPC.
public let noopDescriptor = MethodDescriptor(
    service: "bench.Bench", method: "Noop", id: MethodDescriptor.id(forFullName: "/bench.Bench/Noop"), kind: .unary)

/// The request metadata key naming the user a GetCharacter call reads. It stands in for the token check of
/// habit-server's auth interceptor, which is not what is compared here, on every server kind alike.
public let benchUserKey = "bench-user"

/// Users seeded on the server; caller slot `n` reads user `n % benchUserCount`, so no two callers of a
/// run up to this many in flight wait on the same user's store lock.
public let benchUserCount = 256

/// The user name caller `slot` sends.
public func benchUserName(slot: Int) -> String { "bench-\(slot % benchUserCount)" }

/// HabitCore's character service over the in-memory store, behind the real habit.v1 handler.
public struct CharacterBackend: Sendable {
    let handler: CharacterHandler

    /// A store where every bench user has three daily habits, each completed today, so GetCharacter has
    /// XP, coins and streaks to summarise.
    public static func seeded() async throws -> CharacterBackend {
        let environment = HabitEnvironment(store: InMemoryHabitStore())
        let habits = HabitCore.HabitService(environment: environment)
        let completions = HabitCore.CompletionService(environment: environment)
        for index in 0..<benchUserCount {
            let user = try UserID(benchUserName(slot: index))
            for habitIndex in 0..<3 {
                let habit = try await habits.create(user, .init(name: "bench habit \(habitIndex)"))
                _ = try await completions.complete(user, habit.id)
            }
        }
        let application = HabitApplication(environment: environment, logger: Logger(label: "bench.character"))
        return CharacterBackend(handler: CharacterHandler(application: application))
    }

    /// Serves one GetCharacter for the user `userName` names, as habit-server does after authentication.
    public func getCharacter(_ request: GetCharacterRequest, userName: String?, context: ServerCallContext) async throws
        -> GetCharacterResponse
    {
        guard let userName, let user = try? UserID(userName) else {
            throw RPCError(code: .unauthenticated, message: "send the '\(benchUserKey)' metadata")
        }
        var context = context
        context.attributes[AuthenticatedUser.self] = user
        return try await handler.getCharacter(request: request, context: context)
    }
}
