/// Conversions from JSON values to field values with proto3 JSON's leniencies: integers as numbers
/// or strings, floats as "NaN"/"Infinity", enums by name or number, base64 in either alphabet.
public enum ProtoJSONDecoding {
    static func invalid(_ field: String, _ expected: String) -> ProtoDecodingError {
        ProtoDecodingError(.invalidJSON, "field \(field): expected \(expected)")
    }

    /// The text of a number or of a string holding one.
    private static func numberText(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> String {
        switch value {
        case .number(let text): return text
        case .string(let text): return text
        default: throw invalid(field, "a number")
        }
    }

    /// Parses an integer from decimal text, or from a number with a fraction or exponent that is
    /// still integral (`1.0`, `1e3`), within `Value`'s range.
    private static func integer<Value: FixedWidthInteger>(
        _ value: JSONValue,
        _ field: String
    ) throws(ProtoDecodingError) -> Value {
        let text = try numberText(value, field)
        if let exact = Value(text) { return exact }
        guard text.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: " ") }),
            let double = Double(text), double.isFinite, double.rounded() == double,
            let exact = Value(exactly: double)
        else { throw invalid(field, "an integer in range for \(Value.self)") }
        return exact
    }

    /// An `int32`, `sint32` or `sfixed32` from a number or a string holding one.
    public static func int32(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> Int32 {
        try integer(value, field)
    }
    /// An `int64`, `sint64` or `sfixed64` from a number or a string holding one.
    public static func int64(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> Int64 {
        try integer(value, field)
    }
    /// A `uint32` or `fixed32` from a number or a string holding one.
    public static func uint32(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> UInt32 {
        try integer(value, field)
    }
    /// A `uint64` or `fixed64` from a number or a string holding one.
    public static func uint64(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> UInt64 {
        try integer(value, field)
    }

    /// A `double` from a number, a quoted number, or "NaN", "Infinity", "-Infinity".
    public static func double(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> Double {
        let text = try numberText(value, field)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        if case .string = value {
            // A quoted number must still be JSON number syntax, not Swift's ("inf", "0x1p3").
            guard case .number = (try? JSONParser.parse(text)) else { throw invalid(field, "a number") }
        }
        guard let double = Double(text), double.isFinite else { throw invalid(field, "a finite number") }
        return double
    }

    /// A `float`, as ``double(_:_:)`` and within float range.
    public static func float(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> Float {
        let double = try double(value, field)
        guard double.isNaN || double.isInfinite || abs(double) <= Double(Float.greatestFiniteMagnitude) else {
            throw invalid(field, "a number in float range")
        }
        return Float(double)
    }

    /// A `bool`: only `true` or `false`.
    public static func bool(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> Bool {
        guard case .bool(let bool) = value else { throw invalid(field, "true or false") }
        return bool
    }

    /// A `string`.
    public static func string(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> String {
        guard case .string(let string) = value else { throw invalid(field, "a string") }
        return string
    }

    /// A `bytes` value from standard or URL-safe base64, padded or not.
    public static func bytes(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> [UInt8] {
        guard case .string(let string) = value, let bytes = Base64.decode(string) else {
            throw invalid(field, "base64 bytes")
        }
        return bytes
    }

    /// An enum by name or number; nil for an unknown name when unknown fields are ignored.
    public static func enumValue<Enum: ProtoEnum>(
        _ value: JSONValue,
        _ field: String,
        options: ProtoJSONDecodingOptions
    ) throws(ProtoDecodingError) -> Enum? {
        switch value {
        case .string(let name):
            if let known = Enum(protoName: name) { return known }
            if options.ignoringUnknownFields { return nil }
            throw invalid(field, "a value name of \(Enum.self), got \"\(name)\"")
        case .number:
            return Enum(rawValue: try integer(value, field))
        default:
            throw invalid(field, "an enum name or number")
        }
    }

    /// A nested message from an object, merged into `existing` when given.
    public static func message<Message: ProtoMessage>(
        _ value: JSONValue,
        _ field: String,
        merging existing: Message? = nil,
        options: ProtoJSONDecodingOptions
    ) throws(ProtoDecodingError) -> Message {
        var message = existing ?? Message()
        try message.mergeJSON(value: value, options: options)
        return message
    }

    /// The elements of a JSON array (null is an empty list).
    public static func array(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> [JSONValue] {
        switch value {
        case .array(let elements): return elements
        case .null: return []
        default: throw invalid(field, "an array")
        }
    }

    /// The members of a JSON object holding a map (null is an empty map).
    public static func object(_ value: JSONValue, _ field: String) throws(ProtoDecodingError) -> [JSONValue.Member] {
        switch value {
        case .object(let members): return members
        case .null: return []
        default: throw invalid(field, "an object")
        }
    }

    /// A map key from its JSON member name.
    public static func boolKey(_ name: String, _ field: String) throws(ProtoDecodingError) -> Bool {
        switch name {
        case "true": return true
        case "false": return false
        default: throw invalid(field, "a map key of true or false")
        }
    }

    /// An integer map key from its JSON member name.
    public static func integerKey<Key: FixedWidthInteger>(_ name: String, _ field: String) throws(ProtoDecodingError) -> Key {
        try integer(.string(name), field)
    }

    /// Fails on an unknown member name unless the options ignore them.
    public static func unknownField(
        _ name: String,
        in message: String,
        options: ProtoJSONDecodingOptions
    ) throws(ProtoDecodingError) {
        guard options.ignoringUnknownFields else {
            throw ProtoDecodingError(.invalidJSON, "\(message) has no field named \"\(name)\"")
        }
    }
}
