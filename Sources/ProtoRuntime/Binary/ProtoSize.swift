/// Encoded sizes of wire-format values, for the size pass that precedes every write.
public enum ProtoSize {
    /// Bytes a varint of `value` takes (1 to 10).
    @inlinable
    public static func varint(_ value: UInt64) -> Int {
        // Each byte carries seven bits; `| 1` makes zero take one byte.
        (70 - (value | 1).leadingZeroBitCount) / 7
    }

    /// Bytes an `int32` or enum value takes; negative values are sign-extended to ten bytes.
    @inlinable
    public static func int32(_ value: Int32) -> Int {
        value < 0 ? 10 : varint(UInt64(value))
    }

    /// Bytes an `int64` takes.
    @inlinable
    public static func int64(_ value: Int64) -> Int {
        varint(UInt64(bitPattern: value))
    }

    /// Bytes a `uint32` takes.
    @inlinable
    public static func uint32(_ value: UInt32) -> Int {
        varint(UInt64(value))
    }

    /// Bytes a `uint64` takes.
    @inlinable
    public static func uint64(_ value: UInt64) -> Int {
        varint(value)
    }

    /// Bytes a `sint32` takes.
    @inlinable
    public static func sint32(_ value: Int32) -> Int {
        varint(UInt64(ProtoZigZag.encode(value)))
    }

    /// Bytes a `sint64` takes.
    @inlinable
    public static func sint64(_ value: Int64) -> Int {
        varint(ProtoZigZag.encode(value))
    }

    /// Bytes a length-delimited value of `count` bytes takes, prefix included.
    @inlinable
    public static func lengthDelimited(_ count: Int) -> Int {
        varint(UInt64(count)) + count
    }

    /// Bytes a `string` takes, prefix included.
    @inlinable
    public static func string(_ value: String) -> Int {
        lengthDelimited(value.utf8.count)
    }

    /// Bytes a `bytes` value takes, prefix included.
    @inlinable
    public static func bytes(_ value: [UInt8]) -> Int {
        lengthDelimited(value.count)
    }

    /// Bytes a nested message takes, prefix included.
    @inlinable
    public static func message<Message: ProtoMessage>(_ message: Message) -> Int {
        lengthDelimited(message.serializedSize())
    }

    /// Bytes the payload of a packed repeated field takes (without tag and length prefix).
    @inlinable
    public static func packed<Codec: ProtoScalarCodec>(_ values: [Codec.Value], _ codec: Codec.Type) -> Int {
        var size = 0
        for value in values { size += Codec.size(of: value) }
        return size
    }
}
