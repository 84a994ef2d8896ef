// Usage: QuotaCheckBenchmark <redis-port> [sequential-checks] [concurrent-checks] [concurrency]
// Prints p50/p99/p99.9 of one check at a time, and checks/s with many callers, for a raw PING,
// the EVALSHA the limiter sends, and QuotaLimiter.check; then the SHA and key to hand to
// redis-benchmark for the same EVALSHA.
import Foundation
import Logging
import RedisQuota

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
guard let port = arguments.first else {
    print("usage: QuotaCheckBenchmark <redis-port> [sequential-checks] [concurrent-checks] [concurrency]")
    exit(2)
}
let sequentialCount = arguments.count > 1 ? arguments[1] : 20_000
let concurrentCount = arguments.count > 2 ? arguments[2] : 200_000
let concurrency = arguments.count > 3 ? arguments[3] : 50

let redis = RedisClient(configuration: .init(host: "127.0.0.1", port: port))
// A policy no benchmark run can exhaust, so every check takes the full allowed path.
let policy = QuotaPolicy(limit: 1_000_000_000, period: .seconds(60))
var configuration = QuotaLimiter.Configuration(policies: QuotaPolicies(byMethodClass: ["read": policy]))
configuration.checkTimeout = .seconds(1)
configuration.keyPrefix = "hrpc:qbench"
let limiter = QuotaLimiter(configuration: configuration, redis: redis, logger: Logger(label: "quota-benchmark"))
let key = QuotaLimiter.key(prefix: configuration.keyPrefix, user: "bench", methodClass: "read")

/// What one iteration does.
struct Operation: Sendable {
    var name: String
    var run: @Sendable () async throws -> Void
}

let operations = [
    Operation(name: "PING via RedisClient") {
        _ = try await redis.send(["PING"], timeout: .seconds(1))
    },
    Operation(name: "QuotaLimiter.check (EVALSHA GCRA)") {
        let decision = await limiter.check(user: "bench", methodClass: "read")
        guard case .allowed(let status?) = decision, status.source == .redis else {
            throw BenchmarkError(message: "expected an allowed Redis decision, got \(decision)")
        }
    },
]

struct BenchmarkError: Error {
    var message: String
}

func percentile(_ sorted: [Duration], _ fraction: Double) -> String {
    let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))
    let (seconds, attoseconds) = sorted[index].components
    let microseconds = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    return String(Int(microseconds.rounded())) + " µs"
}

let clock = ContinuousClock()
for operation in operations {
    for _ in 0..<1000 { try await operation.run() }  // warm up: connections, script cache
    var latencies: [Duration] = []
    latencies.reserveCapacity(sequentialCount)
    for _ in 0..<sequentialCount {
        let start = clock.now
        try await operation.run()
        latencies.append(clock.now - start)
    }
    latencies.sort()
    let perCaller = concurrentCount / concurrency
    let elapsed = try await clock.measure {
        try await withThrowingDiscardingTaskGroup { group in
            for _ in 0..<concurrency {
                group.addTask { for _ in 0..<perCaller { try await operation.run() } }
            }
        }
    }
    let (seconds, attoseconds) = elapsed.components
    let rate = Double(perCaller * concurrency) / (Double(seconds) + Double(attoseconds) / 1e18)
    print(
        "\(operation.name): 1 caller x \(sequentialCount): p50 \(percentile(latencies, 0.5)), "
            + "p99 \(percentile(latencies, 0.99)), p99.9 \(percentile(latencies, 0.999)); "
            + "\(concurrency) callers x \(perCaller): \(Int(rate)) per second"
    )
}
print("redis-benchmark EVALSHA arguments: EVALSHA \(RedisGCRAScript.sha1) 1 \(key) 1000000000 1000000000 60000 1")
await redis.shutdown()
