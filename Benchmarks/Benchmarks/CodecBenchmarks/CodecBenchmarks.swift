// Encode and decode of the same logical messages with habit-codegen's types (HabitAPI) and with
// swift-protobuf 1.39.0's types generated from the same .proto files (SwiftProtobufTypes/).
//   swift package --package-path Benchmarks benchmark --target CodecBenchmarks
import Benchmark
import HabitAPI
import ProtoRuntime
import SwiftProtobuf

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 10,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )
    let request = CodecFixture.completeHabitRequest
    let page = CodecFixture.listCompletionsPage
    let checks = [
        CodecFixture.mismatch(request, name: "CompleteHabitRequest"),
        CodecFixture.mismatch(page, name: "ListCompletionsResponse"),
    ].compactMap { $0 }
    precondition(checks.isEmpty, "the two implementations disagree: \(checks)")

    register(name: "CompleteHabitRequest", scalingFactor: .kilo, habit: request.habit, swiftProtobuf: request.swiftProtobuf)
    register(name: "ListCompletionsResponse x100", scalingFactor: .one, habit: page.habit, swiftProtobuf: page.swiftProtobuf)
}

/// Registers encode and decode of one message for both implementations, each iteration scaled by `scalingFactor`.
func register<H: ProtoMessage, S: SwiftProtobuf.Message>(
    name: String, scalingFactor: BenchmarkScalingFactor, habit: H, swiftProtobuf: S
) {
    let configuration = Benchmark.Configuration(scalingFactor: scalingFactor)
    let habitBytes = habit.serializedBytes()
    let swiftProtobufBytes: [UInt8] = (try? swiftProtobuf.serializedBytes()) ?? []

    Benchmark("\(name) encode habit-codegen", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(habit.serializedBytes())
        }
    }
    Benchmark("\(name) encode swift-protobuf", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            let bytes: [UInt8] = try swiftProtobuf.serializedBytes()
            blackHole(bytes)
        }
    }
    Benchmark("\(name) decode habit-codegen", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try H(serializedBytes: habitBytes))
        }
    }
    Benchmark("\(name) decode swift-protobuf", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try S(serializedBytes: swiftProtobufBytes))
        }
    }
}
