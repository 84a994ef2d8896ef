public import NIOCore
public import ProtoRuntime

/// Per-call options a client sets.
public struct CallOptions: Sendable {
    /// The call's budget; sent to the server as relative time.
    public var timeout: Duration?
    /// Request metadata, for example `authorization`.
    public var metadata: Metadata
    /// Whether the call may be retried after it may have been processed.
    public var isIdempotent: Bool

    public init(timeout: Duration? = nil, metadata: Metadata = [:], isIdempotent: Bool = false) {
        self.timeout = timeout
        self.metadata = metadata
        self.isIdempotent = isIdempotent
    }
}

/// Carries calls to a server; generated client stubs are written against this.
public protocol RPCClientTransport: Sendable {
    /// Sends one request payload and returns the one response payload, or throws ``RPCError``.
    func unary(_ method: MethodDescriptor, request: ByteBuffer, options: CallOptions) async throws -> ByteBuffer

    /// Runs a streaming call: `requests` writes the request payloads (returning half-closes), and
    /// `responses` reads the response payloads; the call ends when both are done.
    func streaming<Result: Sendable>(
        _ method: MethodDescriptor,
        options: CallOptions,
        requests: @escaping @Sendable (RPCWriter<ByteBuffer>) async throws -> Void,
        responses: @escaping @Sendable (RPCAsyncSequence<ByteBuffer>) async throws -> Result
    ) async throws -> Result
}

extension RPCClientTransport {
    /// A typed unary call.
    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        request: Request,
        responseType: Response.Type = Response.self,
        options: CallOptions
    ) async throws -> Response {
        let payload = try await unary(method, request: request.encodedBuffer(), options: options)
        return try Response(decoding: payload)
    }

    /// A typed server-streaming call: `body` reads the responses.
    public func serverStreaming<Request: ProtoMessage, Response: ProtoMessage, Result: Sendable>(
        _ method: MethodDescriptor,
        request: Request,
        responseType: Response.Type = Response.self,
        options: CallOptions,
        body: @escaping @Sendable (RPCAsyncSequence<Response>) async throws -> Result
    ) async throws -> Result {
        let payload = request.encodedBuffer()
        return try await streaming(
            method,
            options: options,
            requests: { try await $0.write(payload) },
            responses: { try await body($0.map { try Response(decoding: $0) }) }
        )
    }

    /// A typed client-streaming call: `requests` writes the requests; returns the one response.
    public func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: MethodDescriptor,
        requestType: Request.Type = Request.self,
        responseType: Response.Type = Response.self,
        options: CallOptions,
        requests: @escaping @Sendable (RPCWriter<Request>) async throws -> Void
    ) async throws -> Response {
        try await streaming(
            method,
            options: options,
            requests: { try await requests($0.map { $0.encodedBuffer() }) },
            responses: { responses in
                var iterator = responses.makeAsyncIterator()
                guard let payload = try await iterator.next() else {
                    throw RPCError(code: .internalError, message: "\(method) ended without a response message")
                }
                return try Response(decoding: payload)
            }
        )
    }

    /// A typed bidirectional-streaming call.
    public func bidirectionalStreaming<Request: ProtoMessage, Response: ProtoMessage, Result: Sendable>(
        _ method: MethodDescriptor,
        requestType: Request.Type = Request.self,
        responseType: Response.Type = Response.self,
        options: CallOptions,
        requests: @escaping @Sendable (RPCWriter<Request>) async throws -> Void,
        responses: @escaping @Sendable (RPCAsyncSequence<Response>) async throws -> Result
    ) async throws -> Result {
        try await streaming(
            method,
            options: options,
            requests: { try await requests($0.map { $0.encodedBuffer() }) },
            responses: { try await responses($0.map { try Response(decoding: $0) }) }
        )
    }
}
