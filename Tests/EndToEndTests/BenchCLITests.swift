import Foundation
import Testing

/// `habit-cli bench` against the real habit-server: it creates its users, its counts add up, and it always exits.
@Suite("habit-cli bench end to end", .serialized)
struct BenchCLITests {
    /// Runs a bench with `arguments` and `--json`, checks it exited 0, and returns the decoded report.
    static func bench(_ arguments: [String]) throws -> [String: Any] {
        let run = try CLITests.cli(["bench", "--json"] + arguments)
        #expect(run.status == 0, "stderr: \(run.error)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
    }

    /// The checks every completed report must pass: per-status and per-method counts add up, some calls were OK.
    static func expectConsistent(_ report: [String: Any], calls expected: Int) throws {
        let calls = try #require(report["calls"] as? Int)
        #expect(calls == expected)
        let statuses = try #require(report["status_counts"] as? [String: Int])
        #expect(statuses.values.reduce(0, +) == calls)
        #expect((statuses["OK"] ?? 0) > 0, "status counts: \(statuses)")
        let methods = try #require(report["methods"] as? [[String: Any]])
        #expect(methods.compactMap { $0["calls"] as? Int }.reduce(0, +) == calls)
        for method in methods {
            let counts = try #require(method["status_counts"] as? [String: Int])
            #expect(counts.values.reduce(0, +) == method["calls"] as? Int)
        }
        #expect(report["unfinished_calls"] as? Int == 0)
        #expect(report["abort_reason"] == nil)
        let latency = try #require(report["latency_us"] as? [String: Double])
        #expect((latency["p50"] ?? 0) <= (latency["p99"] ?? 0))
        #expect((latency["p99"] ?? 0) <= (latency["max"] ?? 0))
    }

    @Test("closed and open loop over unary and streaming methods: counts add up, OK calls, exit 0; bad mix exits 2")
    func benchRuns() async throws {
        let store = TestStore.freshSQLite()
        let server = try await ServerProcess.start(store: store)
        defer { store.remove() }
        do {
            // A long per-call deadline, so a loaded machine gives slow calls, not DEADLINE_EXCEEDED ones.
            let address = [
                "--address", "127.0.0.1:\(server.port)", "--users", "6", "--habits-per-user", "2", "--timeout", "60",
            ]
            let mix = ["--mix", "GetCharacter=5,CompleteHabit=2,ListHabits=2,ListLedger=1,ListCompletions=1"]

            let closed = try Self.bench(
                address + mix + ["--calls", "300", "--warmup", "0", "--connections", "2", "--in-flight", "4"])
            try Self.expectConsistent(closed, calls: 300)
            #expect((closed["load"] as? [String: Any])?["mode"] as? String == "closed")
            let names = (closed["methods"] as? [[String: Any]])?.compactMap { $0["method"] as? String }
            #expect(names == ["GetCharacter", "CompleteHabit", "ListHabits", "ListLedger", "ListCompletions"])

            let open = try Self.bench(address + mix + ["--rate", "400", "--calls", "200", "--warmup", "0.1"])
            try Self.expectConsistent(open, calls: 200)
            #expect((open["load"] as? [String: Any])?["mode"] as? String == "open")

            let bad = try CLITests.cli(["bench", "--mix", "GetCharacter=70,Nope=30"] + address)
            #expect(bad.status == 2)
            #expect(bad.error.contains(#"invalid --mix: unknown method "Nope""#))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("when the server dies mid-run, bench counts the failures and exits by itself with status 1")
    func benchSurvivesServerDeath() async throws {
        let store = TestStore.freshSQLite()
        let server = try await ServerProcess.start(store: store)
        defer { store.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServerProcess.binaryPath("habit-cli"))
        process.arguments = [
            "bench", "--json", "--address", "127.0.0.1:\(server.port)", "--users", "2", "--duration", "3600",
            "--warmup", "0", "--timeout", "2",
        ]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HABIT_") }
        environment["HABIT_JWT_SECRET"] = ServerProcess.secret
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Wait until the setup is done (its line on stderr), then kill the server without letting it drain.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("ready in"), process.isRunning {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(server.process.processIdentifier, SIGKILL)
        for _ in 0..<2400 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            process.terminate()
            Issue.record("habit-cli bench did not exit within 120 s of the server's death")
        }
        process.waitUntilExit()
        await server.stop()
        #expect(process.terminationStatus == 1)
        let report = try #require(
            try JSONSerialization.jsonObject(with: output.fileHandleForReading.readDataToEndOfFile()) as? [String: Any])
        #expect((report["abort_reason"] as? String)?.contains("closed") == true)
        let calls = try #require(report["calls"] as? Int)
        let statuses = try #require(report["status_counts"] as? [String: Int])
        #expect(statuses.values.reduce(0, +) == calls)
    }
}
