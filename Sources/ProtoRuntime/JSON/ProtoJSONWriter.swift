/// Builds canonical proto3 JSON text; generated `writeJSON(to:)` methods call it field by field.
public struct ProtoJSONWriter {
    @usableFromInline var bytes: [UInt8] = []
    @usableFromInline var needsComma = false

    public init() {}

    /// The JSON text written so far.
    public var result: String { String(decoding: bytes, as: UTF8.self) }

    @usableFromInline
    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    @usableFromInline
    mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    /// Opens an object.
    public mutating func beginObject() {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes an object.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Opens an array.
    public mutating func beginArray() {
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Closes an array.
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes a member name (the next value written is its value).
    public mutating func name(_ name: String) {
        separate()
        quoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes a string with JSON escapes.
    public mutating func string(_ value: String) {
        separate()
        quoted(value)
    }

    private mutating func quoted(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                append("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 15)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func raw(_ text: String) {
        separate()
        append(text)
    }

    /// Writes a 32-bit integer as a JSON number.
    public mutating func int32(_ value: Int32) { raw(String(value)) }
    /// Writes a `uint32` as a JSON number.
    public mutating func uint32(_ value: UInt32) { raw(String(value)) }
    /// Writes a 64-bit integer as a string, as proto3 JSON requires (JavaScript loses precision).
    public mutating func int64(_ value: Int64) { string(String(value)) }
    /// Writes a `uint64` as a string.
    public mutating func uint64(_ value: UInt64) { string(String(value)) }
    /// Writes a `bool`.
    public mutating func bool(_ value: Bool) { raw(value ? "true" : "false") }
    /// Writes `bytes` as standard base64.
    public mutating func bytes(_ value: [UInt8]) { string(Base64.encode(value)) }

    /// Writes a `double`: shortest round-trip text, or "NaN"/"Infinity"/"-Infinity" as strings.
    public mutating func double(_ value: Double) {
        if value.isNaN {
            string("NaN")
        } else if value.isInfinite {
            string(value < 0 ? "-Infinity" : "Infinity")
        } else {
            raw(Self.trimmed(value.description))
        }
    }

    /// Writes a `float` with the shortest text that round-trips as a float.
    public mutating func float(_ value: Float) {
        if value.isNaN {
            string("NaN")
        } else if value.isInfinite {
            string(value < 0 ? "-Infinity" : "Infinity")
        } else {
            raw(Self.trimmed(value.description))
        }
    }

    /// Swift prints integral values as `1.0`; JSON readers prefer `1`.
    ///
    /// Negative zero keeps its `.0` (fix from the schemas branch, found by Tests/Interop): readers
    /// that take `-0` for an integer, such as Python's json_format, would lose the sign.
    private static func trimmed(_ text: String) -> String {
        text.hasSuffix(".0") && text != "-0.0" ? String(text.dropLast(2)) : text
    }

    /// Writes an enum by name, or by number when the schema does not name it.
    public mutating func enumValue<Enum: ProtoEnum>(_ value: Enum) {
        if let name = value.protoName {
            string(name)
        } else {
            int32(value.rawValue)
        }
    }

    /// Writes a nested message as an object.
    public mutating func message<Message: ProtoMessage>(_ message: Message) {
        separate()
        message.writeJSON(to: &self)
    }

    /// Writes an array, one element at a time through `element`.
    public mutating func array<Element>(_ elements: [Element], _ element: (inout ProtoJSONWriter, Element) -> Void) {
        separate()
        beginArray()
        for value in elements { element(&self, value) }
        endArray()
    }

    /// Writes a map as an object, keys converted with `key` and sorted for stable output.
    public mutating func map<Key: Hashable, Value>(
        _ entries: [Key: Value],
        key: (Key) -> String,
        _ value: (inout ProtoJSONWriter, Value) -> Void
    ) {
        separate()
        beginObject()
        for (entryName, entryValue) in entries.map({ (key($0.key), $0.value) }).sorted(by: { $0.0 < $1.0 }) {
            name(entryName)
            value(&self, entryValue)
        }
        endObject()
    }
}
