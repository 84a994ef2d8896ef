import CodegenKit
import Foundation
import Testing

/// Every class of schema error, with its exact `file:line:column: message` text.
@Suite struct ParserErrorTests {
    /// Parses and checks `source` as `test.proto`; returns the error text, nil if it generates.
    private func error(_ source: String) -> String? {
        do {
            let file = try Generator.parse(file: "test.proto", source: source)
            _ = try Generator.generate(files: [file], targets: [file], registryName: "R")
            return nil
        } catch {
            return error.description
        }
    }

    private let header = "syntax = \"proto3\";\npackage t;\n"

    @Test func unsupportedSyntaxIsRefused() {
        #expect(error("syntax = \"proto2\";") == #"test.proto:1:10: syntax "proto2" is not supported; habit-codegen accepts proto3 only"#)
        #expect(error("message A {}") == #"test.proto:1:1: missing syntax = "proto3"; (proto2, the default, is not supported)"#)
        #expect(error("edition = \"2023\";") == #"test.proto:1:1: editions are not supported; habit-codegen accepts syntax = "proto3" only"#)
    }

    @Test func unsupportedConstructsAreRefused() {
        #expect(error(header + "message A { repeated group G = 1 { } }") == "test.proto:3:22: groups are not supported")
        #expect(error(header + "message A {}\nextend A { int32 x = 2; }") == "test.proto:4:1: extensions ('extend') are not supported")
        #expect(error(header + "message A { extensions 100 to 200; }") == "test.proto:3:13: extension ranges ('extensions') are not supported")
        #expect(error(header + "message A { required int32 x = 1; }") == "test.proto:3:13: 'required' is proto2 and not supported in proto3")
    }

    @Test func duplicateFieldsAreRejected() {
        #expect(error(header + "message A {\n  int32 x = 1;\n  int32 y = 1;\n}") == "test.proto:5:13: field number 1 of y is already used by x")
        #expect(error(header + "message A {\n  int32 x = 1;\n  string x = 2;\n}") == "test.proto:5:10: field x is already defined in A")
        #expect(error(header + "message A {}\nmessage A {}") == "test.proto:4:9: t.A is already defined at test.proto:3:9")
        #expect(error(header + "message A {\n  int32 foo_bar = 1;\n  int32 fooBar = 2;\n}") == "test.proto:5:9: field fooBar has the same camel-case name as foo_bar")
    }

    @Test func fieldNumbersMustBeInRange() {
        #expect(error(header + "message A { int32 x = 0; }") == "test.proto:3:23: field number 0 of x is outside 1 to 536870911")
        #expect(error(header + "message A { int32 x = 536870912; }") == "test.proto:3:23: field number 536870912 of x is outside 1 to 536870911")
        #expect(error(header + "message A { int32 x = 19500; }") == "test.proto:3:23: field number 19500 of x is in 19000 to 19999, reserved by Protobuf")
    }

    @Test func reservedNumbersAndNamesCannotBeUsed() {
        #expect(error(header + "message A {\n  reserved 2, 5 to 9;\n  int32 x = 7;\n}") == "test.proto:5:13: field number 7 of x is reserved in A")
        #expect(error(header + "message A {\n  reserved \"x\";\n  int32 x = 1;\n}") == "test.proto:5:9: field name x is reserved in A")
        #expect(error(header + "enum E {\n  E_ZERO = 0;\n  reserved 3;\n  E_THREE = 3;\n}") == "test.proto:6:3: enum value number 3 of E_THREE is reserved in E")
    }

    @Test func typesMustBeDefined() {
        #expect(error(header + "message A { Missing m = 1; }") == "test.proto:3:13: undefined type 'Missing'")
        #expect(error(header + "message A { map<string, Nope> m = 1; }") == "test.proto:3:13: undefined type 'Nope'")
        #expect(error(header + "message A {}\nservice S { rpc M(A) returns (B); }") == "test.proto:4:31: undefined type 'B'")
        #expect(error(header + "enum E { E_ZERO = 0; }\nmessage A {}\nservice S { rpc M(E) returns (A); }") == "test.proto:5:19: 'E' is an enum; request and response types must be messages")
    }

