import Synchronization

/// One call the runner wants made: which method of the mix, on which connection.
public struct CallSlot: Sendable {
    /// Index of the method in the mix's entries.
    public let method: Int
    /// Index of the connection, `0..<plan.connections`.
    public let connection: Int
    /// A number unique to this call within the run (the caller may derive the user from it).
    public let sequence: Int
}

/// What the runner reports while it runs, for a progress line.
public struct ProgressSnapshot: Sendable {
    /// Time since the start.
    public let elapsed: Duration
    /// Whether the warm-up is still running.
    public let isWarmingUp: Bool
    /// Calls finished, warm-up included.
    public let finishedCalls: Int
    /// Finished calls whose status was not OK.
    public let failedCalls: Int
    /// Calls per second since the previous snapshot.
    public let recentCallsPerSecond: Double

    /// The line a terminal shows, for example `12.0 s  measuring  48,210 calls  4,012 calls/s  3 not OK`.
    public var line: String {
        let phase = isWarmingUp ? "warm-up  " : "measuring"
        return "\(BenchmarkReport.fixed(elapsed.seconds)) s  \(phase)  "
            + "\(BenchmarkReport.grouped(finishedCalls)) calls  "
            + "\(BenchmarkReport.grouped(recentCallsPerSecond)) calls/s  \(BenchmarkReport.grouped(failedCalls)) not OK"
    }
}

/// Runs a ``LoadPlan``: issues calls through a caller-supplied function, measures them and returns the report.
///
/// The caller's function makes the call and returns its status name (`OK`, or the gRPC code name); it must
/// honour a per-call deadline so every call ends. The run always ends by itself: at the stop condition, on an
/// abort reported by `abortReason`, or, for calls outstanding after the last one was issued, at the drain
/// timeout, when they are cancelled and counted as unfinished.
public struct LoadRunner: Sendable {
    /// The load to offer.
    public let plan: LoadPlan
    /// The methods to draw from.
    public let mix: MethodMix
    /// How often the progress callback and the abort check run.
    public let tickInterval: Duration

    /// A runner for `plan` over `mix`.
    public init(plan: LoadPlan, mix: MethodMix, tickInterval: Duration = .milliseconds(100)) {
        self.plan = plan
        self.mix = mix
        self.tickInterval = tickInterval
    }

