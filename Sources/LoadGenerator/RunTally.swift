/// Everything a run counts: which calls it admits, which it measures, and how they ended.
///
/// A value type, so the measuring rules (warm-up exclusion, the stop condition, latency from the intended
/// start) are tested without a clock or a server; ``LoadRunner`` keeps one behind a mutex.
public struct RunTally: Sendable {
    /// The plan the run follows.
    public let plan: LoadPlan
    /// Measured calls.
    public private(set) var recorder: LatencyRecorder
    /// Calls that started during the warm-up (finished, not measured).
    public private(set) var warmupCalls = 0
    /// Calls cancelled because they outlived the drain timeout.
    public private(set) var unfinishedCalls = 0
    /// Every finished call, warm-up included (progress).
    public private(set) var finishedCalls = 0
    /// Every finished call whose status was not OK, warm-up included (progress).
    public private(set) var failedCalls = 0
    /// Measured calls admitted so far (the `.calls` stop condition).
    public private(set) var admittedMeasuredCalls = 0
    /// When the run stopped admitting calls, as an offset from the start.
    public private(set) var stoppedAt: Duration?
    /// Why the run was stopped early, if it was.
    public private(set) var abortReason: String?
    /// The end of the latest measured call, as an offset from the start.
    public private(set) var lastMeasuredEnd: Duration?

    /// The status name of a successful call.
    public static let ok = "OK"

    /// An empty tally for `plan` over `methods`.
    public init(plan: LoadPlan, methods: [String]) {
        self.plan = plan
        self.recorder = LatencyRecorder(methods: methods)
    }

    /// Whether a closed-loop call may start at `offset`; false once the stop condition or an abort is reached.
    public mutating func admit(at offset: Duration) -> Bool {
        guard stoppedAt == nil else { return false }
        if offset < plan.warmup { return true }
        switch plan.stop {
        case .after(let duration):
            if offset < plan.warmup + duration { return true }
        case .calls(let count):
            if admittedMeasuredCalls < count {
                admittedMeasuredCalls += 1
                return true
            }
        }
        stoppedAt = offset
        return false
    }

    /// Records a call that started (closed loop) or was due (open loop) at `start` and ended at `end`.
    ///
    /// The latency is `end - start`: with the intended send time as `start`, time a call spent waiting to be
    /// sent counts, which is the coordinated-omission correction.
    public mutating func callFinished(method: Int, status: String, start: Duration, end: Duration) {
        finishedCalls += 1
        if status != Self.ok { failedCalls += 1 }
        guard start >= plan.warmup else {
            warmupCalls += 1
            return
        }
        recorder.record(method: method, status: status, latency: end - start)
        lastMeasuredEnd = max(lastMeasuredEnd ?? end, end)
    }

    /// A call was cancelled at the drain timeout: counted apart, never measured.
    public mutating func callAbandoned() {
        unfinishedCalls += 1
    }

    /// Marks the end of admission at `offset` (the open-loop dispatcher sent its last call).
    public mutating func markStopped(at offset: Duration) {
        if stoppedAt == nil { stoppedAt = offset }
    }

    /// Stops the run early for `reason` at `offset`.
    public mutating func abort(_ reason: String, at offset: Duration) {
        if abortReason == nil { abortReason = reason }
        markStopped(at: offset)
    }

    /// The report of the run so far.
    public func report() -> BenchmarkReport {
        let measuredSeconds = max(0, ((lastMeasuredEnd ?? plan.warmup) - plan.warmup).seconds)
        let methods = recorder.methods.indices.map { index in
            BenchmarkReport.MethodReport(
                method: recorder.methods[index], calls: recorder.calls(ofMethod: index),
                statusCounts: recorder.perMethodStatusCounts[index],
                latencyMicroseconds: recorder.latency(ofMethod: index))
        }
        return BenchmarkReport(
            load: BenchmarkReport.Load(plan), measuredSeconds: measuredSeconds, calls: recorder.calls,
            callsPerSecond: measuredSeconds > 0 ? Double(recorder.calls) / measuredSeconds : 0,
            statusCounts: recorder.statusCounts, latencyMicroseconds: recorder.latency, warmupCalls: warmupCalls,
            unfinishedCalls: unfinishedCalls, abortReason: abortReason, methods: methods)
    }
}
