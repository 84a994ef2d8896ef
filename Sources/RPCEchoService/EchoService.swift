import NIOCore
public import RPCCore
import Synchronization

/// Raw-payload methods for tests, demos and benchmarks of the RPC runtime (no generated code):
/// echo, delays, cancellation probes, streams and errors, under the service name `test.Echo`.
///
/// Payload conventions (all integers big-endian): `Slow` takes a u32 of milliseconds to sleep;
/// `Count` takes a u32 n and streams n messages, each the u32 index; `Sum` adds the u32 of every
/// request message; `Fail` answers NOT_FOUND with the request's text as the message; `Crash` throws
/// a non-RPC error (INTERNAL with a generic message on the wire).
public final class EchoService: Sendable {
    /// How many handlers saw their task cancelled (deadline, CANCEL, connection close).
    public var cancellations: Int { cancelCount.load(ordering: .relaxed) }
    /// Calls that have started a handler.
    public var started: Int { startCount.load(ordering: .relaxed) }

    private let cancelCount = Atomic(0)
    private let startCount = Atomic(0)

    public init() {}

    /// The descriptor of method `name` of `test.Echo`, with its FNV-1a id.
    public static func descriptor(_ name: String, _ kind: MethodDescriptor.Kind) -> MethodDescriptor {
        MethodDescriptor(service: "test.Echo", method: name, id: MethodDescriptor.id(forFullName: "/test.Echo/\(name)"), kind: kind)
    }

    public static let unary = descriptor("Unary", .unary)
    public static let slow = descriptor("Slow", .unary)
    public static let count = descriptor("Count", .serverStreaming)
    public static let sum = descriptor("Sum", .clientStreaming)
    public static let bidi = descriptor("Bidi", .bidirectionalStreaming)
    public static let fail = descriptor("Fail", .unary)
    public static let crash = descriptor("Crash", .unary)

    /// The methods to serve.
    public var methods: [ServerMethod] {
        [
            ServerMethod(descriptor: Self.unary, handler: .unary { request, _ in request }),
            ServerMethod(descriptor: Self.slow, handler: .unary { request, _ in
                self.startCount.add(1, ordering: .relaxed)
                let milliseconds = request.getInteger(at: request.readerIndex, as: UInt32.self) ?? 0
                do {
                    try await Task.sleep(for: .milliseconds(Int(milliseconds)))
                } catch {
                    self.cancelCount.add(1, ordering: .relaxed)
                    throw error
                }
                return request
            }),
            ServerMethod(descriptor: Self.count, handler: .streaming { requests, responses, _ in
                var iterator = requests.makeAsyncIterator()
                guard let request = try await iterator.next(), let count = request.getInteger(at: request.readerIndex, as: UInt32.self) else {
                    throw RPCError(code: .invalidArgument, message: "Count takes a u32")
                }
                for index in 0..<count {
                    var message = ByteBuffer()
                    message.writeInteger(index)
                    try await responses.write(message)
                }
            }),
            ServerMethod(descriptor: Self.sum, handler: .streaming { requests, responses, _ in
                var total: UInt32 = 0
                for try await request in requests {
                    total &+= request.getInteger(at: request.readerIndex, as: UInt32.self) ?? 0
                }
                var message = ByteBuffer()
                message.writeInteger(total)
                try await responses.write(message)
            }),
            ServerMethod(descriptor: Self.bidi, handler: .streaming { requests, responses, _ in
                for try await request in requests { try await responses.write(request) }
            }),
            ServerMethod(descriptor: Self.fail, handler: .unary { request, _ in
                throw RPCError(code: .notFound, message: String(buffer: request))
            }),
            ServerMethod(descriptor: Self.crash, handler: .unary { _, _ in
                throw InternalFailure(secret: "database password is hunter2")
            }),
        ]
    }
}

/// An error that is not an RPCError: its details must never reach the client.
struct InternalFailure: Error {
    let secret: String
}
