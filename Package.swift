// swift-tools-version: 6.2
import PackageDescription

/// Settings every target shares: Swift 6 mode plus the upcoming features our model packages enable.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "HabitRPC",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ProtoRuntime", targets: ["ProtoRuntime"]),
        .library(name: "RPCCore", targets: ["RPCCore"]),
        .library(name: "HabitAPI", targets: ["HabitAPI"]),
        .executable(name: "habit-codegen", targets: ["Codegen"]),
        .executable(name: "habit-proto-conformance", targets: ["ProtoConformance"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The runtime generated messages need: wire format, JSON mapping. No dependencies, so the
        // fuzz targets compile it directly with swiftc.
        .target(name: "ProtoRuntime", swiftSettings: strictSettings),
        // The protocol without sockets: frames, status, metadata, call context, method descriptors.
        .target(
            name: "RPCCore",
            dependencies: [
                "ProtoRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "RPCCoreTests", dependencies: ["RPCCore"], swiftSettings: strictSettings),
        // habit-codegen: .proto parser -> schema model -> Swift emitter (a library so tests can call it).
        .target(name: "CodegenKit", swiftSettings: strictSettings),
        .executableTarget(name: "Codegen", dependencies: ["CodegenKit"], swiftSettings: strictSettings),
        // Generated from proto/ only (`make generate`); never edited by hand.
        .target(name: "HabitAPI", dependencies: ["ProtoRuntime", "RPCCore"], swiftSettings: strictSettings),
        // The golden files of the generator tests, compiled so runtime tests can round-trip them.
        .target(
            name: "CodegenFixtures",
            dependencies: ["ProtoRuntime", "RPCCore"],
            path: "Tests/CodegenTests/Expected",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CodegenTests",
            dependencies: ["CodegenKit"],
            exclude: ["Expected", "Inputs"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProtoRuntimeTests",
            dependencies: ["ProtoRuntime", "RPCCore", "CodegenFixtures", "HabitAPI"],
            swiftSettings: strictSettings
        ),
        // The Swift side of the cross-implementation conformance tests in Tests/Interop (Python,
        // Google's Protobuf): decodes and re-encodes messages named over stdin/stdout.
        .executableTarget(
            name: "ProtoConformance",
            dependencies: ["HabitAPI", "ProtoRuntime"],
            swiftSettings: strictSettings
        ),
    ]
)
