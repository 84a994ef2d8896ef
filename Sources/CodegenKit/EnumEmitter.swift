/// Emits an open Swift enum for a proto enum: one case per number, aliases as static lets, and
/// `.unrecognized(Int32)` for numbers the schema does not name.
enum EnumEmitter {
    /// Swift case names by proto value name; aliases map to their canonical case's name.
    static func caseNames(of enumeration: EnumDecl?) -> [String: String] {
        guard let enumeration else { return [:] }
        var names: [String: String] = [:]
        var used: Set<String> = ["unrecognized"]
        var byNumber: [Int: String] = [:]
        for value in enumeration.values {
            var name = SwiftNaming.enumCase(value.name, enumName: enumeration.name)
            while !used.insert(name).inserted { name += "_" }
            names[value.name] = name
            if byNumber[value.number] == nil { byNumber[value.number] = name }
        }
        return names
    }

    static func emit(_ enumeration: EnumDecl, scope: String, into code: inout CodeBuilder) {
        let names = caseNames(of: enumeration)
        var canonical: [Int: EnumValueDecl] = [:]
        var aliases: [EnumValueDecl] = []
        for value in enumeration.values {
            if canonical[value.number] == nil { canonical[value.number] = value } else { aliases.append(value) }
        }
        let cases = enumeration.values.filter { canonical[$0.number]?.name == $0.name }
        func swiftName(_ value: EnumValueDecl) -> String { SwiftNaming.escaped(names[value.name] ?? value.name) }
        code.doc(enumeration.comment)
        code.block("public enum \(enumeration.name): ProtoEnum") { code in
            for value in cases {
                code.doc(value.comment)
                code.line("case \(swiftName(value))")
            }
            code.line("/// A number this schema does not name, kept so that re-encoding preserves it.")
            code.line("case unrecognized(Int32)")
            for alias in aliases {
                code.line()
                code.doc(alias.comment)
                if let target = canonical[alias.number] {
                    code.line("public static let \(swiftName(alias)): \(enumeration.name) = .\(swiftName(target))")
                }
            }
            code.line()
            code.block("public init(rawValue: Int32)") { code in
                code.line("switch rawValue {")
                for value in cases { code.line("case \(value.number): self = .\(swiftName(value))") }
                code.line("default: self = .unrecognized(rawValue)")
                code.line("}")
            }
            code.line()
            code.block("public var rawValue: Int32") { code in
                code.line("switch self {")
                for value in cases { code.line("case .\(swiftName(value)): \(value.number)") }
                code.line("case .unrecognized(let number): number")
                code.line("}")
            }
            code.line()
            code.block("public var protoName: String?") { code in
                code.line("switch self {")
                for value in cases { code.line("case .\(swiftName(value)): \"\(value.name)\"") }
                code.line("case .unrecognized: nil")
                code.line("}")
            }
            code.line()
            code.block("public init?(protoName: String)") { code in
                code.line("switch protoName {")
                for value in enumeration.values {
                    if let target = canonical[value.number] {
                        code.line("case \"\(value.name)\": self = .\(swiftName(target))")
                    }
                }
                code.line("default: return nil")
                code.line("}")
            }
        }
    }
}
