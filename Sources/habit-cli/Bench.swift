import ArgumentParser
import Foundation
import HabitAuth
import LoadGenerator
import NIOCore
import RPCClient
import RPCCore

extension HabitCLI {
    /// `bench`: load generator with a method mix over synthetic users, closed or open loop.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load-tests habit-server: a method mix over synthetic users, closed loop (--in-flight) or "
                + "open loop (--rate, latency from the intended send time), HdrHistogram percentiles.",
            discussion: """
                Exit codes: 0 the run completed (failed calls are counted, not fatal); 1 the run was aborted \
                (a connection closed) or the server cannot be reached; 2 bad options; 64 + status code when \
                creating the users' habits fails.
                """)

        @Option(help: "host:port of habit-server (HABIT_ADDRESS, default 127.0.0.1:7420).")
        var address: String?
        @Option(help: "Connections to open (default 1).")
        var connections = 1
        @Option(help: "Closed loop: calls kept in flight on each connection (default 16).")
        var inFlight = 16
        @Option(help: "Open loop: calls per second, sent on schedule whatever the server does (unset: closed loop).")
        var rate: Double?
        @Option(help: "Open loop: most calls outstanding; beyond it due calls wait, and the wait counts (default 10000).")
        var maxInFlight = 10_000
        @Option(help: "Seconds measured after the warm-up (default 10; ignored with --calls).")
        var duration: Double = 10
        @Option(help: "Stop after this many measured calls instead of after --duration.")
        var calls: Int?
        @Option(help: "Seconds of warm-up before measuring; its calls are not counted (default 2).")
        var warmup: Double = 2
        @Option(help: "Per-call deadline in seconds (default 5); outstanding calls get as long again at the end.")
        var timeout: Double = 5
        @Option(
            help: ArgumentHelp(
                "Method=weight pairs, e.g. GetCharacter=70,CompleteHabit=25,ListHabits=5. Methods: "
                    + BenchMethod.allCases.map(\.rawValue).joined(separator: ", ") + "."))
        var mix = "GetCharacter=70,CompleteHabit=25,ListHabits=5"
        @Option(help: "Synthetic users to create, each with its own token and habits (default 100).")
        var users = 100
        @Option(help: "Habits created per user (1 to 20, within the default write burst; default 3).")
        var habitsPerUser = 3
        @Option(help: "Prefix of the synthetic user names (default bench-<random>, fresh users every run).")
        var userPrefix: String?
        @Option(help: "File with one bearer token per line: use these users instead of minting tokens.")
        var tokensFile: String?
        @Option(help: "Data directory of the server, for its development secret (HABIT_DATA_DIR, default ./data).")
        var dataDir: String?
        @Flag(help: "Print the report as JSON on stdout (schema in the README).")
        var json = false

        func run() async throws {
            try await runReportingFailures {
                let plan = try makePlan()
                let methods = BenchMethod.allCases.map(\.rawValue)
                let mix: MethodMix
                do {
                    mix = try MethodMix(parsing: self.mix, available: methods)
                } catch {
                    throw CLIFailure.usage("\(error)")
                }
                guard (1...20).contains(habitsPerUser) else {
                    throw CLIFailure.usage("--habits-per-user must be from 1 to 20, got \(habitsPerUser)")
                }
                let tokens = try await makeTokens()
                let address = try ConnectionOptions.socketAddress(address)
                let report = try await measure(plan: plan, mix: mix, tokens: tokens, address: address)
                print(json ? report.jsonString() : report.text())
                if report.abortReason != nil { throw ExitCode(1) }
            }
        }

        private func makePlan() throws -> LoadPlan {
            for (name, value) in [("--duration", duration), ("--warmup", warmup), ("--timeout", timeout)]
            where !value.isFinite || value > 86_400 {
                throw CLIFailure.usage("\(name) must be a number of seconds up to 86400, got \(value)")
            }
            guard timeout > 0 else { throw CLIFailure.usage("--timeout must be positive") }
            let shape: LoadPlan.Shape =
                if let rate {
                    .openLoop(connections: connections, callsPerSecond: rate, maxInFlight: maxInFlight)
                } else {
                    .closedLoop(connections: connections, inFlightPerConnection: inFlight)
                }
            do {
                return try LoadPlan(
                    shape: shape, stop: calls.map { .calls($0) } ?? .after(.seconds(duration)),
                    warmup: .seconds(warmup),
                    drainTimeout: .seconds(timeout) + .seconds(1))
            } catch {
                throw CLIFailure.usage(error.message)
            }
        }

        /// The tokens of the synthetic users: read from --tokens-file, or minted for fresh user names.
        private func makeTokens() async throws -> [String] {
            if let tokensFile {
                let text: String
                do {
                    text = try String(contentsOfFile: tokensFile, encoding: .utf8)
                } catch {
                    throw CLIFailure.usage("cannot read --tokens-file \(tokensFile): \(error.localizedDescription)")
                }
                let tokens = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                guard !tokens.isEmpty else { throw CLIFailure.usage("--tokens-file \(tokensFile) has no token") }
                return tokens
            }
            guard (1...100_000).contains(users) else {
                throw CLIFailure.usage("--users must be from 1 to 100000, got \(users)")
            }
            let prefix = userPrefix ?? "bench-\(String(UInt32.random(in: .min ... .max), radix: 16))"
            let authority = try await tokenAuthority(dataDirectory: dataDir)
            var tokens: [String] = []
            for number in 0..<users {
                do {
                    tokens.append(try await authority.mint(user: "\(prefix)-\(number)", lifetime: .seconds(86_400)))
                } catch {
                    throw CLIFailure.other("cannot sign a token for \(prefix)-\(number)")
                }
            }
            return tokens
        }

        /// Connects, creates the users' habits, runs the plan and closes the connections.
        private func measure(plan: LoadPlan, mix: MethodMix, tokens: [String], address: SocketAddress) async throws
            -> BenchmarkReport
        {
            var connections: [ClientConnection] = []
            do {
                for _ in 0..<plan.connections { connections.append(try await ClientConnection.connect(to: address)) }
                let clock = ContinuousClock()
                let setupStart = clock.now
                let workload = try await BenchWorkload.create(
                    tokens: tokens, habitsPerUser: habitsPerUser,
                    methods: mix.entries.compactMap { BenchMethod(rawValue: $0.method) }, connections: connections,
                    timeout: .seconds(timeout))
                let setup = (clock.now - setupStart).components
                let setupSeconds = Double(setup.seconds) + Double(setup.attoseconds) / 1e18
                printError(
                    "habit-cli bench: \(tokens.count) users x \(habitsPerUser) habits ready in "
                        + String(format: "%.1f s", setupSeconds))
                let isTerminal = ProgressLine.isStandardErrorATerminal
                var report = await LoadRunner(plan: plan, mix: mix).run(
                    call: { slot in await workload.call(slot) }, abortReason: { workload.lostConnection() },
                    progress: isTerminal ? ProgressLine.show : nil)
                if isTerminal { ProgressLine.clear() }
                report.workload = [
                    "address": ConnectionOptions.addressText(self.address), "users": "\(tokens.count)",
                    "habits_per_user": "\(habitsPerUser)",
                    "mix": mix.entries.map { "\($0.method)=\($0.weight)" }.joined(separator: ","),
                ]
                for connection in connections { await connection.close() }
                return report
            } catch {
                for connection in connections { await connection.close() }
                throw CLIFailure.from(error)
            }
        }
    }
}

/// The live progress line on standard error, redrawn in place; shown only when standard error is a terminal.
enum ProgressLine {
    static var isStandardErrorATerminal: Bool { isatty(STDERR_FILENO) == 1 }

    @Sendable static func show(_ snapshot: ProgressSnapshot) {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + snapshot.line).utf8))
    }

    static func clear() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
