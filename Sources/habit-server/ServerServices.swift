import HabitAPI
import HabitCore
import HabitHandlers
import Logging
import RedisQuota
import RPCServer
import ServiceLifecycle

/// The RPC server as a lifecycle service: on graceful shutdown it reports NOT_SERVING (draining), stops accepting,
/// and lets in-flight calls finish within the drain grace period before `run()` returns.
struct RPCServerService: Service {
    let server: RPCServer
    let readiness: ReadinessTracker

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.run()
        } onGracefulShutdown: {
            readiness.update { $0.isDraining = true }
            server.beginGracefulShutdown()
        }
    }
}

/// Closes the days of users whose day ended, on a timer, beside the event loops (never on one).
///
/// Each user is rolled over in one store transaction guarded by the watermark compare-and-set, so two
/// instances (or a worker and a user's own call) never close the same day twice; a restart catches up,
/// because the store lists every user whose next rollover instant has passed.
struct RolloverWorker: Service {
    let rollover: RolloverService
    let interval: Duration
    let logger: Logger
    /// Users handled per pass.
    static let batchSize = 500

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let summary = try await rollover.rollOverDueUsers(limit: Self.batchSize)
                    if !summary.rolledOver.isEmpty || !summary.failures.isEmpty {
                        logger.info(
                            "rollover pass",
                            metadata: [
                                "rollover.users": "\(summary.rolledOver.count)",
                                "rollover.failures": "\(summary.failures.count)",
                            ])
                    }
                    // A full batch means more users are due: go again without sleeping.
                    if summary.rolledOver.count + summary.failures.count >= Self.batchSize { continue }
                } catch {
                    logger.warning("rollover pass failed", metadata: ["error": "\(error)"])
                }
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
    }
}

/// Keeps the Redis client open while the server runs and shuts it down last.
struct RedisClientService: Service {
    let client: RedisClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
