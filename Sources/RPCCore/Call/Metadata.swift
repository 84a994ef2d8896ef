/// Key-value pairs sent with a call or its status; keys are lower-case ASCII and may repeat.
///
/// Values are text or binary; there is no base64 `-bin` convention because the frame carries
/// bytes. Keys starting with `hrpc-` are reserved for the protocol.
public struct Metadata: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence {
    /// One value: text (UTF-8) or raw bytes.
    public enum Value: Hashable, Sendable {
        case text(String)
        case binary([UInt8])
    }

    /// One entry.
    public struct Entry: Hashable, Sendable {
        public var key: String
        public var value: Value

        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    private var entries: [Entry]

    public init() { entries = [] }

    public init(dictionaryLiteral elements: (String, Value)...) {
        entries = elements.map { Entry(key: $0.0.lowercased(), value: $0.1) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// Appends a value; existing values for the key stay.
    public mutating func add(_ key: String, _ value: Value) {
        entries.append(Entry(key: key.lowercased(), value: value))
    }

    /// Appends a text value.
    public mutating func add(_ key: String, _ text: String) {
        add(key, .text(text))
    }

    /// Removes every value for `key`.
    public mutating func removeAll(_ key: String) {
        let key = key.lowercased()
        entries.removeAll { $0.key == key }
    }

    /// Replaces every value for `key` with one text value.
    public mutating func set(_ key: String, _ text: String) {
        removeAll(key)
        add(key, .text(text))
    }

    /// The first text value for `key`, if any.
    public func firstText(_ key: String) -> String? {
        let key = key.lowercased()
        for entry in entries where entry.key == key {
            if case .text(let text) = entry.value { return text }
        }
        return nil
    }

    /// Every value for `key`, in order.
    public func values(_ key: String) -> [Value] {
        let key = key.lowercased()
        return entries.filter { $0.key == key }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }
}
