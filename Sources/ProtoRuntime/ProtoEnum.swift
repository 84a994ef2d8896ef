/// An open Protobuf enum: every `Int32` maps to a case, and numbers this schema does not know
/// survive as `.unrecognized` so that re-encoding keeps them.
public protocol ProtoEnum: Sendable, Hashable {
    /// The case for `rawValue`, `.unrecognized(rawValue)` when the schema does not name it.
    init(rawValue: Int32)
    /// The number on the wire.
    var rawValue: Int32 { get }
    /// The value name as declared in the .proto file, nil for unrecognized numbers.
    var protoName: String? { get }
    /// The case for a declared value name (aliases included), nil when the schema has none.
    init?(protoName: String)
}