    /// Runs the plan, calling `call` for every call; `abortReason` is polled every tick and stops the run when it
    /// returns a reason; `progress` gets a snapshot about once a second.
    public func run(
        call: @escaping @Sendable (CallSlot) async -> String,
        abortReason: @escaping @Sendable () -> String? = { nil },
        progress: (@Sendable (ProgressSnapshot) -> Void)? = nil
    ) async -> BenchmarkReport {
        let clock = ContinuousClock()
        let origin = clock.now
        let tally = Locked(RunTally(plan: plan, methods: mix.entries.map(\.method)))
        let seed = UInt64.random(in: .min ... .max)
        let plan = plan
        let mix = mix
        let load = Task {
            switch plan.shape {
            case .closedLoop(let connections, let inFlight):
                await Self.runClosedLoop(
                    callers: connections * inFlight, connections: connections, mix: mix, seed: seed, clock: clock,
                    origin: origin, tally: tally, call: call)
            case .openLoop(let connections, let rate, let maxInFlight):
                await Self.runOpenLoop(
                    plan: plan, connections: connections, rate: rate, maxInFlight: maxInFlight, mix: mix, seed: seed,
                    clock: clock, origin: origin, tally: tally, call: call)
            }
        }
        let isLoadDone = Locked(false)
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await load.value
                    isLoadDone.withLock { $0 = true }
                }
                group.addTask {
                    await watch(
                        load: load, isLoadDone: isLoadDone, clock: clock, origin: origin, tally: tally,
                        abortReason: abortReason, progress: progress)
                }
            }
        } onCancel: {
            load.cancel()
        }
        return tally.withLock { $0.report() }
    }

    /// Ticks until the load is done: progress snapshots, abort checks, and the drain timeout.
    private func watch(
        load: Task<Void, Never>, isLoadDone: Locked<Bool>, clock: ContinuousClock,
        origin: ContinuousClock.Instant, tally: Locked<RunTally>, abortReason: @Sendable () -> String?,
        progress: (@Sendable (ProgressSnapshot) -> Void)?
    ) async {
        var lastReport = (at: Duration.zero, finished: 0)
        while !isLoadDone.withLock({ $0 }) {
            try? await clock.sleep(for: tickInterval)
            let now = clock.now - origin
            if let reason = abortReason() { tally.withLock { $0.abort(reason, at: now) } }
            // A time-bound run ends on time even while every caller is still waiting for an answer.
            if case .after(let duration) = plan.stop, now >= plan.warmup + duration {
                tally.withLock { $0.markStopped(at: plan.warmup + duration) }
            }
            let (stoppedAt, finished, failed) = tally.withLock { ($0.stoppedAt, $0.finishedCalls, $0.failedCalls) }
            if let stoppedAt, now - stoppedAt > plan.drainTimeout { load.cancel() }
            if let progress, now - lastReport.at >= .seconds(1) {
                let rate = Double(finished - lastReport.finished) / max((now - lastReport.at).seconds, 1e-9)
                progress(
                    ProgressSnapshot(
                        elapsed: now, isWarmingUp: now < plan.warmup, finishedCalls: finished, failedCalls: failed,
                        recentCallsPerSecond: rate))
                lastReport = (now, finished)
            }
            if Task.isCancelled {
                load.cancel()
                await load.value
                return
            }
        }
    }

    /// `callers` tasks, each making its next call as soon as the previous one ends, until the tally stops admitting.
    private static func runClosedLoop(
        callers: Int, connections: Int, mix: MethodMix, seed: UInt64, clock: ContinuousClock,
        origin: ContinuousClock.Instant, tally: Locked<RunTally>, call: @escaping @Sendable (CallSlot) async -> String
    ) async {
        await withDiscardingTaskGroup { group in
            for caller in 0..<callers {
                group.addTask {
                    var generator = SplitMix64(seed: seed &+ UInt64(caller))
                    var sequence = caller
                    while !Task.isCancelled {
                        let start = clock.now - origin
                        guard tally.withLock({ $0.admit(at: start) }) else { return }
                        let method = mix.pick(using: &generator)
                        let slot = CallSlot(method: method, connection: caller % connections, sequence: sequence)
                        let status = await call(slot)
                        let end = clock.now - origin
                        if Task.isCancelled {
                            tally.withLock { $0.callAbandoned() }
                            return
                        }
                        tally.withLock { $0.callFinished(method: method, status: status, start: start, end: end) }
                        sequence += callers
                    }
                }
            }
        }
    }

    /// Sends calls at their intended times (``OpenLoopDispatcher``), each in its own task, measuring from the
    /// intended time.
    private static func runOpenLoop(
        plan: LoadPlan, connections: Int, rate: Double, maxInFlight: Int, mix: MethodMix, seed: UInt64,
        clock: ContinuousClock, origin: ContinuousClock.Instant, tally: Locked<RunTally>,
        call: @escaping @Sendable (CallSlot) async -> String
    ) async {
        let schedule = OpenLoopSchedule(callsPerSecond: rate)
        let dispatcher = Locked(
            OpenLoopDispatcher(schedule: schedule, maxInFlight: maxInFlight, warmup: plan.warmup, stop: plan.stop))
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let now = clock.now - origin
                if tally.withLock({ $0.abortReason != nil }) { dispatcher.withLock { $0.stop() } }
                switch dispatcher.withLock({ $0.next(at: now) }) {
                case .send(let batch):
                    for index in batch {
                        var generator = SplitMix64(seed: seed &+ UInt64(index))
                        let method = mix.pick(using: &generator)
                        let intended = schedule.intendedOffset(ofCall: index)
                        group.addTask {
                            let status = await call(
                                CallSlot(method: method, connection: index % connections, sequence: index))
                            let end = clock.now - origin
                            tally.withLock { tally in
                                if Task.isCancelled {
                                    tally.callAbandoned()
                                } else {
                                    tally.callFinished(method: method, status: status, start: intended, end: end)
                                }
                            }
                            dispatcher.withLock { $0.callFinished() }
                        }
                    }
                case .sleep(let until):
                    try? await clock.sleep(until: origin + until)
                case .waitForCompletion:
                    try? await clock.sleep(for: .microseconds(200))
                case .finished:
                    tally.withLock { $0.markStopped(at: now) }
                    return
                }
            }
        }
    }
}

/// A small, fast generator (SplitMix64) so each caller draws without locks or system calls; not for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// A value behind a mutex, shareable by reference between the runner's tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}
