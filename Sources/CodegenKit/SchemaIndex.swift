/// Every type declared across a set of .proto files, with names resolved and the schema checked
/// (field numbers, reserved names and numbers, duplicates, enum rules, undefined types).
struct SchemaIndex {
    /// A declared message or enum.
    struct Symbol {
        enum Kind { case message, enumeration }
        var kind: Kind
        /// `habit.v1.Outer.Inner`.
        var fullName: String
        /// `Outer.Inner`: the Swift type path (the package is the module).
        var swiftPath: String
        var location: SourceLocation
    }

    /// A field type after name resolution.
    indirect enum ResolvedType {
        case scalar(ScalarType)
        case enumeration(Symbol)
        case message(Symbol)
        case map(key: ScalarType, value: ResolvedType)
    }

    private(set) var symbols: [String: Symbol] = [:]
    /// Field types keyed by `messageFullName` then field name.
    private(set) var fieldTypes: [String: [String: ResolvedType]] = [:]
    /// Messages and their singular message fields, for recursion detection.
    private var messageEdges: [String: Set<String>] = [:]
    /// Zero-valued enum case per enum full name (`HabitStatus.unspecified`).
    private(set) var enums: [String: EnumDecl] = [:]

    init(files: [ProtoFile]) throws(CodegenError) {
        for file in files {
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for message in file.messages { try register(message, scope: prefix, swiftScope: "") }
            for enumeration in file.enums { try register(enumeration, scope: prefix, swiftScope: "") }
        }
        for file in files {
            let prefix = file.package.isEmpty ? "" : file.package + "."
            for message in file.messages { try check(message, scope: prefix) }
            for enumeration in file.enums { try check(enumeration) }
            for service in file.services { try check(service, package: file.package) }
        }
    }

    private mutating func add(_ symbol: Symbol) throws(CodegenError) {
        if let existing = symbols[symbol.fullName] {
            throw CodegenError(symbol.location, "\(symbol.fullName) is already defined at \(existing.location)")
        }
        symbols[symbol.fullName] = symbol
    }

    private mutating func register(_ message: MessageDecl, scope: String, swiftScope: String) throws(CodegenError) {
        let fullName = scope + message.name
        let swiftPath = swiftScope + message.name
        try add(Symbol(kind: .message, fullName: fullName, swiftPath: swiftPath, location: message.location))
        for nested in message.messages { try register(nested, scope: fullName + ".", swiftScope: swiftPath + ".") }
        for nested in message.enums { try register(nested, scope: fullName + ".", swiftScope: swiftPath + ".") }
    }

    private mutating func register(_ enumeration: EnumDecl, scope: String, swiftScope: String) throws(CodegenError) {
        let fullName = scope + enumeration.name
        try add(
            Symbol(
                kind: .enumeration, fullName: fullName, swiftPath: swiftScope + enumeration.name,
                location: enumeration.location
            )
        )
        enums[fullName] = enumeration
    }

    /// Resolves `name` as protobuf does: innermost scope first, then each enclosing one.
    func lookup(_ name: String, scope: String) -> Symbol? {
        if name.hasPrefix(".") { return symbols[String(name.dropFirst())] }
        var scope = scope.hasSuffix(".") ? String(scope.dropLast()) : scope
        while true {
            let candidate = scope.isEmpty ? name : scope + "." + name
            if let symbol = symbols[candidate] { return symbol }
            guard !scope.isEmpty else { return nil }
            if let dot = scope.lastIndex(of: ".") {
                scope = String(scope[..<dot])
            } else {
                scope = ""
            }
        }
    }

    private func resolve(_ reference: TypeReference, scope: String, at location: SourceLocation) throws(CodegenError) -> ResolvedType {
        switch reference {
        case .scalar(let scalar):
            return .scalar(scalar)
        case .map(let key, let value):
            return .map(key: key, value: try resolve(value, scope: scope, at: location))
        case .named(let name):
            guard let symbol = lookup(name, scope: scope) else {
                throw CodegenError(location, "undefined type '\(name)'")
            }
            return symbol.kind == .message ? .message(symbol) : .enumeration(symbol)
        }
    }

    private static let maxFieldNumber = 536_870_911

