import Foundation

/// The result of a run: what load was offered, throughput, latency percentiles and status counts.
///
/// `--json` prints it with ``jsonString()``; the schema is documented in the README (`habit-cli bench`).
public struct BenchmarkReport: Codable, Sendable, Equatable {
    /// The load that was offered.
    public struct Load: Codable, Sendable, Equatable {
        /// `closed` or `open`.
        public var mode: String
        /// Connections used.
        public var connections: Int
        /// Closed loop: calls kept outstanding on each connection.
        public var inFlightPerConnection: Int?
        /// Open loop: the offered rate.
        public var targetCallsPerSecond: Double?
        /// Open loop: the cap on outstanding calls.
        public var maxInFlight: Int?
        /// Seconds of warm-up excluded from the figures.
        public var warmupSeconds: Double
        /// The measured duration asked for, when the run was time-bound.
        public var durationSeconds: Double?
        /// The measured call count asked for, when the run was count-bound.
        public var callLimit: Int?

        /// The description of `plan`.
        public init(_ plan: LoadPlan) {
            switch plan.shape {
            case .closedLoop(let connections, let inFlight):
                (mode, self.connections, inFlightPerConnection) = ("closed", connections, inFlight)
            case .openLoop(let connections, let rate, let cap):
                (mode, self.connections, targetCallsPerSecond, maxInFlight) = ("open", connections, rate, cap)
            }
            warmupSeconds = plan.warmup.seconds
            switch plan.stop {
            case .after(let duration): durationSeconds = duration.seconds
            case .calls(let count): callLimit = count
            }
        }

        enum CodingKeys: String, CodingKey {
            case mode, connections
            case inFlightPerConnection = "in_flight_per_connection"
            case targetCallsPerSecond = "target_calls_per_second"
            case maxInFlight = "max_in_flight"
            case warmupSeconds = "warmup_seconds"
            case durationSeconds = "duration_seconds"
            case callLimit = "call_limit"
        }
    }

    /// The figures of one method of the mix.
    public struct MethodReport: Codable, Sendable, Equatable {
        /// The method's name in the mix.
        public var method: String
        /// Measured calls of this method.
        public var calls: Int
        /// Its calls per status name.
        public var statusCounts: [String: Int]
        /// Its latency percentiles; absent when it had no measured call.
        public var latencyMicroseconds: LatencySummary?

        enum CodingKeys: String, CodingKey {
            case method, calls
            case statusCounts = "status_counts"
            case latencyMicroseconds = "latency_us"
        }
    }

    /// Names this report format for machines; bumped on incompatible changes.
    public var schema = "habit-cli-bench/1"
    /// The load offered.
    public var load: Load
    /// Seconds from the end of the warm-up to the end of the last measured call.
    public var measuredSeconds: Double
    /// Measured calls: calls that started (open loop: were due) after the warm-up and finished.
    public var calls: Int
    /// `calls / measuredSeconds`.
    public var callsPerSecond: Double
    /// Measured calls per status name (`OK`, `RESOURCE_EXHAUSTED`, ...); they add up to `calls`.
    public var statusCounts: [String: Int]
    /// Latency percentiles of all measured calls; absent when there was none.
    public var latencyMicroseconds: LatencySummary?
    /// Calls that started during the warm-up.
    public var warmupCalls: Int
    /// Calls cancelled at the drain timeout, neither measured nor counted in `calls`.
    public var unfinishedCalls: Int
    /// Why the run stopped early, when it did (for example the server closed a connection).
    public var abortReason: String?
    /// The same figures per method.
    public var methods: [MethodReport]
    /// What the tool drove, set by the caller (for example `users`, `mix`).
    public var workload: [String: String]?

    enum CodingKeys: String, CodingKey {
        case schema, load, calls, methods, workload
        case measuredSeconds = "measured_seconds"
        case callsPerSecond = "calls_per_second"
        case statusCounts = "status_counts"
        case latencyMicroseconds = "latency_us"
        case warmupCalls = "warmup_calls"
        case unfinishedCalls = "unfinished_calls"
        case abortReason = "abort_reason"
    }

    /// A report from its parts.
    public init(
        load: Load, measuredSeconds: Double, calls: Int, callsPerSecond: Double, statusCounts: [String: Int],
        latencyMicroseconds: LatencySummary?, warmupCalls: Int, unfinishedCalls: Int, abortReason: String?,
        methods: [MethodReport], workload: [String: String]? = nil
    ) {
        self.load = load
        self.measuredSeconds = measuredSeconds
        self.calls = calls
        self.callsPerSecond = callsPerSecond
        self.statusCounts = statusCounts
        self.latencyMicroseconds = latencyMicroseconds
        self.warmupCalls = warmupCalls
        self.unfinishedCalls = unfinishedCalls
        self.abortReason = abortReason
        self.methods = methods
        self.workload = workload
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain numbers, strings and dictionaries cannot fail; an empty object keeps the output valid JSON.
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The report for people: one block of aligned lines.
    public func text() -> String {
        var lines: [String] = []
        let shape: String
        switch load.mode {
        case "open":
            shape = "open loop at \(Self.grouped(load.targetCallsPerSecond ?? 0)) calls/s over \(load.connections) "
                + "connection(s), at most \(load.maxInFlight ?? 0) in flight"
        default:
            shape = "closed loop, \(load.connections) connection(s) x \(load.inFlightPerConnection ?? 0) in flight"
        }
        lines.append("\(shape), \(Self.fixed(load.warmupSeconds)) s warm-up excluded")
        if let abortReason { lines.append("  ABORTED      \(abortReason)") }
        lines.append(
            "  calls        \(Self.grouped(calls)) measured in \(Self.fixed(measuredSeconds)) s "
                + "(\(Self.grouped(warmupCalls)) in warm-up, \(Self.grouped(unfinishedCalls)) unfinished)")
        lines.append("  throughput   \(Self.grouped(callsPerSecond)) calls/s")
        lines.append("  latency      " + Self.describe(latencyMicroseconds))
        lines.append("  status       " + Self.describe(statusCounts))
        let width = methods.map(\.method.count).max() ?? 0
        for method in methods {
            let name = method.method.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append(
                "  \(name)  \(Self.grouped(method.calls)) calls  \(Self.describe(method.latencyMicroseconds))  "
                    + Self.describe(method.statusCounts))
        }
        return lines.joined(separator: "\n")
    }

    private static func describe(_ latency: LatencySummary?) -> String {
        guard let latency else { return "no measured calls" }
        return "p50 \(micros(latency.p50))  p90 \(micros(latency.p90))  p99 \(micros(latency.p99))  "
            + "p99.9 \(micros(latency.p999))  max \(micros(latency.max))"
    }

    private static func describe(_ counts: [String: Int]) -> String {
        guard !counts.isEmpty else { return "-" }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \(grouped($0.value))" }
            .joined(separator: "  ")
    }

    /// Microseconds below 10 ms, milliseconds above, for reading at a glance.
    static func micros(_ value: Double) -> String {
        value < 10_000 ? "\(fixed(value)) µs" : "\(fixed(value / 1000)) ms"
    }

    static func fixed(_ value: Double) -> String { String(format: "%.1f", value) }

    /// `value` rounded to a whole number, with thousands separated by commas.
    static func grouped(_ value: Double) -> String {
        value.isFinite && value.magnitude < 1e18 ? grouped(Int(value.rounded())) : "\(value)"
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }
}
