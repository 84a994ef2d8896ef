/// Emits Swift for messages and enums: the struct, its binary codec and its JSON mapping.
struct MessageEmitter {
    let index: SchemaIndex

    /// One field as the emitter sees it.
    private struct FieldPlan {
        enum Storage {
            case singular(ValueCodec)
            case optional(ValueCodec)
            case boxed(ValueCodec)
            case repeated(ValueCodec, isPacked: Bool)
            case map(keyType: ScalarType, key: ValueCodec, value: ValueCodec)
        }

        var decl: FieldDecl
        var property: String
        var jsonName: String
        var storage: Storage
        var codec: ValueCodec {
            switch storage {
            case .singular(let codec), .optional(let codec), .boxed(let codec), .repeated(let codec, _): codec
            case .map(_, _, let value): value
            }
        }

        /// Names JSON input may use for this field.
        var jsonNames: String {
            decl.name == jsonName ? "\"\(jsonName)\"" : "\"\(jsonName)\", \"\(decl.name)\""
        }
    }

    private struct OneofPlan {
        var decl: OneofDecl
        var property: String
        var typeName: String
        var fields: [FieldPlan]
        var isIndirect: Bool
    }

    private enum Member {
        case field(FieldPlan)
        case oneof(OneofPlan)

        var firstNumber: Int {
            switch self {
            case .field(let field): field.decl.number
            case .oneof(let oneof): oneof.fields.map(\.decl.number).min() ?? 0
            }
        }
    }

    func codec(for type: SchemaIndex.ResolvedType) -> ValueCodec {
        switch type {
        case .scalar(let scalar):
            return .scalar(scalar)
        case .enumeration(let symbol):
            let zero = index.enums[symbol.fullName]?.values.first?.name ?? ""
            let enumName = index.enums[symbol.fullName]?.name ?? ""
            return .enumeration(symbol.swiftPath, zeroCase: EnumEmitter.caseNames(of: index.enums[symbol.fullName])[zero] ?? SwiftNaming.enumCase(zero, enumName: enumName))
        case .message(let symbol):
            return .message(symbol.swiftPath)
        case .map(_, let value):
            return codec(for: value)
        }
    }

    private func plan(_ field: FieldDecl, in fullName: String) -> FieldPlan {
        let type = index.type(of: field, in: fullName)
        let storage: FieldPlan.Storage
        switch type {
        case .map(let key, let value):
            storage = .map(keyType: key, key: .scalar(key), value: codec(for: value))
        case .message(let symbol):
            let codec = codec(for: type)
            if field.label == .repeated {
                storage = .repeated(codec, isPacked: false)
            } else if field.oneofIndex == nil && index.isRecursive(from: fullName, to: symbol.fullName) {
                storage = .boxed(codec)
            } else {
                storage = .optional(codec)
            }
        default:
            let codec = codec(for: type)
            switch field.label {
            case .repeated:
                storage = .repeated(codec, isPacked: codec.packedCodec != nil && field.option("packed")?.value != "false")
            case .optional:
                storage = .optional(codec)
            case .singular:
                storage = .singular(codec)
            }
        }
        let jsonName = field.option("json_name")?.value ?? SwiftNaming.jsonName(field.name)
        return FieldPlan(
            decl: field,
            property: SwiftNaming.escaped(SwiftNaming.lowerCamel(field.name)),
            jsonName: jsonName,
            storage: storage
        )
    }

    private func members(of message: MessageDecl, fullName: String) -> [Member] {
        let nestedNames = Set(message.messages.map(\.name) + message.enums.map(\.name))
        var members: [Member] = message.fields.filter { $0.oneofIndex == nil }.map { .field(plan($0, in: fullName)) }
        for (offset, oneof) in message.oneofs.enumerated() {
            let fields = message.fields.filter { $0.oneofIndex == offset }.map { plan($0, in: fullName) }
            guard !fields.isEmpty else { continue }
            var typeName = SwiftNaming.upperCamel(oneof.name)
            if nestedNames.contains(typeName) { typeName = "OneOf_" + typeName }
            let isIndirect = fields.contains { field in
                if case .message(let symbol) = index.type(of: field.decl, in: fullName) {
                    return index.isRecursive(from: fullName, to: symbol.fullName)
                }
                return false
            }
            members.append(
                .oneof(
                    OneofPlan(
                        decl: oneof,
                        property: SwiftNaming.escaped(SwiftNaming.lowerCamel(oneof.name)),
                        typeName: typeName,
                        fields: fields,
                        isIndirect: isIndirect
                    )
                )
            )
        }
        return members.sorted { $0.firstNumber < $1.firstNumber }
    }

