public import RPCCore

/// Runs around every call before its handler: authentication, quotas, logging and metrics plug in here.
///
/// An interceptor sees the call's context (method, metadata, deadline, peer, call id, attributes). It
/// may reject the call by throwing an ``RPCError`` without calling `next` (set `isNotProcessed` so the
/// client may retry safely), pass on a changed context (for example with the authenticated user in
/// `attributes`), or wrap `next` to time or log it. The server calls `next` with the handler when the
/// chain is empty, so a server without interceptors pays nothing for the chain.
public protocol ServerInterceptor: Sendable {
    /// Intercepts one call; `next` runs the rest of the chain and the handler.
    func intercept<Result: Sendable>(
        _ context: ServerCallContext,
        next: @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result
}

/// The interceptors of a server, applied in order (the first is outermost).
struct InterceptorChain: Sendable {
    let interceptors: [any ServerInterceptor]

    /// Runs `body` behind every interceptor from `index` on.
    func run<Result: Sendable>(
        _ context: ServerCallContext,
        from index: Int = 0,
        _ body: @escaping @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result {
        guard index < interceptors.count else { return try await body(context) }
        return try await interceptors[index].intercept(context) { context in
            try await self.run(context, from: index + 1, body)
        }
    }
}
