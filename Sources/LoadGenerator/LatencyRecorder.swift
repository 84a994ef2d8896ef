import Histogram

/// Latencies (HdrHistogram, nanoseconds, 3 significant digits) and status counts, overall and per method.
public struct LatencyRecorder: Sendable {
    /// The longest latency tracked exactly; longer ones are recorded as this value.
    public static let highestTrackableNanoseconds: UInt64 = 3_600_000_000_000

    /// The method names, indexed as the calls report them.
    public let methods: [String]
    /// Every recorded latency.
    private var overall: Histogram<UInt64>
    /// Latencies per method index.
    private var perMethod: [Histogram<UInt64>]
    /// Calls per status name (`OK`, `UNAVAILABLE`, ...).
    public private(set) var statusCounts: [String: Int] = [:]
    /// Calls per status name, per method index.
    public private(set) var perMethodStatusCounts: [[String: Int]]

    /// An empty recorder for `methods`.
    public init(methods: [String]) {
        self.methods = methods
        let empty = Histogram<UInt64>(
            highestTrackableValue: Self.highestTrackableNanoseconds, numberOfSignificantValueDigits: .three)
        self.overall = empty
        self.perMethod = Array(repeating: empty, count: methods.count)
        self.perMethodStatusCounts = Array(repeating: [:], count: methods.count)
    }

    /// Calls recorded.
    public var calls: Int { Int(overall.totalCount) }

    /// Records one finished call of method `method` (an index into ``methods``).
    public mutating func record(method: Int, status: String, latency: Duration) {
        let nanoseconds = min(latency.wholeNanoseconds, Self.highestTrackableNanoseconds)
        overall.record(nanoseconds)
        statusCounts[status, default: 0] += 1
        guard perMethod.indices.contains(method) else { return }
        perMethod[method].record(nanoseconds)
        perMethodStatusCounts[method][status, default: 0] += 1
    }

    /// The percentile summary of all calls, or nil when none was recorded.
    public var latency: LatencySummary? { LatencySummary(overall) }

    /// Calls recorded for method `method`.
    public func calls(ofMethod method: Int) -> Int { Int(perMethod[method].totalCount) }

    /// The percentile summary of method `method`, or nil when it had no call.
    public func latency(ofMethod method: Int) -> LatencySummary? { LatencySummary(perMethod[method]) }
}

/// The latency percentiles a report gives, in microseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    /// Median.
    public var p50: Double
    /// 90th percentile.
    public var p90: Double
    /// 99th percentile.
    public var p99: Double
    /// 99.9th percentile.
    public var p999: Double
    /// The largest latency recorded.
    public var max: Double
    /// The mean.
    public var mean: Double

    /// A summary from explicit values (microseconds).
    public init(p50: Double, p90: Double, p99: Double, p999: Double, max: Double, mean: Double) {
        (self.p50, self.p90, self.p99, self.p999, self.max, self.mean) = (p50, p90, p99, p999, max, mean)
    }

    /// The summary of a histogram of nanoseconds; nil when it is empty.
    init?(_ histogram: Histogram<UInt64>) {
        guard histogram.totalCount > 0 else { return nil }
        func micros(_ nanoseconds: UInt64) -> Double { Self.rounded(Double(nanoseconds) / 1000) }
        self.init(
            p50: micros(histogram.valueAtPercentile(50)), p90: micros(histogram.valueAtPercentile(90)),
            p99: micros(histogram.valueAtPercentile(99)), p999: micros(histogram.valueAtPercentile(99.9)),
            max: micros(histogram.max), mean: Self.rounded(histogram.mean / 1000))
    }

    /// Rounds to 0.1 µs, the precision the report claims.
    private static func rounded(_ microseconds: Double) -> Double { (microseconds * 10).rounded() / 10 }
}
