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
        .testTarget(
            name: "RPCCoreTests",
            dependencies: ["RPCCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
    ]
)