    // MARK: Declaration

    func emit(_ message: MessageDecl, scope: String, into code: inout CodeBuilder) {
        let fullName = scope + message.name
        let members = members(of: message, fullName: fullName)
        code.doc(message.comment)
        code.block("public struct \(message.name): ProtoMessage") { code in
            code.line("public static let protoMessageName = \"\(fullName)\"")
            for member in members {
                code.line()
                switch member {
                case .field(let field): emitProperty(field, into: &code)
                case .oneof(let oneof):
                    code.doc(oneof.decl.comment)
                    code.line("public var \(oneof.property): \(oneof.typeName)? = nil")
                }
            }
            code.line()
            code.line("/// Fields this schema does not know, kept for re-encoding.")
            code.line("public var unknownFields = ProtoUnknownFields()")
            for case .oneof(let oneof) in members {
                code.line()
                code.doc(oneof.decl.comment)
                code.block("public \(oneof.isIndirect ? "indirect " : "")enum \(oneof.typeName): Hashable, Sendable") { code in
                    for field in oneof.fields {
                        code.doc(field.decl.comment)
                        code.line("case \(field.property)(\(field.codec.swiftType))")
                    }
                }
            }
            for nested in message.enums {
                code.line()
                EnumEmitter.emit(nested, scope: fullName + ".", into: &code)
            }
            for nested in message.messages {
                code.line()
                emit(nested, scope: fullName + ".", into: &code)
            }
            code.line()
            code.line("public init() {}")
            code.line()
            emitSize(members, into: &code)
            code.line()
            emitWrite(members, into: &code)
            code.line()
            emitMerge(members, into: &code)
            code.line()
            emitWriteJSON(members, into: &code)
            code.line()
            emitMergeJSON(members, into: &code)
        }
    }

    private func emitProperty(_ field: FieldPlan, into code: inout CodeBuilder) {
        code.doc(field.decl.comment)
        if field.decl.option("deprecated")?.value == "true" {
            if !field.decl.comment.isEmpty { code.line("///") }
            code.line("/// Deprecated: kept for wire compatibility; new code should not use it.")
        }
        switch field.storage {
        case .singular(let codec):
            code.line("public var \(field.property): \(codec.swiftType) = \(codec.defaultValue)")
        case .optional(let codec):
            code.line("public var \(field.property): \(codec.swiftType)? = nil")
        case .boxed(let codec):
            let storage = "_" + field.property.filter { $0 != "`" }
            code.block("public var \(field.property): \(codec.swiftType)?") { code in
                code.line("get { \(storage)?.value }")
                code.line("set { \(storage) = newValue.map { ProtoBox($0) } }")
            }
            code.line("private var \(storage): ProtoBox<\(codec.swiftType)>? = nil")
        case .repeated(let codec, _):
            code.line("public var \(field.property): [\(codec.swiftType)] = []")
        case .map(_, let key, let value):
            code.line("public var \(field.property): [\(key.swiftType): \(value.swiftType)] = [:]")
        }
    }

    // MARK: Binary

    private func tag(_ field: FieldPlan, wireType: Int? = nil) -> (value: UInt32, size: Int) {
        ValueCodec.tag(field.decl.number, wireType ?? field.codec.wireType)
    }

    private func mapEntrySize(key: ValueCodec, value: ValueCodec) -> String {
        "1 + \(key.size("key")) + 1 + \(value.size("value"))"
    }

