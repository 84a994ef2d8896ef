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

    /// Fields this schema does not know, kept for re-encoding.
    var unknownFields: ProtoUnknownFields { get set }

    /// Writes the fields (no length prefix) backwards, ending where the writer stands; the writer
    /// has room for ``serializedSize()`` bytes before it.
    func write(to writer: inout ProtoWriter)

    /// Reads fields until the reader's current end, merging them into `self`.
    mutating func merge(from reader: inout ProtoReader) throws(ProtoDecodingError)

    /// Writes the canonical proto3 JSON object.
    func writeJSON(to writer: inout ProtoJSONWriter)

    /// Merges the members of a JSON object into `self`.
    mutating func mergeJSON(_ members: [JSONValue.Member], options: ProtoJSONDecodingOptions) throws(ProtoDecodingError)
}

extension ProtoMessage {
    @inlinable
    public func serialize(into buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        var writer = ProtoWriter(end: base + buffer.count)
        write(to: &writer)
    }

    @inlinable
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws {
        self.init()
        var reader = ProtoReader(bytes: bytes)
        try merge(from: &reader)
    }

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

    /// The canonical proto3 JSON encoding: lowerCamelCase names, default values omitted.
    public func jsonString() -> String {
        var writer = ProtoJSONWriter()
        writeJSON(to: &writer)
        return writer.result
    }

    /// Decodes proto3 JSON; unknown field names are an error unless `ignoringUnknownFields`.
    public init(jsonString: String, ignoringUnknownFields: Bool = false) throws {
        let value = try JSONParser.parse(jsonString)
        self.init()
        try mergeJSON(value: value, options: ProtoJSONDecodingOptions(ignoringUnknownFields: ignoringUnknownFields))
    }

    /// Merges a parsed JSON value, which must be an object.
    public mutating func mergeJSON(value: JSONValue, options: ProtoJSONDecodingOptions) throws(ProtoDecodingError) {
        guard case .object(let members) = value else {
            throw ProtoDecodingError(.invalidJSON, "\(Self.protoMessageName) must be a JSON object")
        }
        try mergeJSON(members, options: options)
    }
}
