/// A position in a .proto file, 1-based, for error messages and doc comments.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// Why a schema cannot be generated: printed as `file:line:column: message`, as compilers do, so
/// editors can jump to it.
public struct CodegenError: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String

    public init(_ location: SourceLocation?, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String {
        if let location { "\(location): \(message)" } else { message }
    }
}
