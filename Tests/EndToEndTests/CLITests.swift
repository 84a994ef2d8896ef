import Foundation
import HabitAPI
import Testing

/// habit-cli against the real habit-server: JSON calls of every kind, readable errors, exit codes.
@Suite("habit-cli end to end", .serialized)
struct CLITests {
    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs habit-cli with `arguments`, `input` on stdin and the server's secret in the environment.
    static func cli(_ arguments: [String], input: String = "", token: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServerProcess.binaryPath("habit-cli"))
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HABIT_") }
        environment["HABIT_JWT_SECRET"] = ServerProcess.secret
        if let token { environment["HABIT_TOKEN"] = token }
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let error = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            error: String(decoding: error, as: UTF8.self))
    }

    @Test("token, unary, client streaming from stdin, server streaming, health, list and the exit codes")
    func cliAgainstTheServer() async throws {
        let server = try await ServerProcess.start()
        do {
            try await Self.exercise(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private static func exercise(_ server: ServerProcess) async throws {
        let address = ["--address", "127.0.0.1:\(server.port)"]

        let minted = try Self.cli(["token", "--user", "carol"])
        #expect(minted.status == 0)
        let token = minted.output.trimmingCharacters(in: .whitespacesAndNewlines)

        let created = try Self.cli(
            ["call", "HabitService/CreateHabit", #"{"name":"Floss","difficulty":"DIFFICULTY_TRIVIAL","schedule":{"everyDay":{}}}"#]
                + address, token: token)
        #expect(created.status == 0)
        let id = try #require(created.output.split(separator: "\"").dropFirst(5).first.map(String.init))
        #expect(created.output.hasPrefix(#"{"habit":{"id":"\#(id)""#))

        let imported = try Self.cli(
            ["call", "CompletionService/ImportCompletions"] + address,
            input: """
                {"habitId":"\(id)","localDate":{"year":2025,"month":3,"day":1}}
                {"habitId":"\(id)","localDate":{"year":2025,"month":3,"day":2}}

                """, token: token)
        #expect(imported.status == 0)
        #expect(imported.output == #"{"imported":"2"}"# + "\n")

        let listed = try Self.cli(
            ["call", "CompletionService/ListCompletions", #"{"fromDate":{"year":2025,"month":1,"day":1},"batchSize":1}"#]
                + address, token: token)
        #expect(listed.status == 0)
        #expect(listed.output.split(separator: "\n").count == 2)

        let unauthenticated = try Self.cli(["call", "CharacterService/GetCharacter"] + address)
        #expect(unauthenticated.status == 64 + 16)
        #expect(unauthenticated.error.hasPrefix("UNAUTHENTICATED: missing authorization metadata"))

        let notFound = try Self.cli(
            ["call", "HabitService/GetHabit", #"{"habitId":"\#(id)"}"#] + address,
            token: try Self.cli(["token", "--user", "dave"]).output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(notFound.status == 64 + 5)
        #expect(notFound.error.hasPrefix("NOT_FOUND: "))

        #expect(try Self.cli(["call", "NoSuchService/Nothing"] + address).status == 2)
        #expect(try Self.cli(["call", "HabitService/GetHabit", "{not json"] + address, token: token).status == 2)
        let health = try Self.cli(["health"] + address)
        #expect(health.status == 0)
        #expect(health.output == "SERVING_STATUS_SERVING\n")
        #expect(try Self.cli(["list"]).output.split(separator: "\n").count == HabitAPIRegistry.methods.count)
    }
}
