/// Fields a message did not recognise, kept as their original bytes (tags included) so that a
/// decode-encode round trip through an older schema loses nothing.
public struct ProtoUnknownFields: Hashable, Sendable {
    @usableFromInline
    var storage: [UInt8]

    /// The raw wire bytes, in the order they arrived.
    public var bytes: [UInt8] { storage }

    /// No unknown fields.
    @inlinable
    public init() { storage = [] }

    /// Whether there are none.
    @inlinable
    public var isEmpty: Bool { storage.isEmpty }

    /// Appends one field's bytes.
    @inlinable
    public mutating func append(_ field: UnsafeRawBufferPointer) {
        storage.append(contentsOf: field)
    }
}
