/// A Protobuf message type emitted by `habit-codegen`.
///
/// Encoding computes the exact size first and then writes once, so callers can hand the encoder a
/// buffer of exactly that size (a `ByteBuffer`'s writable bytes, an `[UInt8]`) with no copy.
public protocol ProtoMessage: Sendable, Hashable {
    /// The fully qualified Protobuf name, for example `habit.v1.Habit`.
    static var protoMessageName: String { get }

    /// A message with every field at its default value.
    init()

    /// The exact number of bytes ``serialize(into:)`` writes.
    func serializedSize() -> Int

    /// Writes the binary encoding into `buffer`, whose count must equal ``serializedSize()``.
    func serialize(into buffer: UnsafeMutableRawBufferPointer)

    /// Decodes untrusted bytes; throws ``ProtoDecodingError`` and never traps.
    init(serializedBytes bytes: UnsafeRawBufferPointer) throws
}

extension ProtoMessage {
    /// The binary encoding as a new array.
    public func serializedBytes() -> [UInt8] {
        let size = serializedSize()
        return [UInt8](unsafeUninitializedCapacity: size) { storage, initialized in
            serialize(into: UnsafeMutableRawBufferPointer(storage))
            initialized = size
        }
    }

    /// Decodes a message from an array of untrusted bytes.
    public init(serializedBytes bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try Self(serializedBytes: $0) }
    }
}
