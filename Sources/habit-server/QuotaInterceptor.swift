import HabitAuth
import HabitCore
import HabitHandlers
import RedisQuota
import RPCCore
import RPCServer

/// Applies the per-user quotas after authentication: `read` for Get/List methods, `write` for the other
/// mutations, and `import` for ImportCompletions, charged one unit per streamed entry.
struct QuotaInterceptor: ServerInterceptor {
    let limiter: QuotaLimiter

    /// The quota class of a method; nil for methods without a quota (health).
    static func methodClass(of descriptor: MethodDescriptor) -> String? {
        if AuthInterceptor.exemptServices.contains(descriptor.service) { return nil }
        if descriptor.method == "ImportCompletions" { return "import" }
        if descriptor.method.hasPrefix("Get") || descriptor.method.hasPrefix("List") { return "read" }
        return "write"
    }

    func intercept<Result: Sendable>(
        _ context: ServerCallContext, next: @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result {
        guard let methodClass = Self.methodClass(of: context.descriptor),
            let user = context.attributes[AuthenticatedUser.self]?.rawValue
        else { return try await next(context) }
        var context = context
        if methodClass == "import" {
            let limiter = limiter
            // Charged per message while the stream runs: earlier messages may already be applied, so a
            // rejection here never claims the call was not processed.
            context.attributes[MessageQuota.self] = { cost in
                if var rejection = await limiter.check(user: user, methodClass: methodClass, cost: cost).rejection {
                    rejection.isNotProcessed = false
                    throw rejection
                }
            }
        } else if let rejection = await limiter.check(user: user, methodClass: methodClass).rejection {
            throw rejection
        }
        return try await next(context)
    }
}
