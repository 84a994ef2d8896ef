public import RPCCore

/// The allowance a decision was made against, built from the same GCRA evaluation that decided.
public struct QuotaStatus: Hashable, Sendable {
    /// Which store decided.
    public enum Source: Hashable, Sendable {
        /// The shared Redis quota.
        case redis
        /// This process's limiter: the embedded default, or the fallback while Redis is failing.
        case local
    }

    /// The method class the policy belongs to.
    public var methodClass: String
    /// The burst: requests that fit at once when the allowance is full.
    public var limit: Int
    /// Requests of cost 1 that still fit now.
    public var remaining: Int
    /// Milliseconds to wait before retrying: 0 when allowed, -1 when the cost can never fit.
    public var retryAfterMilliseconds: Int
    /// Milliseconds until the allowance is full again.
    public var resetAfterMilliseconds: Int
    /// Which store decided.
    public var source: Source

    /// Creates a status.
    public init(
        methodClass: String,
        limit: Int,
        remaining: Int,
        retryAfterMilliseconds: Int,
        resetAfterMilliseconds: Int,
        source: Source
    ) {
        self.methodClass = methodClass
        self.limit = limit
        self.remaining = remaining
        self.retryAfterMilliseconds = retryAfterMilliseconds
        self.resetAfterMilliseconds = resetAfterMilliseconds
        self.source = source
    }

    /// Response metadata describing this allowance (see docs/QUOTAS.md for the keys).
    public var metadata: Metadata {
        var metadata = Metadata()
        if retryAfterMilliseconds > 0 {
            metadata.add(QuotaMetadataKey.retryAfterMilliseconds, String(retryAfterMilliseconds))
        }
        metadata.add(QuotaMetadataKey.limit, String(limit))
        metadata.add(QuotaMetadataKey.remaining, String(remaining))
        metadata.add(QuotaMetadataKey.resetMilliseconds, String(resetAfterMilliseconds))
        metadata.add(QuotaMetadataKey.methodClass, methodClass)
        return metadata
    }
}

/// The response metadata keys of quota decisions.
public enum QuotaMetadataKey {
    /// Milliseconds the client must wait before retrying; only on denials that can succeed later.
    public static let retryAfterMilliseconds = "retry-after-ms"
    /// The burst of the policy that applied.
    public static let limit = "quota-limit"
    /// Calls of cost 1 that still fit now.
    public static let remaining = "quota-remaining"
    /// Milliseconds until the allowance is full again.
    public static let resetMilliseconds = "quota-reset-ms"
    /// The method class whose policy applied, for example `write`.
    public static let methodClass = "quota-class"
}

/// What a quota check decided. Only `.allowed` lets the call run; for every other case the
/// interceptor answers `rejection` and must not execute the handler.
public enum QuotaDecision: Hashable, Sendable {
    /// Run the call. The status is nil when no policy applies or Redis failed open.
    case allowed(QuotaStatus?)
    /// Over quota: do not run the call; answer `RESOURCE_EXHAUSTED`.
    case denied(QuotaStatus)
    /// Redis is failing and the policy fails closed: do not run the call; answer `UNAVAILABLE`.
    case backendUnavailable(methodClass: String)

    /// Whether the call may run.
    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }

    /// The error to answer instead of running the call, or nil when it may run.
    ///
    /// Both errors are marked `isNotProcessed`, so clients may retry any method safely.
    public var rejection: RPCError? {
        switch self {
        case .allowed:
            return nil
        case .denied(let status):
            let message =
                status.retryAfterMilliseconds < 0
                ? "the call's cost exceeds the \(status.methodClass) quota's burst of \(status.limit)"
                : "\(status.methodClass) quota exceeded; retry after \(status.retryAfterMilliseconds) ms"
            return RPCError(code: .resourceExhausted, message: message, isNotProcessed: true, metadata: status.metadata)
        case .backendUnavailable(let methodClass):
            return RPCError(
                code: .unavailable,
                message: "the quota service is unavailable and the \(methodClass) quota fails closed",
                isNotProcessed: true,
                metadata: [QuotaMetadataKey.methodClass: .text(methodClass)]
            )
        }
    }
}