    private mutating func check(_ message: MessageDecl, scope: String) throws(CodegenError) {
        let fullName = scope + message.name
        var numbers: [Int: String] = [:]
        var names: Set<String> = []
        var jsonNames: [String: String] = [:]
        var types: [String: ResolvedType] = [:]
        var edges: Set<String> = []
        for field in message.fields {
            guard (1...Self.maxFieldNumber).contains(field.number) else {
                throw CodegenError(field.numberLocation, "field number \(field.number) of \(field.name) is outside 1 to \(Self.maxFieldNumber)")
            }
            guard !(19000...19999).contains(field.number) else {
                throw CodegenError(field.numberLocation, "field number \(field.number) of \(field.name) is in 19000 to 19999, reserved by Protobuf")
            }
            if let other = numbers[field.number] {
                throw CodegenError(field.numberLocation, "field number \(field.number) of \(field.name) is already used by \(other)")
            }
            guard names.insert(field.name).inserted else {
                throw CodegenError(field.location, "field \(field.name) is already defined in \(message.name)")
            }
            if message.reserved.ranges.contains(where: { $0.contains(field.number) }) {
                throw CodegenError(field.numberLocation, "field number \(field.number) of \(field.name) is reserved in \(message.name)")
            }
            if message.reserved.names.contains(field.name) {
                throw CodegenError(field.location, "field name \(field.name) is reserved in \(message.name)")
            }
            // Swift property and JSON names both come from the lowerCamelCase form, so two fields
            // that share it (`foo_bar`, `fooBar`) cannot both exist; protoc refuses them too.
            let jsonName = SwiftNaming.jsonName(field.name).lowercased()
            if let other = jsonNames[jsonName] {
                throw CodegenError(field.location, "field \(field.name) has the same camel-case name as \(other)")
            }
            jsonNames[jsonName] = field.name
            numbers[field.number] = field.name
            let type = try resolve(field.type, scope: fullName, at: field.typeLocation)
            try checkOptions(of: field, type: type)
            types[field.name] = type
            if case .message(let symbol) = type, field.label != .repeated { edges.insert(symbol.fullName) }
        }
        var oneofNames: Set<String> = []
        for oneof in message.oneofs {
            guard oneofNames.insert(oneof.name).inserted, !names.contains(oneof.name) else {
                throw CodegenError(oneof.location, "oneof \(oneof.name) is already defined in \(message.name)")
            }
        }
        fieldTypes[fullName] = types
        messageEdges[fullName] = edges
        for nested in message.messages { try check(nested, scope: fullName + ".") }
        for nested in message.enums { try check(nested) }
    }

    private func checkOptions(of field: FieldDecl, type: ResolvedType) throws(CodegenError) {
        if let packed = field.option("packed") {
            let isPackable: Bool
            switch type {
            case .scalar(let scalar): isPackable = scalar != .string && scalar != .bytes
            case .enumeration: isPackable = true
            default: isPackable = false
            }
            guard field.label == .repeated && isPackable else {
                throw CodegenError(packed.location, "[packed] applies only to repeated scalar or enum fields, not \(field.name)")
            }
            guard packed.value == "true" || packed.value == "false" else {
                throw CodegenError(packed.location, "[packed] must be true or false")
            }
        }
        if let deprecated = field.option("deprecated"), deprecated.value != "true" && deprecated.value != "false" {
            throw CodegenError(deprecated.location, "[deprecated] must be true or false")
        }
        if let jsonName = field.option("json_name"), jsonName.value.isEmpty {
            throw CodegenError(jsonName.location, "[json_name] must not be empty")
        }
    }

    private func check(_ enumeration: EnumDecl) throws(CodegenError) {
        guard let first = enumeration.values.first else {
            throw CodegenError(enumeration.location, "enum \(enumeration.name) must have at least one value")
        }
        guard first.number == 0 else {
            throw CodegenError(first.location, "the first value of enum \(enumeration.name) must be 0 in proto3, not \(first.number)")
        }
        var numbers: [Int: String] = [:]
        var names: Set<String> = []
        var hasAlias = false
        for value in enumeration.values {
            guard names.insert(value.name).inserted else {
                throw CodegenError(value.location, "enum value \(value.name) is already defined in \(enumeration.name)")
            }
            if let other = numbers[value.number] {
                guard enumeration.allowsAlias else {
                    throw CodegenError(
                        value.location,
                        "\(value.name) reuses number \(value.number) of \(other); set option allow_alias = true to allow aliases"
                    )
                }
                hasAlias = true
            } else {
                numbers[value.number] = value.name
            }
            if enumeration.reserved.ranges.contains(where: { $0.contains(value.number) }) {
                throw CodegenError(value.location, "enum value number \(value.number) of \(value.name) is reserved in \(enumeration.name)")
            }
            if enumeration.reserved.names.contains(value.name) {
                throw CodegenError(value.location, "enum value name \(value.name) is reserved in \(enumeration.name)")
            }
        }
        if enumeration.allowsAlias && !hasAlias, let option = enumeration.options.first(where: { $0.name == "allow_alias" }) {
            throw CodegenError(option.location, "enum \(enumeration.name) sets allow_alias but has no aliases")
        }
    }

    private func check(_ service: ServiceDecl, package: String) throws(CodegenError) {
        var names: Set<String> = []
        for method in service.methods {
            guard names.insert(method.name).inserted else {
                throw CodegenError(method.location, "method \(method.name) is already defined in \(service.name)")
            }
            for (name, location) in [(method.inputType, method.inputLocation), (method.outputType, method.outputLocation)] {
                guard let symbol = lookup(name, scope: package) else {
                    throw CodegenError(location, "undefined type '\(name)'")
                }
                guard symbol.kind == .message else {
                    throw CodegenError(location, "'\(name)' is an enum; request and response types must be messages")
                }
            }
        }
    }

    /// The resolved type of `field` in the message `messageFullName`.
    func type(of field: FieldDecl, in messageFullName: String) -> ResolvedType {
        fieldTypes[messageFullName]?[field.name] ?? .scalar(.bytes)
    }

    /// Whether a singular field of type `target` in `owner` closes a cycle of singular message
    /// fields, so it needs a box to keep the struct finite.
    func isRecursive(from owner: String, to target: String) -> Bool {
        var seen: Set<String> = []
        var stack = [target]
        while let name = stack.popLast() {
            if name == owner { return true }
            guard seen.insert(name).inserted else { continue }
            stack += messageEdges[name] ?? []
        }
        return false
    }
}
