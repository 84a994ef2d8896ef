import HabitAuth
import RPCCore
import RPCServer

/// Refuses every call except health with UNAVAILABLE, marked not processed, until the store's schema has been
/// verified once (migrations applied and read back), so no call ever runs against a missing or older schema,
/// and a client may retry the refused call safely. The RPC port listens from the start so that HealthService
/// can say why the server is not serving yet.
struct StartupGateInterceptor: ServerInterceptor {
    let readiness: ReadinessTracker

    /// What a refused call carries.
    static let refusal = RPCError(
        code: .unavailable, message: "the server is starting: store migrations are not applied yet; retry later",
        isNotProcessed: true)

    func intercept<Result: Sendable>(
        _ context: ServerCallContext, next: @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result {
        guard readiness.isSchemaVerified || AuthInterceptor.exemptServices.contains(context.descriptor.service) else {
            throw Self.refusal
        }
        return try await next(context)
    }
}
