public import Logging
public import RPCCore

/// One structured debug line per call (method, call id, peer, status, duration); a warning with the call
/// id and method when the server, not the caller, is at fault. Never logs payloads or metadata, so no
/// token or other secret a client sends can reach the log.
public struct CallLoggingInterceptor: ServerInterceptor {
    /// Status codes that point at the server rather than at the request.
    public static let serverFaults: Set<RPCError.Code> = [.internalError, .unknown, .dataLoss, .unavailable]

    private let logger: Logger

    /// Logs through `logger`; its level decides whether the per-call lines appear (they are `debug`).
    public init(logger: Logger) { self.logger = logger }

    public func intercept<Result: Sendable>(
        _ context: ServerCallContext, next: @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result {
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "rpc.method": "\(context.descriptor.fullName)", "rpc.call_id": "\(context.callID)",
            "rpc.peer": "\(context.peer)",
        ]
        do {
            let result = try await next(context)
            metadata["rpc.status"] = "\(CallStatus.ok)"
            metadata["rpc.duration_ms"] = "\(Self.milliseconds(ContinuousClock.now - started))"
            logger.debug("call", metadata: metadata)
            return result
        } catch {
            let code = CallStatus.code(of: error, in: context)
            metadata["rpc.status"] = "\(code)"
            metadata["rpc.duration_ms"] = "\(Self.milliseconds(ContinuousClock.now - started))"
            if Self.serverFaults.contains(code) {
                logger.warning("call failed", metadata: metadata)
            } else {
                logger.debug("call", metadata: metadata)
            }
            throw error
        }
    }

    /// Whole milliseconds, rounded down.
    private static func milliseconds(_ elapsed: Duration) -> Int64 {
        elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }
}
