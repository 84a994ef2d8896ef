public import Foundation
public import HabitCore

/// A test environment problem (missing server, probe or tool), reported as a failure rather than a skip.
public struct StoreTestFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    /// A failure with its explanation.
    public init(description: String) { self.description = description }
}

/// Runs `habit-store-crash-probe` (a burst of acknowledged completions) and checks a store against what it
/// acknowledged: the kill -9 durability test for any adapter.
public enum CrashProbe {
    /// What one run printed and how it ended.
    public struct Run: Sendable {
        /// Idempotency keys acknowledged after commit, in order.
        public var acknowledged: [String]
        /// The exit status, or the signal number when killed.
        public var status: Int32
        /// Whether the process ended by a signal.
        public var wasKilled: Bool
    }

    /// The probe binary, built beside the test bundle by `swift build --build-tests`.
    static func executable() throws -> URL {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidate = testBinary.deletingLastPathComponent().appendingPathComponent("habit-store-crash-probe")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw StoreTestFailure(description: "habit-store-crash-probe not found at \(candidate.path); run swift build --build-tests")
        }
        return candidate
    }

    /// Runs the probe for `count` completions of `user` against `store` (`sqlite:PATH` or a postgres URL),
    /// sending SIGKILL as soon as `killAfter` completions were acknowledged (never when nil).
    public static func run(store: String, user: UserID, count: Int, at instant: Date, killAfter: Int?) async throws -> Run {
        let child = try ChildProcess.spawn(
            [try executable().path, store, user.rawValue, String(count), String(Int64(instant.timeIntervalSince1970))],
            capturesOutput: true)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var acknowledged: [String] = []
                let (status, wasKilled) = child.readLinesAndWait { line in
                    guard line.hasPrefix("ack ") else { return }
                    acknowledged.append(String(line.dropFirst(4)))
                    if acknowledged.count == killAfter { kill(child.pid, SIGKILL) }
                }
                continuation.resume(returning: Run(acknowledged: acknowledged, status: status, wasKilled: wasKilled))
            }
        }
    }

    /// Checks that `store` holds exactly one completion per habit for the `count` keys of a finished burst,
    /// one award each in the ledger, an idempotency record for every acknowledged key, and a character whose
    /// XP and coins are the ledger's sums. Returns the problems found (empty when durable and exactly-once).
    public static func problems(in store: any HabitStore, user: UserID, count: Int, acknowledged: [String])
        async throws -> [String]
    {
        try await store.withUserTransaction(user) { transaction in
            var problems: [String] = []
            let entries = try await transaction.entries(habit: nil, from: nil, through: nil)
            if entries.count != count || Set(entries.map(\.habitID)).count != count {
                problems.append("expected \(count) completions on \(count) habits, found \(entries.count)")
            }
            let ledger = try await transaction.ledger(afterSequence: nil, limit: 1000)
            let awards = ledger.filter { $0.kind == .completionAward }
            if awards.count != count || Set(awards.compactMap(\.completionID)) != Set(entries.map(\.id)) {
                problems.append("expected one award per completion, found \(awards.count) for \(entries.count)")
            }
            for key in Set(acknowledged) where try await transaction.idempotencyRecord(key: key) == nil {
                problems.append("acknowledged key \(key) has no idempotency record")
            }
            let sum = ledger.reduce(Award.zero) { $0 + $1.amount }
            let character = try await transaction.loadUser()?.character
            if character?.xp != sum.xp || character?.centiCoins != sum.centiCoins || sum.xp <= 0 {
                problems.append("character \(String(describing: character)) differs from the ledger sum \(sum)")
            }
            return problems
        }
    }
}