    private func emitSize(_ members: [Member], into code: inout CodeBuilder) {
        code.block("public func serializedSize() -> Int") { code in
            guard !members.isEmpty else {
                code.line("unknownFields.bytes.count")
                return
            }
            code.line("var size = unknownFields.bytes.count")
            for member in members {
                switch member {
                case .field(let field):
                    let tag = tag(field)
                    let codec = field.codec
                    switch field.storage {
                    case .singular:
                        code.line("if \(codec.isNotDefault("self.\(field.property)")) { size += \(tag.size) + \(codec.size("self.\(field.property)")) }")
                    case .optional, .boxed:
                        if codec.size("value").contains("value") {
                            code.line("if let value = self.\(field.property) { size += \(tag.size) + \(codec.size("value")) }")
                        } else {
                            code.line("if self.\(field.property) != nil { size += \(tag.size) + \(codec.size("value")) }")
                        }
                    case .repeated(_, true):
                        let packedTag = self.tag(field, wireType: 2)
                        code.block("if !self.\(field.property).isEmpty") { code in
                            code.line("size += \(packedTag.size) + ProtoSize.lengthDelimited(ProtoSize.packed(self.\(field.property), \(codec.packedCodec ?? "").self))")
                        }
                    case .repeated(_, false):
                        if codec.size("value").contains("value") {
                            code.line("for value in self.\(field.property) { size += \(tag.size) + \(codec.size("value")) }")
                        } else {
                            code.line("size += self.\(field.property).count * (\(tag.size) + \(codec.size("value")))")
                        }
                    case .map(_, let key, let value):
                        let entryTag = self.tag(field, wireType: 2)
                        let entrySize = mapEntrySize(key: key, value: value)
                        let entry = "\(entryTag.size) + ProtoSize.lengthDelimited(\(entrySize))"
                        switch (entrySize.contains("key"), entrySize.contains("value")) {
                        case (false, false):
                            code.line("size += self.\(field.property).count * (\(entry))")
                        case (let usesKey, let usesValue):
                            let pattern = "(\(usesKey ? "key" : "_"), \(usesValue ? "value" : "_"))"
                            code.line("for \(pattern) in self.\(field.property) { size += \(entry) }")
                        }
                    }
                case .oneof(let oneof):
                    code.switchBlock("self.\(oneof.property)") { code in
                        for field in oneof.fields {
                            let size = field.codec.size("value")
                            let binding = size.contains("value") ? "(let value)" : ""
                            code.line("case .\(field.property)\(binding)?: size += \(tag(field).size) + \(size)")
                        }
                        code.line("case nil: break")
                    }
                }
            }
            code.line("return size")
        }
    }

    /// The writer fills the buffer backwards, so fields come in reverse order and each value
    /// precedes its tag; the bytes end up in field-number order.
    private func emitWrite(_ members: [Member], into code: inout CodeBuilder) {
        code.block("public func write(to writer: inout ProtoWriter)") { code in
            code.line("writer.writeRaw(unknownFields.bytes)")
            for member in members.reversed() {
                switch member {
                case .field(let field):
                    let tag = tag(field).value
                    let codec = field.codec
                    switch field.storage {
                    case .singular:
                        code.block("if \(codec.isNotDefault("self.\(field.property)"))") { code in
                            code.line(codec.write("self.\(field.property)"))
                            code.line("writer.writeTag(\(tag))")
                        }
                    case .optional, .boxed:
                        code.block("if let value = self.\(field.property)") { code in
                            code.line(codec.write("value"))
                            code.line("writer.writeTag(\(tag))")
                        }
                    case .repeated(_, true):
                        code.block("if !self.\(field.property).isEmpty") { code in
                            code.line("writer.writePacked(self.\(field.property), \(codec.packedCodec ?? "").self)")
                            code.line("writer.writeTag(\(self.tag(field, wireType: 2).value))")
                        }
                    case .repeated(_, false):
                        code.block("for value in self.\(field.property).reversed()") { code in
                            code.line(codec.write("value"))
                            code.line("writer.writeTag(\(tag))")
                        }
                    case .map(_, let key, let value):
                        code.block("for (key, value) in self.\(field.property)") { code in
                            code.line("let entryEnd = writer.marker")
                            code.line(value.write("value"))
                            code.line("writer.writeTag(\(ValueCodec.tag(2, value.wireType).value))")
                            code.line(key.write("key"))
                            code.line("writer.writeTag(\(ValueCodec.tag(1, key.wireType).value))")
                            code.line("writer.writeLength(since: entryEnd)")
                            code.line("writer.writeTag(\(self.tag(field, wireType: 2).value))")
                        }
                    }
                case .oneof(let oneof):
                    code.switchBlock("self.\(oneof.property)") { code in
                        for field in oneof.fields {
                            code.line("case .\(field.property)(let value)?:")
                            code.indent { code in
                                code.line(field.codec.write("value"))
                                code.line("writer.writeTag(\(tag(field).value))")
                            }
                        }
                        code.line("case nil: break")
                    }
                }
            }
        }
    }

