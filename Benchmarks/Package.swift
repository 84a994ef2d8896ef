// swift-tools-version: 6.2
// Benchmarks of the RPC runtime, kept out of the main build: `swift run -c release RPCBench ...`.
import PackageDescription

let package = Package(
    name: "HabitRPCBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "HabitRPC", path: "../"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
    ],
    targets: [
        // What the RPC benchmarks share: the two methods, the seeded HabitCore backend, the closed-loop driver.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "RPCCore", package: "HabitRPC"),
                .product(name: "ProtoRuntime", package: "HabitRPC"),
                .product(name: "HabitAPI", package: "HabitRPC"),
                .product(name: "HabitCore", package: "HabitRPC"),
                .product(name: "HabitCoreTesting", package: "HabitRPC"),
                .product(name: "HabitHandlers", package: "HabitRPC"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // No-op and GetCharacter unary calls over HabitRPC beside a raw length-prefixed SwiftNIO echo of the
        // same bytes; idle-connection memory and 10k connections.
        .executableTarget(
            name: "RPCBench",
            dependencies: [
                "BenchSupport",
                .product(name: "RPCServer", package: "HabitRPC"),
                .product(name: "RPCClient", package: "HabitRPC"),
                .product(name: "RPCCore", package: "HabitRPC"),
                .product(name: "RedisQuota", package: "HabitRPC"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HabitAPI", package: "HabitRPC"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The same two methods served and loaded over grpc-swift-2 + grpc-swift-nio-transport (HTTP/2 plaintext).
        .executableTarget(
            name: "GRPCBench",
            dependencies: [
                "BenchSupport",
                .product(name: "RPCCore", package: "HabitRPC"),
                .product(name: "ProtoRuntime", package: "HabitRPC"),
                .product(name: "HabitAPI", package: "HabitRPC"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Encode/decode of HabitAPI messages beside swift-protobuf's types for the same .proto files:
        // `swift package --package-path Benchmarks benchmark --target CodecBenchmarks`.
        .executableTarget(
            name: "CodecBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HabitAPI", package: "HabitRPC"),
                .product(name: "ProtoRuntime", package: "HabitRPC"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Benchmarks/CodecBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
