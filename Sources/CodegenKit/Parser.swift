/// A recursive-descent parser for proto3 that refuses what habit-codegen does not support (proto2,
/// editions, groups, extensions, required fields) with a positioned error.
struct Parser {
    private let file: String
    private let tokens: [Token]
    private var index = 0

    /// Parses `source`; `file` names it in errors and in the result.
    static func parse(file: String, source: String) throws(CodegenError) -> ProtoFile {
        var parser = Parser(file: file, tokens: try Lexer.tokenize(file: file, source: source))
        return try parser.parseFile()
    }

    private init(file: String, tokens: [Token]) {
        self.file = file
        self.tokens = tokens
    }

    // MARK: Token helpers

    private var current: Token { tokens[min(index, tokens.count - 1)] }

    private mutating func next() -> Token {
        let token = current
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isSymbol(_ symbol: Character) -> Bool { current.kind == .symbol(symbol) }
    private func isKeyword(_ word: String) -> Bool { current.kind == .identifier(word) }

    private mutating func consume(_ symbol: Character) -> Bool {
        guard isSymbol(symbol) else { return false }
        index += 1
        return true
    }

    @discardableResult
    private mutating func expect(_ symbol: Character) throws(CodegenError) -> Token {
        guard isSymbol(symbol) else {
            throw CodegenError(current.location, "expected '\(symbol)', found '\(current.text)'")
        }
        return next()
    }

    private mutating func expectKeyword(_ word: String) throws(CodegenError) {
        guard isKeyword(word) else {
            throw CodegenError(current.location, "expected '\(word)', found '\(current.text)'")
        }
        index += 1
    }

    private mutating func identifier(_ what: String) throws(CodegenError) -> String {
        guard case .identifier(let name) = current.kind else {
            throw CodegenError(current.location, "expected \(what), found '\(current.text)'")
        }
        index += 1
        return name
    }

    /// A dotted name, optionally starting with `.` (fully qualified).
    private mutating func fullIdentifier(_ what: String) throws(CodegenError) -> String {
        var name = consume(".") ? "." : ""
        name += try identifier(what)
        while consume(".") { name += "." + (try identifier(what)) }
        return name
    }

    private mutating func integer(_ what: String) throws(CodegenError) -> Int {
        let location = current.location
        let negative = consume("-")
        guard case .integer(let text) = current.kind else {
            throw CodegenError(location, "expected \(what), found '\(current.text)'")
        }
        index += 1
        let lower = text.lowercased()
        let magnitude: Int?
        if lower.hasPrefix("0x") {
            magnitude = Int(lower.dropFirst(2), radix: 16)
        } else if lower.count > 1 && lower.hasPrefix("0") {
            magnitude = Int(lower.dropFirst(), radix: 8)
        } else {
            magnitude = Int(lower)
        }
        guard let magnitude, magnitude <= Int(UInt32.max) else {
            throw CodegenError(location, "\(what) '\(text)' is out of range")
        }
        return negative ? -magnitude : magnitude
    }

    /// An option value: a constant, or a `{ ... }` aggregate kept as text.
    private mutating func constant() throws(CodegenError) -> String {
        if isSymbol("{") {
            var depth = 0
            var text = ""
            repeat {
                let token = next()
                if token.kind == .end { throw CodegenError(token.location, "unterminated option value") }
                if token.kind == .symbol("{") { depth += 1 }
                if token.kind == .symbol("}") { depth -= 1 }
                text += token.text + " "
            } while depth > 0
            return text
        }
        var sign = ""
        if consume("-") { sign = "-" } else if consume("+") { sign = "" }
        let token = next()
        switch token.kind {
        case .identifier(let name): return sign + name
        case .integer(let text), .float(let text): return sign + text
        case .string(var text):
            while case .string(let more) = current.kind {
                text += more
                index += 1
            }
            return text
        default: throw CodegenError(token.location, "expected an option value, found '\(token.text)'")
        }
    }

    private mutating func optionName() throws(CodegenError) -> String {
        var name = ""
        repeat {
            if consume("(") {
                name += "(" + (try fullIdentifier("an option name")) + ")"
                try expect(")")
            } else {
                name += try identifier("an option name")
            }
            if isSymbol(".") { name += "." }
        } while consume(".")
        return name
    }

    /// `option name = value;`
    private mutating func optionStatement() throws(CodegenError) -> OptionDecl {
        let location = current.location
        try expectKeyword("option")
        let name = try optionName()
        try expect("=")
        let value = try constant()
        try expect(";")
        return OptionDecl(name: name, value: value, location: location)
    }

    /// `[name = value, ...]` after a field or enum value.
    private mutating func bracketOptions() throws(CodegenError) -> [OptionDecl] {
        guard consume("[") else { return [] }
        var options: [OptionDecl] = []
        repeat {
            let location = current.location
            let name = try optionName()
            try expect("=")
            options.append(OptionDecl(name: name, value: try constant(), location: location))
        } while consume(",")
        try expect("]")
        return options
    }

    private func refuse(_ token: Token, _ message: String) -> CodegenError {
        CodegenError(token.location, message)
    }

    // MARK: File

    private mutating func parseFile() throws(CodegenError) -> ProtoFile {
        var result = ProtoFile(path: file)
        if isKeyword("edition") {
            throw refuse(current, "editions are not supported; habit-codegen accepts syntax = \"proto3\" only")
        }
        guard isKeyword("syntax") else {
            throw CodegenError(current.location, "missing syntax = \"proto3\"; (proto2, the default, is not supported)")
        }
        index += 1
        try expect("=")
        let syntaxToken = current
        guard case .string(let syntax) = syntaxToken.kind else {
            throw CodegenError(syntaxToken.location, "expected a string after 'syntax ='")
        }
        index += 1
        guard syntax == "proto3" else {
            throw CodegenError(syntaxToken.location, "syntax \"\(syntax)\" is not supported; habit-codegen accepts proto3 only")
        }
        try expect(";")
        var hasPackage = false
        while current.kind != .end {
            let token = current
            switch token.kind {
            case .symbol(";"):
                index += 1
            case .identifier("package"):
                guard !hasPackage else { throw CodegenError(token.location, "a file may declare only one package") }
                index += 1
                result.package = try fullIdentifier("a package name")
                try expect(";")
                hasPackage = true
            case .identifier("import"):
                index += 1
                if isKeyword("public") || isKeyword("weak") { index += 1 }
                let pathToken = next()
                guard case .string(let path) = pathToken.kind else {
                    throw CodegenError(pathToken.location, "expected a file name after 'import'")
                }
                try expect(";")
                result.imports.append((path, pathToken.location))
            case .identifier("option"):
                result.options.append(try optionStatement())
            case .identifier("message"):
                result.messages.append(try message())
            case .identifier("enum"):
                result.enums.append(try enumDecl())
            case .identifier("service"):
                result.services.append(try service())
            case .identifier("extend"):
                throw refuse(token, "extensions ('extend') are not supported")
            default:
                throw CodegenError(token.location, "expected a top-level declaration, found '\(token.text)'")
            }
        }
        return result
    }

    // MARK: Messages

    private mutating func message() throws(CodegenError) -> MessageDecl {
        let keyword = next()
        let location = current.location
        let name = try identifier("a message name")
        var message = MessageDecl(name: name, location: location, comment: keyword.leadingComment)
        try expect("{")
        while !consume("}") {
            let token = current
            switch token.kind {
            case .end: throw CodegenError(token.location, "expected '}' to close message \(name)")
            case .symbol(";"): index += 1
            case .identifier("message"): message.messages.append(try self.message())
            case .identifier("enum"): message.enums.append(try enumDecl())
            case .identifier("option"): message.options.append(try optionStatement())
            case .identifier("reserved"): try reserved(into: &message.reserved)
            case .identifier("oneof"): try oneof(into: &message)
            case .identifier("extensions"): throw refuse(token, "extension ranges ('extensions') are not supported")
            case .identifier("extend"): throw refuse(token, "extensions ('extend') are not supported")
            case .identifier("required"): throw refuse(token, "'required' is proto2 and not supported in proto3")
            default: message.fields.append(try field(oneofIndex: nil))
            }
        }
        return message
    }

    private mutating func oneof(into message: inout MessageDecl) throws(CodegenError) {
        let keyword = next()
        let location = current.location
        let name = try identifier("a oneof name")
        message.oneofs.append(OneofDecl(name: name, location: location, comment: keyword.leadingComment))
        let oneofIndex = message.oneofs.count - 1
        try expect("{")
        while !consume("}") {
            let token = current
            switch token.kind {
            case .end: throw CodegenError(token.location, "expected '}' to close oneof \(name)")
            case .symbol(";"): index += 1
            case .identifier("option"): _ = try optionStatement()
            case .identifier("repeated"), .identifier("optional"), .identifier("required"):
                throw CodegenError(token.location, "oneof fields cannot be '\(token.text)'")
            case .identifier("map"):
                throw CodegenError(token.location, "map fields cannot be in a oneof")
            default: message.fields.append(try field(oneofIndex: oneofIndex))
            }
        }
    }

    private mutating func field(oneofIndex: Int?) throws(CodegenError) -> FieldDecl {
        let first = current
        var label = FieldDecl.Label.singular
        if isKeyword("repeated") {
            label = .repeated
            index += 1
        } else if isKeyword("optional") {
            label = .optional
            index += 1
        }
        let typeLocation = current.location
        let type: TypeReference
        if isKeyword("group") {
            throw refuse(current, "groups are not supported")
        }
        if isKeyword("map") && tokens[index + 1].kind == .symbol("<") {
            index += 2
            let keyLocation = current.location
            let keyName = try identifier("a map key type")
            guard let key = ScalarType(rawValue: keyName) else {
                throw CodegenError(keyLocation, "map key type must be an integer, bool or string type, not '\(keyName)'")
            }
            guard key != .float && key != .double && key != .bytes else {
                throw CodegenError(keyLocation, "map key type must be an integer, bool or string type, not '\(keyName)'")
            }
            try expect(",")
            let valueName = try fullIdentifier("a map value type")
            try expect(">")
            type = .map(key: key, value: ScalarType(rawValue: valueName).map { .scalar($0) } ?? .named(valueName))
            if label != .singular {
                throw CodegenError(first.location, "map fields cannot be '\(label == .repeated ? "repeated" : "optional")'")
            }
        } else {
            let typeName = try fullIdentifier("a field type")
            type = ScalarType(rawValue: typeName).map { .scalar($0) } ?? .named(typeName)
        }
        let location = current.location
        let name = try identifier("a field name")
        try expect("=")
        let numberLocation = current.location
        let number = try integer("a field number")
        let options = try bracketOptions()
        let end = try expect(";")
        return FieldDecl(
            name: name, number: number, label: label, type: type, options: options, oneofIndex: oneofIndex,
            location: location, typeLocation: typeLocation, numberLocation: numberLocation,
            comment: first.leadingComment + end.trailingComment
        )
    }

    private mutating func reserved(into reserved: inout ReservedDecl) throws(CodegenError) {
        index += 1
        if case .string = current.kind {
            repeat {
                guard case .string(let name) = next().kind else {
                    throw CodegenError(current.location, "expected a reserved name")
                }
                reserved.names.append(name)
            } while consume(",")
        } else {
            repeat {
                let location = current.location
                let low = try integer("a reserved number")
                var high = low
                if isKeyword("to") {
                    index += 1
                    if isKeyword("max") {
                        index += 1
                        high = 536_870_911
                    } else {
                        high = try integer("a reserved number")
                    }
                }
                guard low <= high else { throw CodegenError(location, "reserved range \(low) to \(high) is empty") }
                reserved.ranges.append(low...high)
            } while consume(",")
        }
        try expect(";")
    }

    // MARK: Enums

    private mutating func enumDecl() throws(CodegenError) -> EnumDecl {
        let keyword = next()
        let location = current.location
        let name = try identifier("an enum name")
        var result = EnumDecl(name: name, location: location, comment: keyword.leadingComment)
        try expect("{")
        while !consume("}") {
            let token = current
            switch token.kind {
            case .end: throw CodegenError(token.location, "expected '}' to close enum \(name)")
            case .symbol(";"): index += 1
            case .identifier("option"): result.options.append(try optionStatement())
            case .identifier("reserved"): try reserved(into: &result.reserved)
            default:
                let valueName = try identifier("an enum value name")
                try expect("=")
                let number = try integer("an enum value number")
                _ = try bracketOptions()
                let end = try expect(";")
                guard number >= Int(Int32.min) && number <= Int(Int32.max) else {
                    throw CodegenError(token.location, "enum value \(valueName) = \(number) is outside the int32 range")
                }
                result.values.append(
                    EnumValueDecl(
                        name: valueName, number: number, location: token.location,
                        comment: token.leadingComment + end.trailingComment
                    )
                )
            }
        }
        return result
    }

    // MARK: Services

    private mutating func service() throws(CodegenError) -> ServiceDecl {
        let keyword = next()
        let location = current.location
        let name = try identifier("a service name")
        var result = ServiceDecl(name: name, location: location, comment: keyword.leadingComment)
        try expect("{")
        while !consume("}") {
            let token = current
            switch token.kind {
            case .end: throw CodegenError(token.location, "expected '}' to close service \(name)")
            case .symbol(";"): index += 1
            case .identifier("option"): result.options.append(try optionStatement())
            case .identifier("rpc"): result.methods.append(try method())
            default: throw CodegenError(token.location, "expected 'rpc' or 'option', found '\(token.text)'")
            }
        }
        return result
    }

    private mutating func method() throws(CodegenError) -> MethodDecl {
        let keyword = next()
        let location = current.location
        let name = try identifier("a method name")
        try expect("(")
        let clientStreaming = isKeyword("stream") && tokens[index + 1].kind != .symbol(")")
        if clientStreaming { index += 1 }
        let inputLocation = current.location
        let input = try fullIdentifier("a request type")
        try expect(")")
        try expectKeyword("returns")
        try expect("(")
        let serverStreaming = isKeyword("stream") && tokens[index + 1].kind != .symbol(")")
        if serverStreaming { index += 1 }
        let outputLocation = current.location
        let output = try fullIdentifier("a response type")
        try expect(")")
        var method = MethodDecl(
            name: name, location: location, comment: keyword.leadingComment, inputType: input,
            inputLocation: inputLocation, isClientStreaming: clientStreaming, outputType: output,
            outputLocation: outputLocation, isServerStreaming: serverStreaming
        )
        if consume("{") {
            while !consume("}") {
                if current.kind == .end { throw CodegenError(current.location, "expected '}' to close rpc \(name)") }
                if consume(";") { continue }
                method.options.append(try optionStatement())
            }
        } else {
            let end = try expect(";")
            method.comment += end.trailingComment
        }
        return method
    }
}
