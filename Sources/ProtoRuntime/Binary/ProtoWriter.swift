/// Writes the binary wire format into a buffer that ``ProtoMessage/serializedSize()`` sized exactly.
///
/// The writer fills the buffer from the end towards the start: a nested message is written before
/// its length prefix, so the prefix is simply the distance covered and no nested size is ever
/// computed twice (encoding stays linear however deep messages nest). Generated code therefore
/// emits fields in reverse order and each value before its tag. There are no bounds checks: the
/// size pass guarantees the room.
public struct ProtoWriter {
    @usableFromInline var pointer: UnsafeMutableRawPointer

    /// A writer that fills the bytes before `end`.
    @inlinable
    public init(end: UnsafeMutableRawPointer) {
        self.pointer = end
    }

    /// The current position; pass it to ``writeLength(since:)`` after writing a payload.
    @inlinable
    public var marker: UnsafeMutableRawPointer { pointer }

    /// Writes the length prefix of everything written since `marker`.
    @inlinable
    public mutating func writeLength(since marker: UnsafeMutableRawPointer) {
        writeVarint(UInt64(marker - pointer))
    }

    /// Writes one byte.
    @inlinable
    public mutating func writeByte(_ byte: UInt8) {
        pointer -= 1
        pointer.storeBytes(of: byte, as: UInt8.self)
    }

    /// Writes a base-128 varint.
    @inlinable
    public mutating func writeVarint(_ value: UInt64) {
        if value < 0x80 {
            writeByte(UInt8(truncatingIfNeeded: value))
            return
        }
        pointer -= ProtoSize.varint(value)
        var cursor = pointer
        var value = value
        while value >= 0x80 {
            cursor.storeBytes(of: UInt8(truncatingIfNeeded: value) | 0x80, as: UInt8.self)
            cursor += 1
            value &>>= 7
        }
        cursor.storeBytes(of: UInt8(truncatingIfNeeded: value), as: UInt8.self)
    }

    /// Writes a tag (field number and wire type, already combined by the generator).
    @inlinable
    public mutating func writeTag(_ tag: UInt32) {
        writeVarint(UInt64(tag))
    }

    /// Writes an `int32` or enum value; negative values take ten bytes, as the spec requires.
    @inlinable
    public mutating func writeInt32(_ value: Int32) {
        writeVarint(UInt64(bitPattern: Int64(value)))
    }

    /// Writes an `int64`.
    @inlinable
    public mutating func writeInt64(_ value: Int64) {
        writeVarint(UInt64(bitPattern: value))
    }

    /// Writes a `uint32`.
    @inlinable
    public mutating func writeUInt32(_ value: UInt32) {
        writeVarint(UInt64(value))
    }

    /// Writes a `uint64`.
    @inlinable
    public mutating func writeUInt64(_ value: UInt64) {
        writeVarint(value)
    }

    /// Writes a `sint32` (zigzag).
    @inlinable
    public mutating func writeSInt32(_ value: Int32) {
        writeVarint(UInt64(ProtoZigZag.encode(value)))
    }

    /// Writes a `sint64` (zigzag).
    @inlinable
    public mutating func writeSInt64(_ value: Int64) {
        writeVarint(ProtoZigZag.encode(value))
    }

    /// Writes a `bool`.
    @inlinable
    public mutating func writeBool(_ value: Bool) {
        writeByte(value ? 1 : 0)
    }

    /// Writes four little-endian bytes (`fixed32`, `sfixed32`, `float`).
    @inlinable
    public mutating func writeFixed32(_ value: UInt32) {
        pointer -= 4
        pointer.storeBytes(of: value.littleEndian, as: UInt32.self)
    }

    /// Writes eight little-endian bytes (`fixed64`, `sfixed64`, `double`).
    @inlinable
    public mutating func writeFixed64(_ value: UInt64) {
        pointer -= 8
        pointer.storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    /// Writes an `sfixed32`.
    @inlinable
    public mutating func writeSFixed32(_ value: Int32) {
        writeFixed32(UInt32(bitPattern: value))
    }

    /// Writes an `sfixed64`.
    @inlinable
    public mutating func writeSFixed64(_ value: Int64) {
        writeFixed64(UInt64(bitPattern: value))
    }

    /// Writes a `float`.
    @inlinable
    public mutating func writeFloat(_ value: Float) {
        writeFixed32(value.bitPattern)
    }

    /// Writes a `double`.
    @inlinable
    public mutating func writeDouble(_ value: Double) {
        writeFixed64(value.bitPattern)
    }

    @inlinable
    mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        pointer -= bytes.count
        pointer.copyMemory(from: base, byteCount: bytes.count)
    }

    /// Writes raw bytes with no prefix (unknown fields).
    @inlinable
    public mutating func writeRaw(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeRaw($0) }
    }

    /// Writes a length-prefixed `bytes` value.
    @inlinable
    public mutating func writeBytes(_ bytes: [UInt8]) {
        writeRaw(bytes)
        writeVarint(UInt64(bytes.count))
    }

    /// Writes a length-prefixed `string` value.
    @inlinable
    public mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { writeRaw(UnsafeRawBufferPointer($0)) }
        writeVarint(UInt64(string.utf8.count))
    }

    /// Writes the length prefix and payload of a packed repeated field (the tag follows).
    @inlinable
    public mutating func writePacked<Codec: ProtoScalarCodec>(_ values: [Codec.Value], _ codec: Codec.Type) {
        let end = pointer
        for value in values.reversed() { Codec.write(value, to: &self) }
        writeLength(since: end)
    }

    /// Writes a length-prefixed nested message.
    @inlinable
    public mutating func writeMessage<Message: ProtoMessage>(_ message: Message) {
        let end = pointer
        message.write(to: &self)
        writeLength(since: end)
    }
}

/// ZigZag encoding of signed integers (`sint32`, `sint64`).
public enum ProtoZigZag {
    /// Maps 0, -1, 1, -2 … to 0, 1, 2, 3 ….
    @inlinable
    public static func encode(_ value: Int32) -> UInt32 {
        UInt32(bitPattern: (value &<< 1) ^ (value &>> 31))
    }

    /// Maps 0, -1, 1, -2 … to 0, 1, 2, 3 ….
    @inlinable
    public static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value &<< 1) ^ (value &>> 63))
    }

    /// The inverse of ``encode(_:)-(Int32)``.
    @inlinable
    public static func decode(_ value: UInt32) -> Int32 {
        Int32(bitPattern: (value &>> 1) ^ (0 &- (value & 1)))
    }

    /// The inverse of ``encode(_:)-(Int64)``.
    @inlinable
    public static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value &>> 1) ^ (0 &- (value & 1)))
    }
}
