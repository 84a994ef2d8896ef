/// An immutable heap box, so that a message can hold a field of its own type (directly or through
/// other messages) while staying a value type.
public final class ProtoBox<Value: Hashable & Sendable>: Hashable, Sendable {
    /// The boxed value.
    public let value: Value

    /// Boxes `value`.
    @inlinable
    public init(_ value: Value) { self.value = value }

    public static func == (lhs: ProtoBox, rhs: ProtoBox) -> Bool {
        lhs === rhs || lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}
