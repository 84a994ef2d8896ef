import HabitCore
import HabitHandlers
public import RPCCore
public import RPCServer

/// Authenticates every call except health checks from its `authorization: Bearer <JWT>` metadata and puts
/// the token's subject in the call's attributes as ``AuthenticatedUser``.
///
/// Failures are UNAUTHENTICATED and NOT_PROCESSED; their messages say what is wrong without echoing the token.
public struct AuthInterceptor: ServerInterceptor {
    /// Services callable without a token (load balancer probes).
    public static let exemptServices: Set<String> = ["habit.v1.HealthService"]

    private let authority: TokenAuthority

    /// An interceptor verifying tokens with `authority`.
    public init(authority: TokenAuthority) { self.authority = authority }

    public func intercept<Result: Sendable>(
        _ context: ServerCallContext, next: @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result {
        guard !Self.exemptServices.contains(context.descriptor.service) else { return try await next(context) }
        guard let header = context.metadata.firstText("authorization") else {
            throw Self.unauthenticated("missing authorization metadata; send 'authorization: Bearer <token>'")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.unauthenticated("authorization metadata must be 'Bearer <token>'")
        }
        let subject: String
        do {
            subject = try await authority.verify(String(parts[1]))
        } catch {
            throw Self.unauthenticated(error.description)
        }
        guard let user = try? UserID(subject) else {
            throw Self.unauthenticated("the bearer token's subject must be 1 to 128 bytes")
        }
        var context = context
        context.attributes[AuthenticatedUser.self] = user
        return try await next(context)
    }

    private static func unauthenticated(_ message: String) -> RPCError {
        RPCError(code: .unauthenticated, message: message, isNotProcessed: true)
    }
}
