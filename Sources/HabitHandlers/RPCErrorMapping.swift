public import HabitCore
import Logging
public import RPCCore

/// The authenticated caller of a call, set in ``ServerCallContext/attributes`` by the auth interceptor.
public enum AuthenticatedUser: CallAttributeKey {
    /// The user the call acts for.
    public typealias Value = UserID
}

extension ServerCallContext {
    /// The authenticated user; UNAUTHENTICATED when no interceptor vouched for one (a wiring error
    /// must never turn into an anonymous call).
    func authenticatedUser() throws(RPCError) -> UserID {
        guard let user = attributes[AuthenticatedUser.self] else {
            throw RPCError(code: .unauthenticated, message: "this method needs an authenticated user")
        }
        return user
    }
}

/// Maps every error a handler can see to the one error type that crosses the wire.
///
/// Domain codes map one to one; store failures and broken invariants are logged here with the call id and
/// answered with a fixed message, so no internal detail (SQL, hostnames, stack) reaches a client.
enum RPCErrorMapping {
    /// The wire status of `error`.
    static func rpcError(_ error: any Error, context: ServerCallContext, logger: Logger) -> RPCError {
        if let error = error as? RPCError { return error }
        guard let error = error as? HabitError else {
            if error is CancellationError { return RPCError(code: .cancelled, message: "the call was cancelled") }
            logWarning(error, context: context, logger: logger)
            return RPCError(code: .internalError, message: "internal error")
        }
        switch error.code {
        case .invalidArgument: return RPCError(code: .invalidArgument, message: error.message)
        case .notFound: return RPCError(code: .notFound, message: error.message)
        case .alreadyExists: return RPCError(code: .alreadyExists, message: error.message)
        case .failedPrecondition: return RPCError(code: .failedPrecondition, message: error.message)
        case .aborted: return RPCError(code: .aborted, message: error.message)
        case .unavailable:
            logWarning(error, context: context, logger: logger)
            return RPCError(code: .unavailable, message: "the store is unavailable; retry later")
        default:
            logWarning(error, context: context, logger: logger)
            return RPCError(code: .internalError, message: "internal error")
        }
    }

    private static func logWarning(_ error: any Error, context: ServerCallContext, logger: Logger) {
        logger.warning(
            "call failed",
            metadata: [
                "rpc.method": "\(context.descriptor.fullName)", "rpc.call_id": "\(context.callID)",
                "error": "\(error)",
            ])
    }

    /// Runs `body`, mapping whatever it throws.
    static func mapping<T: Sendable>(
        _ context: ServerCallContext, logger: Logger, _ body: () async throws -> T
    ) async throws(RPCError) -> T {
        do {
            return try await body()
        } catch {
            throw rpcError(error, context: context, logger: logger)
        }
    }
}

/// Charges a quota per streamed message (imports cost one unit per entry); set by the quota interceptor.
public enum MessageQuota: CallAttributeKey {
    /// Charges `cost` units or throws the rejection (RESOURCE_EXHAUSTED or UNAVAILABLE).
    public typealias Value = @Sendable (_ cost: Int) async throws -> Void
}
