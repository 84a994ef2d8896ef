public import NIOCore
public import ProtoRuntime

extension ProtoMessage {
    /// Decodes the readable bytes of `buffer` without copying them; a malformed message becomes
    /// INVALID_ARGUMENT naming the message type.
    public init(decoding buffer: ByteBuffer) throws(RPCError) {
        do {
            self = try buffer.withUnsafeReadableBytes { try Self(serializedBytes: $0) }
        } catch let error as ProtoDecodingError {
            throw RPCError(code: .invalidArgument, message: "cannot decode \(Self.protoMessageName): \(error)")
        } catch {
            throw RPCError(code: .invalidArgument, message: "cannot decode \(Self.protoMessageName)")
        }
    }

    /// Appends the binary encoding to `buffer` with one size computation and one write.
    public func encode(into buffer: inout ByteBuffer) {
        encode(into: &buffer, size: serializedSize())
    }

    private func encode(into buffer: inout ByteBuffer, size: Int) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { storage in
            serialize(into: UnsafeMutableRawBufferPointer(rebasing: storage[0..<size]))
            return size
        }
    }

    /// The binary encoding in a new buffer of exactly the right size.
    public func encodedBuffer(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let size = serializedSize()
        var buffer = allocator.buffer(capacity: size)
        encode(into: &buffer, size: size)
        return buffer
    }
}
