// swift-tools-version: 6.2
// The libFuzzer target over every generated decoder. A package of its own because it only links
// with `--sanitize fuzzer` (libFuzzer supplies `main`); scripts/test.d/30-fuzz-decoders.sh builds
// and runs it with a bounded time.
import PackageDescription

let package = Package(
    name: "HabitFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "HabitRPC", path: "../..")],
    targets: [
        .executableTarget(
            name: "FuzzDecoders",
            dependencies: [
                .product(name: "HabitAPI", package: "HabitRPC"),
                .product(name: "ProtoRuntime", package: "HabitRPC"),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
                .enableUpcomingFeature("MemberImportVisibility"),
                // No top-level code: the entry point is LLVMFuzzerTestOneInput, main is libFuzzer's.
                .unsafeFlags(["-parse-as-library"]),
            ]
        )
    ]
)
