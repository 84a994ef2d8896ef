/// What load to offer and when to stop: the shape (closed or open loop), the warm-up and the stop condition.
public struct LoadPlan: Sendable, Equatable {
    /// How calls are issued.
    public enum Shape: Sendable, Equatable {
        /// `connections` × `inFlightPerConnection` callers, each sending its next call as soon as the last one ends.
        case closedLoop(connections: Int, inFlightPerConnection: Int)
        /// Calls sent at a fixed rate whatever the server does, spread over `connections`; latency counts from
        /// each call's intended send time (coordinated-omission correction). At most `maxInFlight` calls are
        /// outstanding; while at that cap, due calls wait and their wait counts in their latency.
        case openLoop(connections: Int, callsPerSecond: Double, maxInFlight: Int)
    }

    /// When the measured part of the run ends.
    public enum Stop: Sendable, Equatable {
        /// Issue calls for this long after the warm-up.
        case after(Duration)
        /// Issue this many calls after the warm-up.
        case calls(Int)
    }

    /// How calls are issued.
    public let shape: Shape
    /// When the measured part ends.
    public let stop: Stop
    /// Calls that start (or, open loop, are due) before this offset from the start are not measured.
    public let warmup: Duration
    /// After the last call was issued, how long outstanding calls may take before they are cancelled.
    public let drainTimeout: Duration

    /// The most closed-loop callers (one task each) a plan may ask for.
    public static let maximumCallers = 100_000

    /// A validated plan; every count and duration must be positive (the warm-up may be zero).
    public init(shape: Shape, stop: Stop, warmup: Duration, drainTimeout: Duration) throws(LoadPlanError) {
        switch shape {
        case .closedLoop(let connections, let inFlight):
            try Self.check(connections, in: 1...10_000, "--connections")
            try Self.check(inFlight, in: 1...100_000, "--in-flight")
            guard connections * inFlight <= Self.maximumCallers else {
                throw LoadPlanError(
                    "--connections x --in-flight must be at most \(Self.maximumCallers), got \(connections * inFlight)")
            }
        case .openLoop(let connections, let rate, let maxInFlight):
            try Self.check(connections, in: 1...10_000, "--connections")
            guard rate.isFinite, rate > 0, rate <= 10_000_000 else {
                throw LoadPlanError("--rate must be a number of calls per second from above 0 to 10000000, got \(rate)")
            }
            try Self.check(maxInFlight, in: 1...1_000_000, "--max-in-flight")
        }
        switch stop {
        case .after(let duration):
            guard duration > .zero else { throw LoadPlanError("--duration must be positive") }
        case .calls(let count):
            try Self.check(count, in: 1...1_000_000_000, "--calls")
        }
        guard warmup >= .zero else { throw LoadPlanError("--warmup must not be negative") }
        guard drainTimeout > .zero else { throw LoadPlanError("the drain timeout must be positive") }
        self.shape = shape
        self.stop = stop
        self.warmup = warmup
        self.drainTimeout = drainTimeout
    }

    /// Connections the plan spreads its calls over.
    public var connections: Int {
        switch shape {
        case .closedLoop(let connections, _), .openLoop(let connections, _, _): connections
        }
    }

    private static func check(_ value: Int, in range: ClosedRange<Int>, _ name: String) throws(LoadPlanError) {
        guard range.contains(value) else {
            throw LoadPlanError("\(name) must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
    }
}

/// Why a plan was rejected, naming the option.
public struct LoadPlanError: Error, Equatable, CustomStringConvertible {
    /// The readable reason.
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { message }
}
