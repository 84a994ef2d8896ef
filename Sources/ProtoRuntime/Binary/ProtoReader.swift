/// One field's tag as read from the wire, and where it started (so unknown fields keep their bytes).
public struct ProtoTag: Sendable {
    /// The field number, 1 through 2^29 - 1.
    public let fieldNumber: Int
    /// The wire type, 0 through 5 (3 and 4, groups, are rejected when the field is read).
    public let wireType: UInt8
    /// Offset of the tag's first byte in the input.
    @usableFromInline let start: Int

    @inlinable
    init(fieldNumber: Int, wireType: UInt8, start: Int) {
        self.fieldNumber = fieldNumber
        self.wireType = wireType
        self.start = start
    }
}

/// Wire types of the binary format.
public enum ProtoWireType {
    /// A base-128 varint.
    public static let varint: UInt8 = 0
    /// Eight little-endian bytes.
    public static let fixed64: UInt8 = 1
    /// A varint length, then that many bytes.
    public static let lengthDelimited: UInt8 = 2
    /// A proto2 group start; rejected.
    public static let startGroup: UInt8 = 3
    /// A proto2 group end; rejected.
    public static let endGroup: UInt8 = 4
    /// Four little-endian bytes.
    public static let fixed32: UInt8 = 5
}

/// Reads the binary wire format from untrusted bytes with a cursor.
///
/// Every read checks the remaining length first and throws ``ProtoDecodingError`` rather than
/// trapping; nested messages narrow ``end`` and spend one unit of the recursion budget.
public struct ProtoReader {
    /// How deeply messages may nest before decoding gives up.
    public static let recursionLimit = 100

    /// The input's first byte; for empty input (no base address) a placeholder that is never read,
    /// because every read is preceded by a check against `end`, which is 0 then.
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline var position: Int
    @usableFromInline var end: Int
    @usableFromInline var remainingDepth: Int

    /// Stands in for the base address of empty input, so `base` needs no optional unwrapping. Never read
    /// or written (reads stop at `end` = 0), hence safe to share across threads.
    @usableFromInline nonisolated(unsafe) static let emptyInputBase = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

    /// A reader over all of `bytes`.
    @inlinable
    public init(bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress ?? UnsafeRawPointer(Self.emptyInputBase)
        position = 0
        end = bytes.count
        remainingDepth = Self.recursionLimit
    }

    /// Whether the current message (or the whole input) has been read.
    @inlinable
    public var isAtEnd: Bool { position >= end }

