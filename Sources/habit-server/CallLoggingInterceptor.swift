import Logging
import RPCCore
import RPCServer

/// One structured debug line per call (method, call id, peer, status, duration); a warning with the call
/// id and method when the server, not the caller, is at fault. Never logs payloads, metadata or tokens.
struct CallLoggingInterceptor: ServerInterceptor {
    let logger: Logger

    /// Status codes that point at the server rather than at the request.
    static let serverFaults: Set<RPCError.Code> = [.internalError, .unknown, .dataLoss, .unavailable]

    func intercept<Result: Sendable>(
        _ context: ServerCallContext, next: @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result {
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "rpc.method": "\(context.descriptor.fullName)", "rpc.call_id": "\(context.callID)",
            "rpc.peer": "\(context.peer)",
        ]
        do {
            let result = try await next(context)
            metadata["rpc.status"] = "OK"
            metadata["rpc.duration_ms"] = "\(milliseconds(since: started))"
            logger.debug("call", metadata: metadata)
            return result
        } catch {
            let code = (error as? RPCError)?.code ?? .unknown
            metadata["rpc.status"] = "\(code)"
            metadata["rpc.duration_ms"] = "\(milliseconds(since: started))"
            if Self.serverFaults.contains(code) {
                logger.warning("call failed", metadata: metadata)
            } else {
                logger.debug("call", metadata: metadata)
            }
            throw error
        }
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }
}
