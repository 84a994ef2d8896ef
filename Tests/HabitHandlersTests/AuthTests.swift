import Foundation
import HabitAPI
import HabitAuth
import RPCCore
import Testing

@Suite("Authentication")
struct AuthTests {
    @Test("a call without, with a malformed, a forged or an expired token is UNAUTHENTICATED and says why")
    func refusesBadTokens() async throws {
        try await HabitTestServer.run { server in
            let request = GetCharacterRequest()
            let missing = await errorOf { _ = try await server.characters.getCharacter(request) }
            #expect(missing?.code == .unauthenticated)
            #expect(missing?.message.contains("missing authorization") == true)

            let notBearer = CallOptions(metadata: ["authorization": .text("Basic abc")])
            #expect(await errorOf { _ = try await server.characters.getCharacter(request, options: notBearer) }?.code == .unauthenticated)

            let forger = await TokenAuthority(
                secret: try JWTSecret(bytes: Array("another-secret-another-secret-0123".utf8), source: .environment))
            let forged = try await forger.mint(user: "alice", lifetime: .seconds(600))
            let forgedError = await errorOf {
                _ = try await server.characters.getCharacter(
                    request, options: CallOptions(metadata: ["authorization": .text("Bearer \(forged)")]))
            }
            #expect(forgedError?.code == .unauthenticated)
            #expect(forgedError?.message.contains(forged) == false)

            let expired = try await server.authority.mint(
                user: "alice", lifetime: .seconds(60), now: Date().addingTimeInterval(-3600))
            let expiredError = await errorOf {
                _ = try await server.characters.getCharacter(
                    request, options: CallOptions(metadata: ["authorization": .text("Bearer \(expired)")]))
            }
            #expect(expiredError?.code == .unauthenticated)
            #expect(expiredError?.message == "the bearer token has expired")
        }
    }

    @Test("health checks need no token; every other service does")
    func healthIsExempt() async throws {
        try await HabitTestServer.run { server in
            #expect(try await server.health.check(HealthCheckRequest()).status == .serving)
            #expect(await errorOf { _ = try await server.habits.listHabits(ListHabitsRequest()) }?.code == .unauthenticated)
            let valid = try await server.options("alice")
            #expect(try await server.habits.listHabits(ListHabitsRequest(), options: valid).habits.isEmpty)
        }
    }

    @Test("the development secret is generated once with mode 0600 and reused")
    func developmentSecret() throws {
        let directory = NSTemporaryDirectory() + "habit-secret-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: JWTSecret.ResolutionError.self) {
            try JWTSecret.resolve(environment: [:], dataDirectory: directory, generateIfMissing: false)
        }
        let first = try JWTSecret.resolve(environment: [:], dataDirectory: directory, generateIfMissing: true)
        let path = directory + "/" + JWTSecret.developmentFileName
        #expect(first.source == .generatedDevelopmentFile(path))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let second = try JWTSecret.resolve(environment: [:], dataDirectory: directory, generateIfMissing: false)
        #expect(second.source == first.source)
        #expect(!"\(second)".contains(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let fromEnvironment = try JWTSecret.resolve(
            environment: ["HABIT_JWT_SECRET": HabitTestServer.secret], dataDirectory: directory, generateIfMissing: false)
        #expect(fromEnvironment.source == .environment)
    }
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
