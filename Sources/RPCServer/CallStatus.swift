public import RPCCore

/// The status a call ends with, named as the wire names it (`OK`, `NOT_FOUND`, ...): what the logging and
/// metrics interceptors report, so a log line, a counter and the client all agree.
public enum CallStatus {
    /// The name of a successful call's status.
    public static let ok = "OK"

    /// The code a call whose handler (or a later interceptor) threw `error` is answered with.
    ///
    /// An ``RPCError`` keeps its code; anything else is INTERNAL, as the server answers it. A cancellation
    /// after the call's deadline is DEADLINE_EXCEEDED (the server cancels the handler when the deadline
    /// fires and answers with that code); any other cancellation is CANCELLED.
    public static func code(
        of error: any Error, in context: ServerCallContext, now: ContinuousClock.Instant = .now
    ) -> RPCError.Code {
        let isCancellation = error is CancellationError || (error as? RPCError)?.code == .cancelled
        if isCancellation, let deadline = context.deadline, now >= deadline { return .deadlineExceeded }
        if error is CancellationError { return .cancelled }
        return (error as? RPCError)?.code ?? .internalError
    }
}
