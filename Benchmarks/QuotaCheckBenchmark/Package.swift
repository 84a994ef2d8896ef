// swift-tools-version: 6.2
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which differs between checkouts.
let habitRPCIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().appendingPathComponent("../..").standardized.lastPathComponent.lowercased()

// Measures what a quota check adds to a call, against a real Redis. Its own package so the
// release build and the benchmark stay out of the main build and `make test`.
let package = Package(
    name: "QuotaCheckBenchmark",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "QuotaCheckBenchmark",
            dependencies: [
                .product(name: "RedisQuota", package: habitRPCIdentity),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
