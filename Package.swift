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
        .library(name: "RPCServer", targets: ["RPCServer"]),
        .library(name: "RPCClient", targets: ["RPCClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
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
        // SwiftNIO server: listener, connections, dispatch, limits, drain, interceptors.
        .target(
            name: "RPCServer",
            dependencies: [
                "RPCCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // SwiftNIO client: multiplexed connections, pool, deadlines, retries.
        .target(
            name: "RPCClient",
            dependencies: [
                "RPCCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Raw echo/slow/stream methods for tests, demos and benchmarks of the runtime.
        .target(
            name: "RPCEchoService",
            dependencies: ["RPCCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Test/demo server for the reference clients' tests: serves RPCEchoService on loopback.
        .executableTarget(
            name: "rpc-echo-server",
            dependencies: ["RPCServer", "RPCEchoService", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // libFuzzer target for the frame decoder (fuzz build), corpus replayer (normal build).
        .executableTarget(
            name: "frame-decoder-fuzz",
            dependencies: ["RPCCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RPCIntegrationTests",
            dependencies: [
                "RPCCore", "RPCServer", "RPCClient", "RPCEchoService",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RPCCoreTests",
            dependencies: ["RPCCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
    ]
)