    @inlinable
    func byte(at offset: Int) -> UInt8 {
        // Callers check `offset < end` first.
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    // MARK: Tags and varints

    /// The next field's tag, or nil at the end of the current message.
    @inlinable
    public mutating func nextTag() throws(ProtoDecodingError) -> ProtoTag? {
        guard position < end else { return nil }
        let start = position
        let raw = try readVarint()
        guard raw <= UInt64(UInt32.max) else {
            throw ProtoDecodingError(.invalidFieldNumber, "tag \(raw) at offset \(start) is out of range")
        }
        let fieldNumber = Int(raw >> 3)
        guard fieldNumber != 0 else {
            throw ProtoDecodingError(.invalidFieldNumber, "field number 0 at offset \(start)")
        }
        return ProtoTag(fieldNumber: fieldNumber, wireType: UInt8(truncatingIfNeeded: raw & 7), start: start)
    }

    /// Reads a base-128 varint of at most ten bytes.
    @inlinable
    public mutating func readVarint() throws(ProtoDecodingError) -> UInt64 {
        guard position < end else { throw Self.truncated(position) }
        let first = byte(at: position)
        if first < 0x80 {
            position += 1
            return UInt64(first)
        }
        return try readVarintSlowPath()
    }

    @usableFromInline
    mutating func readVarintSlowPath() throws(ProtoDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var offset = position
        while true {
            guard offset < end else { throw Self.truncated(offset) }
            let byte = byte(at: offset)
            offset += 1
            if shift == 63 && byte > 1 {
                throw ProtoDecodingError(.malformedVarint, "varint at offset \(position) overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
            if shift > 63 {
                throw ProtoDecodingError(.malformedVarint, "varint at offset \(position) is longer than ten bytes")
            }
        }
        position = offset
        return result
    }

    @usableFromInline
    static func truncated(_ offset: Int) -> ProtoDecodingError {
        ProtoDecodingError(.truncated, "input ends at offset \(offset) inside a field")
    }

    @usableFromInline
    static func wrongWireType(_ tag: ProtoTag, expected: UInt8) -> ProtoDecodingError {
        ProtoDecodingError(
            .invalidWireType,
            "field \(tag.fieldNumber) at offset \(tag.start) has wire type \(tag.wireType), expected \(expected)"
        )
    }

    @inlinable
    func expect(_ tag: ProtoTag, _ wireType: UInt8) throws(ProtoDecodingError) {
        guard tag.wireType == wireType else { throw Self.wrongWireType(tag, expected: wireType) }
    }

    // MARK: Fixed-width values

    @inlinable
    mutating func readFixed32Raw() throws(ProtoDecodingError) -> UInt32 {
        guard end - position >= 4 else { throw Self.truncated(position) }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    @inlinable
    mutating func readFixed64Raw() throws(ProtoDecodingError) -> UInt64 {
        guard end - position >= 8 else { throw Self.truncated(position) }
        let value = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    // MARK: Length-delimited values

    /// Reads a length prefix and returns the payload's bounds, checked against the input.
    @inlinable
    mutating func readLength(_ tag: ProtoTag) throws(ProtoDecodingError) -> Int {
        try expect(tag, ProtoWireType.lengthDelimited)
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw ProtoDecodingError(
                .lengthOutOfBounds,
                "field \(tag.fieldNumber) at offset \(tag.start) declares \(length) bytes, \(end - position) remain"
            )
        }
        return Int(length)
    }

    /// Reads a `string`, rejecting bytes that are not UTF-8.
    @inlinable
    public mutating func readString(_ tag: ProtoTag) throws(ProtoDecodingError) -> String {
        let length = try readLength(tag)
        guard length > 0 else { return "" }
        let start = (base + position).assumingMemoryBound(to: UInt8.self)
        let bytes = UnsafeBufferPointer(start: start, count: length)
        // `String(validating:)` is an unspecialized generic here; checking first and then using the
        // specialized `String(decoding:)` (which then has nothing to repair) is several times faster.
        guard UTF8Validation.isValid(bytes) else {
            throw ProtoDecodingError(.invalidUTF8, "field \(tag.fieldNumber) at offset \(tag.start) is not UTF-8")
        }
        position += length
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a `bytes` value.
    @inlinable
    public mutating func readBytes(_ tag: ProtoTag) throws(ProtoDecodingError) -> [UInt8] {
        let length = try readLength(tag)
        guard length > 0 else { return [] }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: base + position, count: length))
        position += length
        return bytes
    }

    /// Narrows the reader to a nested length-delimited payload (a message or a map entry) and
    /// spends one unit of the recursion budget; pass the result to ``endNested(_:)``.
    @inlinable
    public mutating func beginNested(_ tag: ProtoTag) throws(ProtoDecodingError) -> Int {
        let length = try readLength(tag)
        guard remainingDepth > 0 else {
            throw ProtoDecodingError(
                .recursionLimitExceeded,
                "messages nest deeper than \(Self.recursionLimit) at offset \(tag.start)"
            )
        }
        remainingDepth -= 1
        let outerEnd = end
        end = position + length
        return outerEnd
    }

    /// Restores the bounds saved by ``beginNested(_:)``.
    @inlinable
    public mutating func endNested(_ outerEnd: Int) {
        position = end
        end = outerEnd
        remainingDepth += 1
    }

    /// Reads a nested message, merging into `existing` as the spec requires for repeated occurrences.
    @inlinable
    public mutating func readMessage<Message: ProtoMessage>(
        _ tag: ProtoTag,
        merging existing: Message? = nil
    ) throws(ProtoDecodingError) -> Message {
        let outerEnd = try beginNested(tag)
        var message = existing ?? Message()
        try message.merge(from: &self)
        endNested(outerEnd)
        return message
    }

    // MARK: Unknown fields

    /// Skips one field of any valid wire type; groups (3, 4) and wire types 6 and 7 are rejected.
    @inlinable
    public mutating func skipField(_ tag: ProtoTag) throws(ProtoDecodingError) {
        switch tag.wireType {
        case ProtoWireType.varint:
            _ = try readVarint()
        case ProtoWireType.fixed64:
            _ = try readFixed64Raw()
        case ProtoWireType.lengthDelimited:
            position += try readLength(tag)
        case ProtoWireType.fixed32:
            _ = try readFixed32Raw()
        case ProtoWireType.startGroup, ProtoWireType.endGroup:
            throw ProtoDecodingError(
                .invalidWireType,
                "field \(tag.fieldNumber) at offset \(tag.start) is a group, which proto3 does not support"
            )
        default:
            throw ProtoDecodingError(
                .invalidWireType,
                "field \(tag.fieldNumber) at offset \(tag.start) has invalid wire type \(tag.wireType)"
            )
        }
    }

    /// Skips a field this message does not know and keeps its bytes, tag included, for re-encoding.
    @inlinable
    public mutating func readUnknownField(
        _ tag: ProtoTag,
        into unknownFields: inout ProtoUnknownFields
    ) throws(ProtoDecodingError) {
        try skipField(tag)
        let bytes = UnsafeRawBufferPointer(start: base + tag.start, count: position - tag.start)
        unknownFields.append(bytes)
    }
}

// MARK: Scalars

extension ProtoReader {
    /// Reads an `int32`; ten-byte negative encodings are truncated to 32 bits as the spec says.
    @inlinable
    public mutating func readInt32(_ tag: ProtoTag) throws(ProtoDecodingError) -> Int32 {
        try expect(tag, ProtoWireType.varint)
        return Int32(truncatingIfNeeded: try readVarint())
    }

    /// Reads an `int64`.
    @inlinable
    public mutating func readInt64(_ tag: ProtoTag) throws(ProtoDecodingError) -> Int64 {
        try expect(tag, ProtoWireType.varint)
        return Int64(bitPattern: try readVarint())
    }

    /// Reads a `uint32`.
    @inlinable
    public mutating func readUInt32(_ tag: ProtoTag) throws(ProtoDecodingError) -> UInt32 {
        try expect(tag, ProtoWireType.varint)
        return UInt32(truncatingIfNeeded: try readVarint())
    }

    /// Reads a `uint64`.
    @inlinable
    public mutating func readUInt64(_ tag: ProtoTag) throws(ProtoDecodingError) -> UInt64 {
        try expect(tag, ProtoWireType.varint)
        return try readVarint()
    }

    /// Reads a `sint32`.
    @inlinable
    public mutating func readSInt32(_ tag: ProtoTag) throws(ProtoDecodingError) -> Int32 {
        try expect(tag, ProtoWireType.varint)
        return ProtoZigZag.decode(UInt32(truncatingIfNeeded: try readVarint()))
    }

    /// Reads a `sint64`.
    @inlinable
    public mutating func readSInt64(_ tag: ProtoTag) throws(ProtoDecodingError) -> Int64 {
        try expect(tag, ProtoWireType.varint)
        return ProtoZigZag.decode(try readVarint())
    }

    /// Reads a `bool`.
    @inlinable
    public mutating func readBool(_ tag: ProtoTag) throws(ProtoDecodingError) -> Bool {
        try expect(tag, ProtoWireType.varint)
        return try readVarint() != 0
    }

    /// Reads an enum's number; the generated type maps unknown numbers to `.unrecognized`.
    @inlinable
    public mutating func readEnum<Enum: ProtoEnum>(_ tag: ProtoTag) throws(ProtoDecodingError) -> Enum {
        Enum(rawValue: try readInt32(tag))
    }

    /// Reads a `fixed32`.
    @inlinable
    public mutating func readFixed32(_ tag: ProtoTag) throws(ProtoDecodingError) -> UInt32 {
        try expect(tag, ProtoWireType.fixed32)
        return try readFixed32Raw()
    }

    /// Reads a `fixed64`.
    @inlinable
    public mutating func readFixed64(_ tag: ProtoTag) throws(ProtoDecodingError) -> UInt64 {
        try expect(tag, ProtoWireType.fixed64)
        return try readFixed64Raw()
    }

    /// Reads an `sfixed32`.
    @inlinable
    public mutating func readSFixed32(_ tag: ProtoTag) throws(ProtoDecodingError) -> Int32 {
        Int32(bitPattern: try readFixed32(tag))
    }

    /// Reads an `sfixed64`.
    @inlinable
    public mutating func readSFixed64(_ tag: ProtoTag) throws(ProtoDecodingError) -> Int64 {
        Int64(bitPattern: try readFixed64(tag))
    }

    /// Reads a `float`.
    @inlinable
    public mutating func readFloat(_ tag: ProtoTag) throws(ProtoDecodingError) -> Float {
        Float(bitPattern: try readFixed32(tag))
    }

    /// Reads a `double`.
    @inlinable
    public mutating func readDouble(_ tag: ProtoTag) throws(ProtoDecodingError) -> Double {
        Double(bitPattern: try readFixed64(tag))
    }
}

// MARK: Repeated scalars (packed or not)

/// How one scalar type sits on the wire, so one generic repeated reader serves every type.
public protocol ProtoScalarCodec {
    associatedtype Value
    /// The wire type of one unpacked element.
    static var wireType: UInt8 { get }
    /// Bytes one element takes when the type is fixed-width, else nil.
    static var fixedWidth: Int? { get }
    /// Reads one element whose tag (if any) has already been consumed and checked.
    static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Value
    /// Bytes one element takes, without a tag.
    static func size(of value: Value) -> Int
    /// Writes one element without a tag.
    static func write(_ value: Value, to writer: inout ProtoWriter)
}

extension ProtoReader {
    /// Reads a repeated scalar field, packed (wire type 2) or one element per tag.
    ///
    /// Capacity is reserved only for fixed-width elements, whose count the payload length proves.
    @inlinable
    public mutating func readRepeated<Codec: ProtoScalarCodec>(
        _ tag: ProtoTag,
        _ codec: Codec.Type,
        into values: inout [Codec.Value]
    ) throws(ProtoDecodingError) {
        if tag.wireType == ProtoWireType.lengthDelimited {
            let length = try readLength(tag)
            let payloadEnd = position + length
            if let width = Codec.fixedWidth {
                guard length % width == 0 else {
                    throw ProtoDecodingError(
                        .truncated,
                        "packed field \(tag.fieldNumber) at offset \(tag.start) is \(length) bytes, not a multiple of \(width)"
                    )
                }
                values.reserveCapacity(values.count + length / width)
            }
            let outerEnd = end
            end = payloadEnd
            defer { end = outerEnd }
            while position < payloadEnd {
                values.append(try Codec.read(&self))
            }
        } else {
            try expect(tag, Codec.wireType)
            values.append(try Codec.read(&self))
        }
    }
}

/// Codecs of the scalar types, named after the .proto type.
public enum ProtoCodec {
    /// The codec of `int32`.
    public enum Int32Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.varint
        public static let fixedWidth: Int? = nil
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Int32 {
            Int32(truncatingIfNeeded: try reader.readVarint())
        }
        @inlinable public static func size(of value: Int32) -> Int { ProtoSize.int32(value) }
        @inlinable public static func write(_ value: Int32, to writer: inout ProtoWriter) { writer.writeInt32(value) }
    }
    /// The codec of `int64`.
    public enum Int64Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.varint
        public static let fixedWidth: Int? = nil
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Int64 {
            Int64(bitPattern: try reader.readVarint())
        }
        @inlinable public static func size(of value: Int64) -> Int { ProtoSize.int64(value) }
        @inlinable public static func write(_ value: Int64, to writer: inout ProtoWriter) { writer.writeInt64(value) }
    }
    /// The codec of `uint32`.
    public enum UInt32Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.varint
        public static let fixedWidth: Int? = nil
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> UInt32 {
            UInt32(truncatingIfNeeded: try reader.readVarint())
        }
        @inlinable public static func size(of value: UInt32) -> Int { ProtoSize.uint32(value) }
        @inlinable public static func write(_ value: UInt32, to writer: inout ProtoWriter) { writer.writeUInt32(value) }
    }
    /// The codec of `uint64`.
    public enum UInt64Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.varint
        public static let fixedWidth: Int? = nil
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> UInt64 {
            try reader.readVarint()
        }
        @inlinable public static func size(of value: UInt64) -> Int { ProtoSize.uint64(value) }
        @inlinable public static func write(_ value: UInt64, to writer: inout ProtoWriter) { writer.writeUInt64(value) }
    }
    /// The codec of `sint32` (zigzag).
    public enum SInt32Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.varint
        public static let fixedWidth: Int? = nil
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Int32 {
            ProtoZigZag.decode(UInt32(truncatingIfNeeded: try reader.readVarint()))
        }
        @inlinable public static func size(of value: Int32) -> Int { ProtoSize.sint32(value) }
        @inlinable public static func write(_ value: Int32, to writer: inout ProtoWriter) { writer.writeSInt32(value) }
    }
    /// The codec of `sint64` (zigzag).
    public enum SInt64Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.varint
        public static let fixedWidth: Int? = nil
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Int64 {
            ProtoZigZag.decode(try reader.readVarint())
        }
        @inlinable public static func size(of value: Int64) -> Int { ProtoSize.sint64(value) }
        @inlinable public static func write(_ value: Int64, to writer: inout ProtoWriter) { writer.writeSInt64(value) }
    }
    /// The codec of `bool`.
    public enum BoolCodec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.varint
        public static let fixedWidth: Int? = nil
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Bool {
            try reader.readVarint() != 0
        }
        @inlinable public static func size(of value: Bool) -> Int { 1 }
        @inlinable public static func write(_ value: Bool, to writer: inout ProtoWriter) { writer.writeBool(value) }
    }
    /// The codec of `fixed32`.
    public enum Fixed32Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.fixed32
        public static let fixedWidth: Int? = 4
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> UInt32 {
            try reader.readFixed32Raw()
        }
        @inlinable public static func size(of value: UInt32) -> Int { 4 }
        @inlinable public static func write(_ value: UInt32, to writer: inout ProtoWriter) { writer.writeFixed32(value) }
    }
    /// The codec of `fixed64`.
    public enum Fixed64Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.fixed64
        public static let fixedWidth: Int? = 8
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> UInt64 {
            try reader.readFixed64Raw()
        }
        @inlinable public static func size(of value: UInt64) -> Int { 8 }
        @inlinable public static func write(_ value: UInt64, to writer: inout ProtoWriter) { writer.writeFixed64(value) }
    }
    /// The codec of `sfixed32`.
    public enum SFixed32Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.fixed32
        public static let fixedWidth: Int? = 4
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Int32 {
            Int32(bitPattern: try reader.readFixed32Raw())
        }
        @inlinable public static func size(of value: Int32) -> Int { 4 }
        @inlinable public static func write(_ value: Int32, to writer: inout ProtoWriter) { writer.writeSFixed32(value) }
    }
    /// The codec of `sfixed64`.
    public enum SFixed64Codec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.fixed64
        public static let fixedWidth: Int? = 8
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Int64 {
            Int64(bitPattern: try reader.readFixed64Raw())
        }
        @inlinable public static func size(of value: Int64) -> Int { 8 }
        @inlinable public static func write(_ value: Int64, to writer: inout ProtoWriter) { writer.writeSFixed64(value) }
    }
    /// The codec of `float`.
    public enum FloatCodec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.fixed32
        public static let fixedWidth: Int? = 4
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Float {
            Float(bitPattern: try reader.readFixed32Raw())
        }
        @inlinable public static func size(of value: Float) -> Int { 4 }
        @inlinable public static func write(_ value: Float, to writer: inout ProtoWriter) { writer.writeFloat(value) }
    }
    /// The codec of `double`.
    public enum DoubleCodec: ProtoScalarCodec {
        public static let wireType = ProtoWireType.fixed64
        public static let fixedWidth: Int? = 8
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Double {
            Double(bitPattern: try reader.readFixed64Raw())
        }
        @inlinable public static func size(of value: Double) -> Int { 8 }
        @inlinable public static func write(_ value: Double, to writer: inout ProtoWriter) { writer.writeDouble(value) }
    }
    /// The codec of an enum, on the wire as an `int32`.
    public enum EnumCodec<Enum: ProtoEnum>: ProtoScalarCodec {
        public static var wireType: UInt8 { ProtoWireType.varint }
        public static var fixedWidth: Int? { nil }
        @inlinable public static func read(_ reader: inout ProtoReader) throws(ProtoDecodingError) -> Enum {
            Enum(rawValue: Int32(truncatingIfNeeded: try reader.readVarint()))
        }
        @inlinable public static func size(of value: Enum) -> Int { ProtoSize.int32(value.rawValue) }
        @inlinable public static func write(_ value: Enum, to writer: inout ProtoWriter) { writer.writeInt32(value.rawValue) }
    }
}
