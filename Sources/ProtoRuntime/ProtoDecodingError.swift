/// Why untrusted bytes could not be decoded into a message.
///
/// A struct wrapping a ``Code`` (as grpc-swift's `RPCError`), so adding a code breaks nobody.
public struct ProtoDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case truncated, malformedVarint, invalidWireType, invalidFieldNumber, lengthOutOfBounds
            case invalidUTF8, recursionLimitExceeded, invalidJSON
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input ended inside a field.
        public static let truncated = Code(.truncated)
        /// A varint ran past ten bytes or overflowed 64 bits.
        public static let malformedVarint = Code(.malformedVarint)
        /// A field arrived with a wire type that cannot carry its declared type, or an unknown one.
        public static let invalidWireType = Code(.invalidWireType)
        /// A tag carried field number 0 or one above 2^29 - 1.
        public static let invalidFieldNumber = Code(.invalidFieldNumber)
        /// A length prefix pointed past the end of the input.
        public static let lengthOutOfBounds = Code(.lengthOutOfBounds)
        /// A `string` field held bytes that are not UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// Messages nested deeper than the recursion budget (100).
        public static let recursionLimitExceeded = Code(.recursionLimitExceeded)
        /// JSON input that is not valid proto3 JSON for the message.
        public static let invalidJSON = Code(.invalidJSON)

        public var description: String { "\(value)" }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable detail, for example the field and the offset.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
