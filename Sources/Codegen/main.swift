import CodegenKit
import Foundation

/// habit-codegen: turns .proto files into the Swift of HabitAPI.
///
///     habit-codegen --proto-path proto --out Sources/HabitAPI [--registry-name HabitAPIRegistry] [--check] FILE.proto...
let usage = """
    usage: habit-codegen --proto-path DIR --out DIR [--registry-name NAME] [--check] FILE.proto...
      --proto-path DIR      root that imports and file names are relative to
      --out DIR             where the Swift files go
      --registry-name NAME  name of the registry enum (default HabitAPIRegistry)
      --check               write nothing; fail if the files in --out are not what would be generated
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

var protoPath: String?
var outputDirectory: String?
var registryName = "HabitAPIRegistry"
var isCheck = false
var files: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--proto-path": protoPath = arguments.popFirst()
    case "--out": outputDirectory = arguments.popFirst()
    case "--registry-name": registryName = arguments.popFirst() ?? registryName
    case "--check": isCheck = true
    case "--help", "-h":
        print(usage)
        exit(0)
    default:
        if argument.hasPrefix("-") { fail("habit-codegen: unknown option \(argument)\n\(usage)") }
        files.append(argument)
    }
}
guard let protoPath, let outputDirectory, !files.isEmpty else { fail(usage) }

do {
    let generated = try Generator.generate(files: files, protoPath: protoPath, registryName: registryName)
    if isCheck {
        let stale = Generator.staleFiles(generated, in: outputDirectory)
        guard stale.isEmpty else {
            fail(
                "habit-codegen: generated code in \(outputDirectory) is stale: \(stale.joined(separator: ", "))\n"
                    + "run `make generate` and commit the result"
            )
        }
        print("habit-codegen: \(generated.count) files in \(outputDirectory) are current")
    } else {
        try Generator.write(generated, to: outputDirectory)
        print("habit-codegen: wrote \(generated.count) files to \(outputDirectory)")
    }
} catch {
    fail("\(error)")
}
