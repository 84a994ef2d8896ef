/// The parsed form of .proto files, before names are resolved.

/// A scalar type of the .proto language.
public enum ScalarType: String, Sendable, CaseIterable {
    case int32, int64, uint32, uint64, sint32, sint64, fixed32, fixed64, sfixed32, sfixed64
    case bool, float, double, string, bytes
}

/// A field's type as written: a scalar, a (not yet resolved) type name, or a map.
public indirect enum TypeReference: Sendable, Equatable {
    case scalar(ScalarType)
    case named(String)
    case map(key: ScalarType, value: TypeReference)
}

/// `option name = value;` or `[name = value]`.
public struct OptionDecl: Sendable {
    public var name: String
    public var value: String
    public var location: SourceLocation
}

/// Field numbers and names a message or enum has retired.
public struct ReservedDecl: Sendable {
    public var ranges: [ClosedRange<Int>] = []
    public var names: [String] = []
}

/// A field of a message or of a oneof.
public struct FieldDecl: Sendable {
    public enum Label: Sendable { case singular, optional, repeated }
    public var name: String
    public var number: Int
    public var label: Label
    public var type: TypeReference
    public var options: [OptionDecl]
    /// Index into the message's `oneofs` when the field belongs to one.
    public var oneofIndex: Int?
    public var location: SourceLocation
    public var typeLocation: SourceLocation
    public var numberLocation: SourceLocation
    public var comment: [String]

    func option(_ name: String) -> OptionDecl? { options.first { $0.name == name } }
}

/// A `oneof` block.
public struct OneofDecl: Sendable {
    public var name: String
    public var location: SourceLocation
    public var comment: [String]
}

/// A `message` block.
public struct MessageDecl: Sendable {
    public var name: String
    public var location: SourceLocation
    public var comment: [String]
    public var fields: [FieldDecl] = []
    public var oneofs: [OneofDecl] = []
    public var messages: [MessageDecl] = []
    public var enums: [EnumDecl] = []
    public var reserved = ReservedDecl()
    public var options: [OptionDecl] = []
}

/// One `NAME = number;` of an enum.
public struct EnumValueDecl: Sendable {
    public var name: String
    public var number: Int
    public var location: SourceLocation
    public var comment: [String]
}

/// An `enum` block.
public struct EnumDecl: Sendable {
    public var name: String
    public var location: SourceLocation
    public var comment: [String]
    public var values: [EnumValueDecl] = []
    public var reserved = ReservedDecl()
    public var options: [OptionDecl] = []

    var allowsAlias: Bool { options.contains { $0.name == "allow_alias" && $0.value == "true" } }
}

/// One `rpc` of a service.
public struct MethodDecl: Sendable {
    public var name: String
    public var location: SourceLocation
    public var comment: [String]
    public var inputType: String
    public var inputLocation: SourceLocation
    public var isClientStreaming: Bool
    public var outputType: String
    public var outputLocation: SourceLocation
    public var isServerStreaming: Bool
    public var options: [OptionDecl] = []
}

/// A `service` block.
public struct ServiceDecl: Sendable {
    public var name: String
    public var location: SourceLocation
    public var comment: [String]
    public var methods: [MethodDecl] = []
    public var options: [OptionDecl] = []
}

/// One parsed .proto file.
public struct ProtoFile: Sendable {
    /// The path relative to the proto path, as imports name it (`habit/v1/habit.proto`).
    public var path: String
    public var package: String = ""
    public var imports: [(path: String, location: SourceLocation)] = []
    public var options: [OptionDecl] = []
    public var messages: [MessageDecl] = []
    public var enums: [EnumDecl] = []
    public var services: [ServiceDecl] = []
}