    private func emitMerge(_ members: [Member], into code: inout CodeBuilder) {
        code.block("public mutating func merge(from reader: inout ProtoReader) throws(ProtoDecodingError)") { code in
            code.block("while let tag = try reader.nextTag()") { code in
                code.line("switch tag.fieldNumber {")
                for member in members {
                    switch member {
                    case .field(let field):
                        code.line("case \(field.decl.number):")
                        code.indent { code in emitRead(field, into: &code) }
                    case .oneof(let oneof):
                        for field in oneof.fields {
                            code.line("case \(field.decl.number):")
                            code.indent { code in
                                let target = "self.\(oneof.property)"
                                if field.codec.isMessage {
                                    code.block("if case .\(field.property)(let existing)? = \(target)") { code in
                                        code.line("\(target) = .\(field.property)(try reader.readMessage(tag, merging: existing))")
                                    }
                                    code.elseBlock("else") { code in
                                        code.line("\(target) = .\(field.property)(\(field.codec.read("tag")))")
                                    }
                                } else {
                                    code.line("\(target) = .\(field.property)(\(field.codec.read("tag")))")
                                }
                            }
                        }
                    }
                }
                code.line("default:")
                code.indent { code in code.line("try reader.readUnknownField(tag, into: &self.unknownFields)") }
                code.line("}")
            }
        }
    }

    private func emitRead(_ field: FieldPlan, into code: inout CodeBuilder) {
        let target = "self.\(field.property)"
        switch field.storage {
        case .singular(let codec):
            code.line("\(target) = \(codec.read("tag"))")
        case .optional(let codec), .boxed(let codec):
            if codec.isMessage {
                code.line("\(target) = try reader.readMessage(tag, merging: \(target))")
            } else {
                code.line("\(target) = \(codec.read("tag"))")
            }
        case .repeated(let codec, _):
            if let packed = codec.packedCodec {
                code.line("try reader.readRepeated(tag, \(packed).self, into: &\(target))")
            } else {
                code.line("\(target).append(\(codec.read("tag")))")
            }
        case .map(_, let key, let value):
            code.line("let outerEnd = try reader.beginNested(tag)")
            code.line("var key: \(key.swiftType) = \(key.defaultValue)")
            code.line("var value: \(value.swiftType) = \(value.defaultValue)")
            code.block("while let entryTag = try reader.nextTag()") { code in
                code.line("switch entryTag.fieldNumber {")
                code.line("case 1: key = \(key.read("entryTag"))")
                if value.isMessage {
                    code.line("case 2: value = try reader.readMessage(entryTag, merging: value)")
                } else {
                    code.line("case 2: value = \(value.read("entryTag"))")
                }
                code.line("default: try reader.skipField(entryTag)")
                code.line("}")
            }
            code.line("reader.endNested(outerEnd)")
            code.line("\(target)[key] = value")
        }
    }

    // MARK: JSON

    private func emitWriteJSON(_ members: [Member], into code: inout CodeBuilder) {
        code.block("public func writeJSON(to writer: inout ProtoJSONWriter)") { code in
            code.line("writer.beginObject()")
            for member in members {
                switch member {
                case .field(let field):
                    let codec = field.codec
                    let target = "self.\(field.property)"
                    switch field.storage {
                    case .singular:
                        code.block("if \(codec.isNotDefault(target))") { code in
                            code.line("writer.name(\"\(field.jsonName)\")")
                            code.line(codec.writeJSON("writer", target))
                        }
                    case .optional, .boxed:
                        code.block("if let value = \(target)") { code in
                            code.line("writer.name(\"\(field.jsonName)\")")
                            code.line(codec.writeJSON("writer", "value"))
                        }
                    case .repeated:
                        code.block("if !\(target).isEmpty") { code in
                            code.line("writer.name(\"\(field.jsonName)\")")
                            code.line("writer.array(\(target)) { \(codec.writeJSON("$0", "$1")) }")
                        }
                    case .map(let keyType, _, let value):
                        let keyText: String
                        switch keyType {
                        case .string: keyText = "$0"
                        case .bool: keyText = "$0 ? \"true\" : \"false\""
                        default: keyText = "String($0)"
                        }
                        code.block("if !\(target).isEmpty") { code in
                            code.line("writer.name(\"\(field.jsonName)\")")
                            code.line("writer.map(\(target), key: { \(keyText) }) { \(value.writeJSON("$0", "$1")) }")
                        }
                    }
                case .oneof(let oneof):
                    code.switchBlock("self.\(oneof.property)") { code in
                        for field in oneof.fields {
                            code.line("case .\(field.property)(let value)?:")
                            code.indent { code in
                                code.line("writer.name(\"\(field.jsonName)\")")
                                code.line(field.codec.writeJSON("writer", "value"))
                            }
                        }
                        code.line("case nil: break")
                    }
                }
            }
            code.line("writer.endObject()")
        }
    }

