/// One token of a .proto file, with the comments that document it.
struct Token: Sendable {
    enum Kind: Equatable, Sendable {
        case identifier(String)
        case integer(String)
        case float(String)
        case string(String)
        case symbol(Character)
        case end
    }

    var kind: Kind
    var location: SourceLocation
    /// Comment lines directly above the token (no blank line between), without `//` or `/* */`.
    var leadingComment: [String]
    /// A comment that starts on the token's line after it.
    var trailingComment: [String]

    var text: String {
        switch kind {
        case .identifier(let text), .integer(let text), .float(let text): text
        case .string(let text): "\"\(text)\""
        case .symbol(let character): String(character)
        case .end: "end of file"
        }
    }
}

/// Splits a .proto file into tokens, attaching comments to the token they document.
struct Lexer {
    private let file: String
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(file: String, source: String) {
        self.file = file
        self.scalars = Array(source.unicodeScalars)
    }

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }
    private var location: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    private mutating func advance() {
        guard let scalar = current else { return }
        index += 1
        if scalar == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
    }

    static func tokenize(file: String, source: String) throws(CodegenError) -> [Token] {
        var lexer = Lexer(file: file, source: source)
        return try lexer.run()
    }

    private mutating func run() throws(CodegenError) -> [Token] {
        var tokens: [Token] = []
        var pending: [String] = []
        var pendingEndLine = 0
        while true {
            // Whitespace and comments.
            while let scalar = current, scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                advance()
            }
            if current == "/" && (peek(1) == "/" || peek(1) == "*") {
                let start = location
                let lines = try readComment()
                if let last = tokens.indices.last, tokens[last].location.line == start.line {
                    tokens[last].trailingComment += lines
                } else {
                    if !pending.isEmpty && start.line > pendingEndLine + 1 { pending.removeAll() }
                    pending += lines
                    pendingEndLine = line
                }
                continue
            }
            let start = location
            guard let scalar = current else {
                tokens.append(Token(kind: .end, location: start, leadingComment: [], trailingComment: []))
                return tokens
            }
            let kind: Token.Kind
            if scalar.properties.isAlphabetic || scalar == "_" {
                kind = .identifier(readWhile { $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0) })
            } else if ("0"..."9").contains(scalar) || (scalar == "." && peek(1).map { ("0"..."9").contains($0) } == true) {
                kind = try readNumber(start)
            } else if scalar == "\"" || scalar == "'" {
                kind = .string(try readString(start))
            } else if "{}[]()<>;,=.-+:/".unicodeScalars.contains(scalar) {
                advance()
                kind = .symbol(Character(scalar))
            } else {
                throw CodegenError(start, "unexpected character '\(scalar)'")
            }
            let comment = start.line <= pendingEndLine + 1 ? pending : []
            tokens.append(Token(kind: kind, location: start, leadingComment: comment, trailingComment: []))
            pending.removeAll()
        }
    }

    private mutating func readWhile(_ predicate: (Unicode.Scalar) -> Bool) -> String {
        var text = ""
        while let scalar = current, predicate(scalar) {
            text.unicodeScalars.append(scalar)
            advance()
        }
        return text
    }

    private mutating func readComment() throws(CodegenError) -> [String] {
        let start = location
        advance()
        if current == "/" {
            advance()
            let text = readWhile { $0 != "\n" }
            return [Self.stripOneSpace(text)]
        }
        advance()
        var text = ""
        while true {
            guard let scalar = current else { throw CodegenError(start, "unterminated /* comment") }
            if scalar == "*" && peek(1) == "/" {
                advance()
                advance()
                break
            }
            text.unicodeScalars.append(scalar)
            advance()
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = Substring(line).drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("*") { line = line.dropFirst() }
            return Self.stripOneSpace(String(line))
        }.filter { !$0.isEmpty }
    }

    private static func stripOneSpace(_ text: String) -> String {
        var text = Substring(text)
        if text.hasPrefix(" ") { text = text.dropFirst() }
        while text.hasSuffix(" ") || text.hasSuffix("\r") || text.hasSuffix("\t") { text = text.dropLast() }
        return String(text)
    }

    private mutating func readNumber(_ start: SourceLocation) throws(CodegenError) -> Token.Kind {
        let text = readWhile { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." }
        var full = text
        // Exponent sign: 1e-5.
        if let last = full.last, last == "e" || last == "E", !full.lowercased().hasPrefix("0x"),
            current == "-" || current == "+"
        {
            full.unicodeScalars.append(current ?? "+")
            advance()
            full += readWhile { ("0"..."9").contains($0) }
        }
        let lower = full.lowercased()
        if lower.hasPrefix("0x") {
            guard lower.count > 2, lower.dropFirst(2).allSatisfy(\.isHexDigit) else {
                throw CodegenError(start, "invalid number '\(full)'")
            }
            return .integer(full)
        }
        if full.allSatisfy(\.isNumber) { return .integer(full) }
        guard Double(full) != nil || (lower.hasSuffix("f") && Double(lower.dropLast()) != nil) else {
            throw CodegenError(start, "invalid number '\(full)'")
        }
        return .float(full)
    }

    private mutating func readString(_ start: SourceLocation) throws(CodegenError) -> String {
        guard let quote = current else { return "" }
        advance()
        var text = ""
        while true {
            guard let scalar = current, scalar != "\n" else { throw CodegenError(start, "unterminated string") }
            advance()
            if scalar == quote { return text }
            if scalar == "\\" {
                guard let escaped = current else { throw CodegenError(start, "unterminated string") }
                advance()
                switch escaped {
                case "n": text += "\n"
                case "t": text += "\t"
                case "r": text += "\r"
                case "\\", "\"", "'": text.unicodeScalars.append(escaped)
                default: text += "\\" + String(escaped)
                }
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
    }
}
