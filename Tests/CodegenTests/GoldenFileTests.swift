import CodegenKit
import Foundation
import Testing

/// Regenerates the golden inputs and compares with Tests/CodegenTests/Expected.
///
/// To update the expected files after an intended generator change, run `make generate` and
/// review the diff of Tests/CodegenTests/Expected (which also compiles as `CodegenFixtures`).
@Suite struct GoldenFileTests {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
    static let inputs = testsDirectory + "/Inputs"
    static let expected = testsDirectory + "/Expected"

    static func inputFiles() throws -> [String] {
        let directory = inputs + "/fixtures/v1"
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".proto") }
            .sorted()
            .map { directory + "/" + $0 }
    }

    @Test func generatedCodeMatchesTheGoldenFiles() throws {
        let generated = try Generator.generate(
            files: Self.inputFiles(),
            protoPath: Self.inputs,
            registryName: "CodegenFixturesRegistry"
        )
        #expect(generated.map(\.name) == [
            "fixtures_v1_nested.swift", "fixtures_v1_scalars.swift", "fixtures_v1_services.swift",
            "CodegenFixturesRegistry.swift",
        ])
        for file in generated {
            let onDisk = try String(contentsOfFile: Self.expected + "/" + file.name, encoding: .utf8)
            #expect(file.contents == onDisk, "\(file.name) differs from its golden file; run `make generate`")
            #expect(file.contents.hasPrefix("// DO NOT EDIT.\n"))
        }
        #expect(Generator.staleFiles(generated, in: Self.expected).isEmpty)
    }

    @Test func outputIsDeterministicAndIndependentOfArgumentOrder() throws {
        let files = try Self.inputFiles()
        let forward = try Generator.generate(files: files, protoPath: Self.inputs, registryName: "R")
        let backward = try Generator.generate(files: files.reversed(), protoPath: Self.inputs, registryName: "R")
        #expect(forward == backward)
    }

    @Test func checkReportsChangedAndOrphanedFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("codegen-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generated = try Generator.generate(files: Self.inputFiles(), protoPath: Self.inputs, registryName: "R")
        try Generator.write(generated, to: directory)
        #expect(Generator.staleFiles(generated, in: directory).isEmpty)
        try "// DO NOT EDIT.\nold".write(toFile: directory + "/gone.swift", atomically: true, encoding: .utf8)
        try "hand written".write(toFile: directory + "/kept.swift", atomically: true, encoding: .utf8)
        try "// DO NOT EDIT.\nchanged".write(toFile: directory + "/R.swift", atomically: true, encoding: .utf8)
        #expect(Generator.staleFiles(generated, in: directory) == ["R.swift", "gone.swift"])
        try Generator.write(generated, to: directory)
        #expect(Generator.staleFiles(generated, in: directory).isEmpty)
        #expect(FileManager.default.fileExists(atPath: directory + "/kept.swift"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/gone.swift"))
    }

    @Test func docCommentsComeFromProtoComments() throws {
        let contents = try String(contentsOfFile: Self.expected + "/fixtures_v1_nested.swift", encoding: .utf8)
        #expect(contents.contains("/// A top-level enum with aliases.\n/// Block comments become doc comments too.\npublic enum Color"))
        #expect(contents.contains("    /// Green, the colour of done.\n    case green\n"))
        #expect(contents.contains("public static let crimson: Color = .red"))
    }
}
