public import HabitCore
public import Logging
public import ServiceLifecycle

/// Closes the days of users whose day ended, on a timer, as a lifecycle service beside the event loops.
///
/// Each pass runs in the service group's task on Swift's global executor, never on an event loop, so a slow
/// store blocks no connection. Each user is rolled over in one store transaction guarded by the watermark
/// compare-and-set, so two instances (or a worker and a user's own call) never close the same day twice; a
/// restart catches up, because the store lists every user whose next rollover instant has passed. A pass that
/// fails is logged and retried after `interval`; graceful shutdown stops the worker between two users.
public struct RolloverWorker: Service {
    /// The rollover use case over the server's store and clock.
    public let rollover: RolloverService
    /// The pause after a pass that left nothing known to be due (or failed).
    public let interval: Duration
    /// Users handled per pass; a full pass that made progress is followed by the next one at once.
    public let batchSize: Int
    private let logger: Logger

    /// A worker running `rollover` every `interval`, at most `batchSize` users per pass.
    public init(rollover: RolloverService, interval: Duration, batchSize: Int = 500, logger: Logger) {
        self.rollover = rollover
        self.interval = interval
        self.batchSize = max(1, batchSize)
        self.logger = logger
    }

    /// Runs passes until graceful shutdown or cancellation.
    public func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await pass() { continue }
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
    }

    /// Runs one pass and logs what it did; true when more users are due right now (a full batch that made
    /// progress), so the next pass should not wait. A batch of failures only waits: retrying them at once
    /// would spin.
    private func pass() async -> Bool {
        let summary: RolloverService.PassSummary
        do {
            summary = try await rollover.rollOverDueUsers(limit: batchSize)
        } catch {
            logger.warning("rollover pass failed; retrying after the interval", metadata: ["error": "\(error)"])
            return false
        }
        if let first = summary.failures.first {
            logger.warning(
                "rollover failed for some users; they are retried on the next pass",
                metadata: [
                    "rollover.failures": "\(summary.failures.count)", "rollover.user": "\(first.user)",
                    "error": "\(first.error)",
                ])
        }
        if !summary.rolledOver.isEmpty {
            logger.info("rollover pass", metadata: ["rollover.users": "\(summary.rolledOver.count)"])
        }
        return summary.dueCount >= batchSize && !summary.rolledOver.isEmpty
    }
}
