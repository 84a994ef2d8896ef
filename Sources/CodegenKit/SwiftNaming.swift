/// How proto names become Swift names.
enum SwiftNaming {
    private static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
        "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
        "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true",
        "try", "Type", "Protocol", "some", "any",
    ]

    /// Backquotes a name that is a Swift keyword.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// protobuf's JSON name: underscores removed, the letter after each one upper-cased.
    static func jsonName(_ protoName: String) -> String {
        var result = ""
        var capitalizeNext = false
        for character in protoName {
            if character == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                result += character.uppercased()
                capitalizeNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// `display_name` -> `displayName`; `CreateHabit` -> `createHabit`.
    static func lowerCamel(_ name: String) -> String {
        let camel = jsonName(name)
        guard let first = camel.first else { return camel }
        // Lower-case a leading run of capitals (`URLPath` -> `urlPath`), keeping the last one of a run
        // that starts a word.
        let characters = Array(camel)
        var prefixEnd = 0
        while prefixEnd < characters.count && characters[prefixEnd].isUppercase { prefixEnd += 1 }
        if prefixEnd <= 1 { return first.lowercased() + camel.dropFirst() }
        let lowerCount = prefixEnd == characters.count ? prefixEnd : prefixEnd - 1
        return String(characters[..<lowerCount]).lowercased() + String(characters[lowerCount...])
    }

    /// `schedule_kind` -> `ScheduleKind`.
    static func upperCamel(_ name: String) -> String {
        let camel = jsonName(name)
        guard let first = camel.first else { return camel }
        return first.uppercased() + camel.dropFirst()
    }

    /// `HabitStatus` -> `HABIT_STATUS_`, the prefix enum values conventionally repeat.
    static func screamingPrefix(_ enumName: String) -> String {
        var result = ""
        for (offset, character) in enumName.enumerated() {
            if character.isUppercase && offset > 0 { result += "_" }
            result += character.uppercased()
        }
        return result + "_"
    }

    /// `HABIT_STATUS_ACTIVE_NOW` in `HabitStatus` -> `activeNow`.
    static func enumCase(_ valueName: String, enumName: String) -> String {
        var name = valueName
        let prefix = screamingPrefix(enumName)
        if name.hasPrefix(prefix), let next = name.dropFirst(prefix.count).first, !next.isNumber {
            name = String(name.dropFirst(prefix.count))
        }
        let parts = name.split(separator: "_").map { $0.lowercased() }
        guard let head = parts.first else { return "value" }
        let camel = head + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return camel.first?.isNumber == true ? "_" + camel : camel
    }
}

/// Builds indented source text.
struct CodeBuilder {
    private(set) var text = ""
    private var indentation = ""

    mutating func line(_ line: String = "") {
        text += line.isEmpty ? "\n" : indentation + line + "\n"
    }

    mutating func block(_ opening: String, _ body: (inout CodeBuilder) -> Void) {
        line(opening + " {")
        indent(body)
        line("}")
    }

    /// Continues the block just closed with `} else … {`.
    mutating func elseBlock(_ opening: String, _ body: (inout CodeBuilder) -> Void) {
        let closing = indentation + "}\n"
        if text.hasSuffix(closing) { text.removeLast(closing.count) }
        line("} " + opening + " {")
        indent(body)
        line("}")
    }

    /// A `switch` whose cases sit at the switch's own indentation, as Swift style has them.
    mutating func switchBlock(_ subject: String, _ body: (inout CodeBuilder) -> Void) {
        line("switch \(subject) {")
        body(&self)
        line("}")
    }

    mutating func indent(_ body: (inout CodeBuilder) -> Void) {
        let saved = indentation
        indentation += "    "
        body(&self)
        indentation = saved
    }

    /// Emits proto comment lines as a `///` doc comment.
    mutating func doc(_ lines: [String]) {
        for comment in lines { line(comment.isEmpty ? "///" : "/// " + comment) }
    }
}
