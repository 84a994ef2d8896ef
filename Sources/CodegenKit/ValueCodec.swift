/// How the emitter encodes, decodes and sizes one value of a field type (a scalar, an enum or a
/// message): each member returns Swift source for a value expression.
struct ValueCodec {
    var swiftType: String
    var wireType: Int
    /// Source of the encoded size of `value`, without the tag.
    var size: (_ value: String) -> String
    /// Source of a statement writing `value` (without the tag) to `writer`.
    var write: (_ value: String) -> String
    /// Source of an expression reading one value whose tag is `tag`.
    var read: (_ tag: String) -> String
    /// Source of a condition that holds when `value` is not the proto3 default.
    var isNotDefault: (_ value: String) -> String
    var defaultValue: String
    /// The runtime `ProtoScalarCodec` for packable types.
    var packedCodec: String?
    /// Source of a statement writing `value` as JSON to the writer named `writer`.
    var writeJSON: (_ writer: String, _ value: String) -> String
    /// Source of an expression decoding the JSON `value`; optional for enums (unknown names may be skipped).
    var readJSON: (_ value: String, _ field: String) -> String
    var isJSONOptional = false
    var isMessage = false

    static func scalar(_ scalar: ScalarType) -> ValueCodec {
        func fixed(_ width: Int) -> (String) -> String { { _ in String(width) } }
        func sized(_ function: String) -> (String) -> String { { "ProtoSize.\(function)(\($0))" } }
        let numeric: (String) -> String = { "\($0) != 0" }
        let floating: (String) -> String = { "\($0).bitPattern != 0" }
        let (swiftType, wireType, size, writer, reader, codec, json): (String, Int, (String) -> String, String, String, String, String)
        switch scalar {
        case .int32: (swiftType, wireType, size, writer, reader, codec, json) = ("Int32", 0, sized("int32"), "Int32", "Int32", "Int32", "int32")
        case .int64: (swiftType, wireType, size, writer, reader, codec, json) = ("Int64", 0, sized("int64"), "Int64", "Int64", "Int64", "int64")
        case .uint32: (swiftType, wireType, size, writer, reader, codec, json) = ("UInt32", 0, sized("uint32"), "UInt32", "UInt32", "UInt32", "uint32")
        case .uint64: (swiftType, wireType, size, writer, reader, codec, json) = ("UInt64", 0, sized("uint64"), "UInt64", "UInt64", "UInt64", "uint64")
        case .sint32: (swiftType, wireType, size, writer, reader, codec, json) = ("Int32", 0, sized("sint32"), "SInt32", "SInt32", "SInt32", "int32")
        case .sint64: (swiftType, wireType, size, writer, reader, codec, json) = ("Int64", 0, sized("sint64"), "SInt64", "SInt64", "SInt64", "int64")
        case .fixed32: (swiftType, wireType, size, writer, reader, codec, json) = ("UInt32", 5, fixed(4), "Fixed32", "Fixed32", "Fixed32", "uint32")
        case .fixed64: (swiftType, wireType, size, writer, reader, codec, json) = ("UInt64", 1, fixed(8), "Fixed64", "Fixed64", "Fixed64", "uint64")
        case .sfixed32: (swiftType, wireType, size, writer, reader, codec, json) = ("Int32", 5, fixed(4), "SFixed32", "SFixed32", "SFixed32", "int32")
        case .sfixed64: (swiftType, wireType, size, writer, reader, codec, json) = ("Int64", 1, fixed(8), "SFixed64", "SFixed64", "SFixed64", "int64")
        case .bool: (swiftType, wireType, size, writer, reader, codec, json) = ("Bool", 0, fixed(1), "Bool", "Bool", "Bool", "bool")
        case .float: (swiftType, wireType, size, writer, reader, codec, json) = ("Float", 5, fixed(4), "Float", "Float", "Float", "float")
        case .double: (swiftType, wireType, size, writer, reader, codec, json) = ("Double", 1, fixed(8), "Double", "Double", "Double", "double")
        case .string: (swiftType, wireType, size, writer, reader, codec, json) = ("String", 2, sized("string"), "String", "String", "", "string")
        case .bytes: (swiftType, wireType, size, writer, reader, codec, json) = ("[UInt8]", 2, sized("bytes"), "Bytes", "Bytes", "", "bytes")
        }
        let isNotDefault: (String) -> String
        let defaultValue: String
        switch scalar {
        case .bool: (isNotDefault, defaultValue) = ({ $0 }, "false")
        case .float, .double: (isNotDefault, defaultValue) = (floating, "0")
        case .string: (isNotDefault, defaultValue) = ({ "!\($0).isEmpty" }, "\"\"")
        case .bytes: (isNotDefault, defaultValue) = ({ "!\($0).isEmpty" }, "[]")
        default: (isNotDefault, defaultValue) = (numeric, "0")
        }
        return ValueCodec(
            swiftType: swiftType,
            wireType: wireType,
            size: size,
            write: { "writer.write\(writer)(\($0))" },
            read: { "try reader.read\(reader)(\($0))" },
            isNotDefault: isNotDefault,
            defaultValue: defaultValue,
            packedCodec: codec.isEmpty ? nil : "ProtoCodec.\(codec)Codec",
            writeJSON: { "\($0).\(json)(\($1))" },
            readJSON: { "try ProtoJSONDecoding.\(json)(\($0), \"\($1)\")" }
        )
    }

    static func enumeration(_ swiftType: String, zeroCase: String) -> ValueCodec {
        ValueCodec(
            swiftType: swiftType,
            wireType: 0,
            size: { "ProtoSize.int32(\($0).rawValue)" },
            write: { "writer.writeInt32(\($0).rawValue)" },
            read: { "try reader.readEnum(\($0)) as \(swiftType)" },
            isNotDefault: { "\($0).rawValue != 0" },
            defaultValue: "." + zeroCase,
            packedCodec: "ProtoCodec.EnumCodec<\(swiftType)>",
            writeJSON: { "\($0).enumValue(\($1))" },
            readJSON: { "try ProtoJSONDecoding.enumValue(\($0), \"\($1)\", options: options) as \(swiftType)?" },
            isJSONOptional: true
        )
    }

    static func message(_ swiftType: String) -> ValueCodec {
        ValueCodec(
            swiftType: swiftType,
            wireType: 2,
            size: { "ProtoSize.message(\($0))" },
            write: { "writer.writeMessage(\($0))" },
            read: { "try reader.readMessage(\($0)) as \(swiftType)" },
            isNotDefault: { _ in "true" },
            defaultValue: "\(swiftType)()",
            packedCodec: nil,
            writeJSON: { "\($0).message(\($1))" },
            readJSON: { "try ProtoJSONDecoding.message(\($0), \"\($1)\", options: options) as \(swiftType)" },
            isMessage: true
        )
    }

    /// The varint encoding of a tag, for the generated `writeTag` and its size.
    static func tag(_ number: Int, _ wireType: Int) -> (value: UInt32, size: Int) {
        let value = UInt32(number << 3 | wireType)
        var size = 1
        var rest = value >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        return (value, size)
    }
}
