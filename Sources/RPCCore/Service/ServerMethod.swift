public import NIOCore
public import ProtoRuntime

/// One method as the server runtime dispatches it: a descriptor and a handler over raw payloads.
///
/// Generated code builds these with the typed factories below, so decoding and encoding happen in
/// one place and the runtime never sees message types. Unary calls get their own case because
/// they are the hot path: no stream, no writer, one payload in and one out.
public struct ServerMethod: Sendable {
    /// A raw handler.
    public enum Handler: Sendable {
        /// One request payload in, one response payload out.
        case unary(@Sendable (ByteBuffer, ServerCallContext) async throws -> ByteBuffer)
        /// Any streaming shape; the runtime enforces the message counts the descriptor's kind allows.
        case streaming(@Sendable (RPCAsyncSequence<ByteBuffer>, RPCWriter<ByteBuffer>, ServerCallContext) async throws -> Void)
    }

    public let descriptor: MethodDescriptor
    public let handler: Handler

    public init(descriptor: MethodDescriptor, handler: Handler) {
        self.descriptor = descriptor
        self.handler = handler
    }
}

extension ServerMethod {
    /// A unary method from a typed handler.
    public static func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ descriptor: MethodDescriptor,
        _ body: @escaping @Sendable (Request, ServerCallContext) async throws -> Response
    ) -> ServerMethod {
        ServerMethod(descriptor: descriptor, handler: .unary { payload, context in
            let response = try await body(Request(decoding: payload), context)
            return response.encodedBuffer()
        })
    }

    /// A server-streaming method from a typed handler: one request, any number of responses.
    public static func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ descriptor: MethodDescriptor,
        _ body: @escaping @Sendable (Request, RPCWriter<Response>, ServerCallContext) async throws -> Void
    ) -> ServerMethod {
        ServerMethod(descriptor: descriptor, handler: .streaming { requests, responses, context in
            let request = try await singleRequest(requests, Request.self)
            try await body(request, responses.map { $0.encodedBuffer() }, context)
        })
    }

    /// A client-streaming method from a typed handler: any number of requests, one response.
    public static func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ descriptor: MethodDescriptor,
        _ body: @escaping @Sendable (RPCAsyncSequence<Request>, ServerCallContext) async throws -> Response
    ) -> ServerMethod {
        ServerMethod(descriptor: descriptor, handler: .streaming { requests, responses, context in
            let response = try await body(requests.map { try Request(decoding: $0) }, context)
            try await responses.write(response.encodedBuffer())
        })
    }

    /// A bidirectional-streaming method from a typed handler.
    public static func bidirectionalStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ descriptor: MethodDescriptor,
        _ body: @escaping @Sendable (RPCAsyncSequence<Request>, RPCWriter<Response>, ServerCallContext) async throws -> Void
    ) -> ServerMethod {
        ServerMethod(descriptor: descriptor, handler: .streaming { requests, responses, context in
            try await body(requests.map { try Request(decoding: $0) }, responses.map { $0.encodedBuffer() }, context)
        })
    }

    /// The one request of a server-streaming call; none or several is a client error.
    private static func singleRequest<Request: ProtoMessage>(
        _ requests: RPCAsyncSequence<ByteBuffer>,
        _: Request.Type
    ) async throws -> Request {
        var iterator = requests.makeAsyncIterator()
        guard let payload = try await iterator.next() else {
            throw RPCError(code: .invalidArgument, message: "expected one request message, got none")
        }
        guard try await iterator.next() == nil else {
            throw RPCError(code: .invalidArgument, message: "expected one request message, got more")
        }
        return try Request(decoding: payload)
    }
}
