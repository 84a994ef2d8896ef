public import Metrics
public import RPCCore
import Synchronization

/// Counts, times and gauges every call through swift-metrics (whichever backend the process bootstrapped):
///
/// - `hrpc_server_calls_total{method, code}`: finished calls by method and status (`OK`, `NOT_FOUND`, ...);
/// - `hrpc_server_call_duration_seconds{method}`: a timer (a histogram in Prometheus) of each call from the
///   interceptor to the handler's end, streaming calls included;
/// - `hrpc_server_calls_in_flight`: calls started and not finished.
///
/// Labels stay bounded: `method` is one of the methods given at init (a descriptor outside them counts as
/// `unknown`), `code` one of the 17 statuses. Put it first in the chain so rejections by later interceptors
/// (authentication, quotas) are counted with their status.
public struct ServerMetricsInterceptor: ServerInterceptor {
    /// The metric names, for dashboards, tests and backend configuration (histogram buckets).
    public enum Label {
        /// Counter of finished calls, dimensions `method` and `code`.
        public static let calls = "hrpc_server_calls_total"
        /// Timer of call durations, dimension `method`.
        public static let callDuration = "hrpc_server_call_duration_seconds"
        /// Meter of calls in flight.
        public static let callsInFlight = "hrpc_server_calls_in_flight"
    }

    /// The `method` label of calls to a method the interceptor was not told about.
    public static let unknownMethod = "unknown"

    /// Histogram buckets for ``Label/callDuration`` fitted to a low-latency server: 50 µs to 5 s.
    public static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5),
    ]

    private let instruments: CallInstruments

    /// Counts calls of `methods` (their full names become the `method` label) on `factory`, by default
    /// the process's `MetricsSystem`.
    public init(methods: [MethodDescriptor], factory: (any MetricsFactory)? = nil) {
        instruments = CallInstruments(methods: methods, factory: factory ?? MetricsSystem.factory)
    }

    public func intercept<Result: Sendable>(
        _ context: ServerCallContext, next: @Sendable (ServerCallContext) async throws -> Result
    ) async throws -> Result {
        let method = instruments.method(context.descriptor)
        let started = ContinuousClock.now
        instruments.inFlight.increment()
        defer { instruments.inFlight.decrement() }
        do {
            let result = try await next(context)
            instruments.finished(method, status: CallStatus.ok, after: ContinuousClock.now - started)
            return result
        } catch {
            let code = CallStatus.code(of: error, in: context)
            instruments.finished(method, status: code.description, after: ContinuousClock.now - started)
            throw error
        }
    }
}

/// The instruments behind ``ServerMetricsInterceptor``: one timer per method made up front, call counters
/// made on first use (most method and status pairs never occur) and kept, so a call costs a lookup.
private final class CallInstruments: Sendable {
    private struct CounterKey: Hashable {
        var method: Int
        var status: String
    }

    private let factory: any MetricsFactory
    private let labels: [String]
    private let indexes: [MethodDescriptor: Int]
    private let timers: [Metrics.Timer]
    private let counters = Mutex<[CounterKey: Counter]>([:])
    let inFlight: Meter

    init(methods: [MethodDescriptor], factory: any MetricsFactory) {
        self.factory = factory
        var indexes: [MethodDescriptor: Int] = [:]
        var labels: [String] = []
        for method in methods where indexes[method] == nil {
            indexes[method] = labels.count
            labels.append(method.fullName)
        }
        labels.append(ServerMetricsInterceptor.unknownMethod)
        self.indexes = indexes
        self.labels = labels
        timers = labels.map {
            Metrics.Timer(label: ServerMetricsInterceptor.Label.callDuration, dimensions: [("method", $0)], factory: factory)
        }
        inFlight = Meter(label: ServerMetricsInterceptor.Label.callsInFlight, factory: factory)
    }

    /// The index of `descriptor`'s label; the last one (`unknown`) for a method not given at init.
    func method(_ descriptor: MethodDescriptor) -> Int {
        indexes[descriptor] ?? labels.count - 1
    }

    func finished(_ method: Int, status: String, after duration: Duration) {
        timers[method].record(duration: duration)
        let key = CounterKey(method: method, status: status)
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: ServerMetricsInterceptor.Label.calls, dimensions: [("method", labels[method]), ("code", status)],
                factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }
}
