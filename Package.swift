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
        .library(name: "HabitCore", targets: ["HabitCore"]),
        .library(name: "HabitCoreTesting", targets: ["HabitCoreTesting"]),
        .library(name: "HabitStoreSQL", targets: ["HabitStoreSQL"]),
        .library(name: "HabitPostgres", targets: ["HabitPostgres"]),
        .library(name: "HabitSQLite", targets: ["HabitSQLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
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
        // The habit domain: rules, use cases and the store and clock ports. Foundation only (time zones).
        .target(name: "HabitCore", swiftSettings: strictSettings),
        // The in-memory store and the store contract suite every adapter's tests run.
        .target(name: "HabitCoreTesting", dependencies: ["HabitCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "HabitCoreTests",
            dependencies: ["HabitCore", "HabitCoreTesting"],
            swiftSettings: strictSettings
        ),
            // The SQL both store adapters share: schema migrations per dialect, statements, row codecs, configuration.
        .target(name: "HabitStoreSQL", dependencies: ["HabitCore"], swiftSettings: strictSettings),
        // HabitStore on PostgreSQL through one long-lived postgres-nio client.
        .target(
            name: "HabitPostgres",
            dependencies: [
                "HabitCore", "HabitStoreSQL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
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
    ]
)
