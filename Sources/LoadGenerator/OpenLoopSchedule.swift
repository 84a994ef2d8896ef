/// The intended send times of an open-loop run: call `i` is due `i / rate` seconds after the start.
///
/// Times are offsets from the start of the run, so the schedule is independent of any clock.
public struct OpenLoopSchedule: Sendable, Equatable {
    /// Calls per second.
    public let callsPerSecond: Double

    /// A schedule of `callsPerSecond` (positive and finite; ``LoadPlan`` validates it).
    public init(callsPerSecond: Double) {
        self.callsPerSecond = callsPerSecond
    }

    /// When call `index` should be sent, as an offset from the start.
    public func intendedOffset(ofCall index: Int) -> Duration {
        .nanoseconds(Int64((Double(index) * 1e9 / callsPerSecond).rounded(.down)))
    }

    /// How many calls are due at `offset`: the number of indices whose intended offset is at or before it.
    public func callsDue(at offset: Duration) -> Int {
        guard offset >= .zero else { return 0 }
        let estimate = Int((offset.nanoseconds * callsPerSecond / 1e9).rounded(.down)) + 1
        var count = max(0, estimate)
        while intendedOffset(ofCall: count) <= offset { count += 1 }
        while count > 0, intendedOffset(ofCall: count - 1) > offset { count -= 1 }
        return count
    }

    /// The first call whose intended offset is at or after `offset`.
    public func firstCall(notBefore offset: Duration) -> Int {
        guard offset > .zero else { return 0 }
        return callsDue(at: offset - .nanoseconds(1))
    }
}

/// Decides, at each moment of an open-loop run, which calls to send: all that are due, up to the in-flight cap.
///
/// A value-type state machine: the runner asks ``next(at:)`` for an action and reports every finished call with
/// ``callFinished()``. Calls are never dropped or rescheduled: a call held back by the cap is sent late, and its
/// latency still counts from its intended offset, so a stall shows in every call it delayed.
public struct OpenLoopDispatcher: Sendable {
    /// What the runner should do next.
    public enum Action: Sendable, Equatable {
        /// Send these calls now (their intended offsets are in the past or now).
        case send(Range<Int>)
        /// Nothing is due before this offset.
        case sleep(until: Duration)
        /// Calls are due but the in-flight cap is reached: wait for one to finish.
        case waitForCompletion
        /// Every call of the plan has been sent.
        case finished
    }

    /// The schedule of intended send times.
    public let schedule: OpenLoopSchedule
    /// The most calls outstanding at once.
    public let maxInFlight: Int
    /// One past the last call of the run.
    public let endIndex: Int
    /// The first call measured (intended at or after the warm-up).
    public let firstMeasuredIndex: Int
    /// The next call to send.
    public private(set) var nextIndex = 0
    /// Calls sent and not yet finished.
    public private(set) var inFlight = 0
    /// Whether the run was stopped early; no more calls are sent.
    public private(set) var isStopped = false

    /// A dispatcher for `plan`, whose shape must be an open loop at `schedule`'s rate.
    public init(schedule: OpenLoopSchedule, maxInFlight: Int, warmup: Duration, stop: LoadPlan.Stop) {
        self.schedule = schedule
        self.maxInFlight = maxInFlight
        self.firstMeasuredIndex = schedule.firstCall(notBefore: warmup)
        switch stop {
        case .calls(let count): self.endIndex = firstMeasuredIndex + count
        case .after(let duration): self.endIndex = schedule.firstCall(notBefore: warmup + duration)
        }
    }

    /// The action at `offset` from the start; `.send` counts its calls as in flight.
    public mutating func next(at offset: Duration) -> Action {
        guard !isStopped, nextIndex < endIndex else { return .finished }
        let due = min(schedule.callsDue(at: offset), endIndex)
        guard due > nextIndex else { return .sleep(until: schedule.intendedOffset(ofCall: nextIndex)) }
        let room = maxInFlight - inFlight
        guard room > 0 else { return .waitForCompletion }
        let count = min(room, due - nextIndex)
        let batch = nextIndex..<(nextIndex + count)
        nextIndex += count
        inFlight += count
        return .send(batch)
    }

    /// One sent call finished.
    public mutating func callFinished() {
        inFlight = max(0, inFlight - 1)
    }

    /// Sends nothing more (abort).
    public mutating func stop() {
        isStopped = true
    }
}

extension Duration {
    /// The duration in nanoseconds as a floating-point number.
    var nanoseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }

    /// The duration in whole nanoseconds, clamped to zero below.
    var wholeNanoseconds: UInt64 {
        guard self > .zero else { return 0 }
        let (seconds, attoseconds) = components
        let (product, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        return product &+ UInt64(attoseconds / 1_000_000_000)
    }

    /// The duration in seconds as a floating-point number.
    var seconds: Double { nanoseconds / 1e9 }
}