    @Test func nestedAndQualifiedNamesResolve() {
        #expect(error(header + "message A { message B {} B b = 1; .t.A.B c = 2; A.B d = 3; }") == nil)
        #expect(error(header + "message A { message B {} }\nmessage C { B b = 1; }") == "test.proto:4:13: undefined type 'B'")
    }

    @Test func enumRulesAreEnforced() {
        #expect(error(header + "enum E { E_ONE = 1; }") == "test.proto:3:10: the first value of enum E must be 0 in proto3, not 1")
        #expect(error(header + "enum E {\n  E_ZERO = 0;\n  E_ALIAS = 0;\n}") == "test.proto:5:3: E_ALIAS reuses number 0 of E_ZERO; set option allow_alias = true to allow aliases")
        #expect(error(header + "enum E {\n  option allow_alias = true;\n  E_ZERO = 0;\n}") == "test.proto:4:3: enum E sets allow_alias but has no aliases")
        #expect(error(header + "enum E {\n  option allow_alias = true;\n  E_ZERO = 0;\n  E_NONE = 0;\n}") == nil)
        #expect(error(header + "enum E {\n  E_ZERO = 0;\n  E_ZERO = 1;\n}") == "test.proto:5:3: enum value E_ZERO is already defined in E")
    }

    @Test func mapAndOptionMisuseIsRejected() {
        #expect(error(header + "message A { map<double, string> m = 1; }") == "test.proto:3:17: map key type must be an integer, bool or string type, not 'double'")
        #expect(error(header + "message A { repeated map<string, string> m = 1; }") == "test.proto:3:13: map fields cannot be 'repeated'")
        #expect(error(header + "message A { repeated string s = 1 [packed = true]; }") == "test.proto:3:36: [packed] applies only to repeated scalar or enum fields, not s")
        #expect(error(header + "message A { oneof o { repeated int32 x = 1; } }") == "test.proto:3:23: oneof fields cannot be 'repeated'")
    }

    @Test func lexicalAndSyntaxErrorsArePositioned() {
        #expect(error(header + "message A { int32 x = 1 }") == "test.proto:3:25: expected ';', found '}'")
        #expect(error(header + "message A { int32 x = 1; ") == "test.proto:3:26: expected '}' to close message A")
        #expect(error(header + "message A { int32 x = 1; } @") == "test.proto:3:28: unexpected character '@'")
        #expect(error(header + "/* never closed") == "test.proto:3:1: unterminated /* comment")
        #expect(error(header + "option x = \"open;") == "test.proto:3:12: unterminated string")
        #expect(error(header + "message A { int32 x = 1a; }") == "test.proto:3:23: invalid number '1a'")
    }

    @Test func missingImportsAreReportedWhereImported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("codegen-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (header + "import \"t/missing.proto\";\n").write(toFile: directory + "/a.proto", atomically: true, encoding: .utf8)
        #expect(throws: CodegenError(SourceLocation(file: directory + "/a.proto", line: 3, column: 8), "import \"t/missing.proto\" not found under \(directory)")) {
            try Generator.generate(files: [directory + "/a.proto"], protoPath: directory, registryName: "R")
        }
    }

    @Test func commentsBecomeDocComments() throws {
        let file = try Generator.parse(
            file: "test.proto",
            source: header + "// Leading.\n// Second line.\nmessage A {\n  // Field.\n  int32 x = 1; // Trailing.\n\n  // Detached.\n\n  int32 y = 2;\n}"
        )
        #expect(file.messages.first?.comment == ["Leading.", "Second line."])
        #expect(file.messages.first?.fields.map(\.comment) == [["Field.", "Trailing."], []])
    }
}
