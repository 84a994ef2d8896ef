/// A parsed JSON document, the intermediate form generated JSON decoders read from.
///
/// Numbers keep their source text so 64-bit integers lose no precision.
public enum JSONValue: Sendable, Hashable {
    /// One `"name": value` pair of an object, in source order.
    public struct Member: Sendable, Hashable {
        public let name: String
        public let value: JSONValue

        public init(name: String, value: JSONValue) {
            self.name = name
            self.value = value
        }
    }

    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its source text.
    case number(String)
    /// A string, escapes resolved.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, members in source order (duplicates kept).
    case object([Member])
}

/// Options for decoding proto3 JSON.
public struct ProtoJSONDecodingOptions: Sendable {
    /// Skip members whose names the message does not declare (and enum names it does not know)
    /// instead of failing.
    public var ignoringUnknownFields: Bool

    public init(ignoringUnknownFields: Bool = false) {
        self.ignoringUnknownFields = ignoringUnknownFields
    }
}