    private func emitMergeJSON(_ members: [Member], into code: inout CodeBuilder) {
        code.block(
            "public mutating func mergeJSON(_ members: [JSONValue.Member], options: ProtoJSONDecodingOptions) throws(ProtoDecodingError)"
        ) { code in
            code.block("for member in members") { code in
                code.line("switch member.name {")
                for member in members {
                    switch member {
                    case .field(let field):
                        code.line("case \(field.jsonNames):")
                        code.indent { code in emitReadJSON(field, into: &code) }
                    case .oneof(let oneof):
                        for field in oneof.fields {
                            code.line("case \(field.jsonNames):")
                            code.indent { code in
                                let read = field.codec.readJSON("member.value", field.decl.name)
                                let target = "self.\(oneof.property)"
                                if field.codec.isJSONOptional {
                                    code.block("if member.value != .null, let value = \(read)") { code in
                                        code.line("\(target) = .\(field.property)(value)")
                                    }
                                } else {
                                    code.block("if member.value != .null") { code in
                                        code.line("\(target) = .\(field.property)(\(read))")
                                    }
                                }
                            }
                        }
                    }
                }
                code.line("default:")
                code.indent { code in
                    code.line("try ProtoJSONDecoding.unknownField(member.name, in: Self.protoMessageName, options: options)")
                }
                code.line("}")
            }
        }
    }

    private func emitReadJSON(_ field: FieldPlan, into code: inout CodeBuilder) {
        let target = "self.\(field.property)"
        let name = field.decl.name
        switch field.storage {
        case .singular(let codec), .optional(let codec), .boxed(let codec):
            let reset: String
            if case .singular = field.storage { reset = codec.defaultValue } else { reset = "nil" }
            code.block("if member.value == .null") { code in code.line("\(target) = \(reset)") }
            if codec.isMessage {
                code.elseBlock("else") { code in
                    code.line("\(target) = try ProtoJSONDecoding.message(member.value, \"\(name)\", merging: \(target), options: options)")
                }
            } else if codec.isJSONOptional {
                code.elseBlock("else if let value = \(codec.readJSON("member.value", name))") { code in
                    code.line("\(target) = value")
                }
            } else {
                code.elseBlock("else") { code in code.line("\(target) = \(codec.readJSON("member.value", name))") }
            }
        case .repeated(let codec, _):
            code.line("var values: [\(codec.swiftType)] = []")
            code.block("for element in try ProtoJSONDecoding.array(member.value, \"\(name)\")") { code in
                if codec.isJSONOptional {
                    code.line("if let value = \(codec.readJSON("element", name)) { values.append(value) }")
                } else {
                    code.line("values.append(\(codec.readJSON("element", name)))")
                }
            }
            code.line("\(target) = values")
        case .map(let keyType, let key, let value):
            let keyExpression: String
            switch keyType {
            case .string: keyExpression = "entry.name"
            case .bool: keyExpression = "try ProtoJSONDecoding.boolKey(entry.name, \"\(name)\")"
            default: keyExpression = "try ProtoJSONDecoding.integerKey(entry.name, \"\(name)\") as \(key.swiftType)"
            }
            code.line("var entries: [\(key.swiftType): \(value.swiftType)] = [:]")
            code.block("for entry in try ProtoJSONDecoding.object(member.value, \"\(name)\")") { code in
                code.line("let key = \(keyExpression)")
                if value.isJSONOptional {
                    code.line("if let value = \(value.readJSON("entry.value", name)) { entries[key] = value }")
                } else {
                    code.line("entries[key] = \(value.readJSON("entry.value", name))")
                }
            }
            code.line("\(target) = entries")
        }
    }
}
