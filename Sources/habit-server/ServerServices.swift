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

/// Keeps the Redis client open while the server runs and shuts it down last.
struct RedisClientService: Service {
    let client: RedisClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
