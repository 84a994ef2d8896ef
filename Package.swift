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
        .library(name: "HabitCore", targets: ["HabitCore"]),
        .library(name: "HabitCoreTesting", targets: ["HabitCoreTesting"]),
        .library(name: "RPCServer", targets: ["RPCServer"]),
        .library(name: "RPCClient", targets: ["RPCClient"]),
        .library(name: "RedisQuota", targets: ["RedisQuota"]),
        .library(name: "HabitHandlers", targets: ["HabitHandlers"]),
        .library(name: "HabitAuth", targets: ["HabitAuth"]),
        .executable(name: "habit-server", targets: ["habit-server"]),
        .executable(name: "habit-cli", targets: ["habit-cli"]),
        .library(name: "HabitStoreSQL", targets: ["HabitStoreSQL"]),
        .library(name: "HabitPostgres", targets: ["HabitPostgres"]),
        .library(name: "HabitSQLite", targets: ["HabitSQLite"]),
        .executable(name: "habit-proto-conformance", targets: ["ProtoConformance"]),
        .executable(name: "habit-store-bench", targets: ["habit-store-bench"]),
        .library(name: "LoadGenerator", targets: ["LoadGenerator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
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
        // The habit domain: rules, use cases and the store and clock ports. Foundation only (time zones).
        .target(name: "HabitCore", swiftSettings: strictSettings),
        // The in-memory store and the store contract suite every adapter's tests run.
        .target(name: "HabitCoreTesting", dependencies: ["HabitCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "HabitCoreTests",
            dependencies: ["HabitCore", "HabitCoreTesting"],
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
                .product(name: "Metrics", package: "swift-metrics"),
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
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RPCCoreTests",
            dependencies: ["RPCCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // hiredis 0.14.1 (Debian's libhiredis-dev), used only to format commands and parse replies.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // A pipelined NIO Redis client and the per-user quota limiter (Redis GCRA or in-process).
        .target(
            name: "RedisQuota",
            dependencies: [
                "CHiredis",
                "RPCCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RedisQuotaTests",
            dependencies: [
                "RedisQuota",
                "LoopbackTesting",
                "RPCCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Implements the generated handler protocols on HabitCore; all proto <-> domain mapping lives here.
        .target(
            name: "HabitHandlers",
            dependencies: [
                "HabitAPI", "HabitCore", "RPCCore", "ProtoRuntime",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // JWT (HS256) tokens: secret resolution, minting, and the server interceptor that verifies them.
        .target(
            name: "HabitAuth",
            dependencies: [
                "HabitCore", "HabitHandlers", "RPCCore", "RPCServer",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // habit-server: configuration, wiring of store, quotas, auth and handlers into one ServiceGroup.
        .executableTarget(
            name: "habit-server",
            dependencies: [
                "HabitAPI", "HabitAuth", "HabitCore", "HabitHandlers", "RedisQuota", "RPCCore",
                "RPCServer", "HabitStoreSQL", "HabitPostgres", "HabitSQLite", "HabitRollover",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // The rollover worker: closes users' ended days on a timer, as a lifecycle service off the event loops.
        .target(
            name: "HabitRollover",
            dependencies: [
                "HabitCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HabitRolloverTests",
            dependencies: [
                "HabitRollover", "HabitCore", "HabitCoreTesting", "HabitPostgres", "HabitStoreTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // habit-cli: any method from JSON, service listing, development tokens, health.
        .executableTarget(
            name: "habit-cli",
            dependencies: [
                "HabitAPI", "HabitAuth", "LoadGenerator", "ProtoRuntime", "RPCClient", "RPCCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HabitHandlersTests",
            dependencies: [
                "HabitAPI", "HabitAuth", "HabitCore", "HabitCoreTesting", "HabitHandlers", "RPCClient", "RPCCore",
                "RPCServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "HabitAPI", "HabitAuth", "RPCClient", "RPCCore", "HabitStoreSQL", "HabitStoreTesting",
                "LoopbackTesting", "RedisQuota",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The SQL both store adapters share: schema migrations per dialect, statements, row codecs, configuration.
        .target(name: "HabitStoreSQL", dependencies: ["HabitCore"], swiftSettings: strictSettings),
        // HabitStore on PostgreSQL through one long-lived postgres-nio client.
        .target(
            name: "HabitPostgres",
            dependencies: [
                "HabitCore", "HabitStoreSQL", "RPCCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // HabitStore on an embedded SQLite file through one actor-owned sqlite-nio connection.
        .target(
            name: "HabitSQLite",
            dependencies: [
                "HabitCore", "HabitStoreSQL",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Test-only writer the kill -9 durability tests run and kill mid-burst.
        .executableTarget(
            name: "habit-store-crash-probe",
            dependencies: [
                "HabitCore", "HabitStoreSQL", "HabitPostgres", "HabitSQLite",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // What the adapters' tests share: data snapshots, the crash-probe runner, scratch PostgreSQL databases.
        // Loopback ports for test servers that restart on the same port (outage tests), and a restartable redis-server.
        .target(name: "LoopbackTesting", swiftSettings: strictSettings),
        // What the adapters' tests share: data snapshots, the crash-probe runner, scratch PostgreSQL databases.
        .target(
            name: "HabitStoreTesting",
            dependencies: [
                "HabitCore", "HabitStoreSQL", "HabitPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HabitSQLiteTests",
            dependencies: [
                "HabitSQLite", "HabitStoreSQL", "HabitCore", "HabitCoreTesting", "HabitStoreTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HabitPostgresTests",
            dependencies: [
                "HabitPostgres", "HabitStoreSQL", "HabitCore", "HabitCoreTesting", "HabitStoreTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The Swift side of the cross-implementation conformance tests in Tests/Interop (Python,
        // Google's Protobuf): decodes and re-encodes messages named over stdin/stdout.
        .executableTarget(
            name: "ProtoConformance",
            dependencies: ["HabitAPI", "ProtoRuntime"],
            swiftSettings: strictSettings
        ),
        // The measuring core of `habit-cli bench`: closed and open loop, method mix, HdrHistogram report.
        .target(
            name: "LoadGenerator",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "LoadGeneratorTests", dependencies: ["LoadGenerator"], swiftSettings: strictSettings),
        // Load driver of scripts/bench-persistence.sh: CompleteHabit and GetCharacter over PostgreSQL.
        .executableTarget(
            name: "habit-store-bench",
            dependencies: [
                "HabitCore", "HabitPostgres", "HabitStoreSQL", "RPCCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RPCServerTests",
            dependencies: [
                "RPCCore", "RPCServer",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
