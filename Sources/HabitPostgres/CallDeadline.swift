import HabitCore
import NIOCore
import RPCCore
import Synchronization

/// Bounds a store call in time, so an unreachable database costs a caller its deadline and not the pool's
/// minute-long connection retries.
enum CallDeadline {
    /// Runs `operation` in a child task on `eventLoop` and cancels it when `timeout` passes, throwing
    /// `.unavailable` if it has not finished by then.
    ///
    /// One child task carries the operation, so the cancellation stays the call's own: the caller's task is
    /// never cancelled. The timer is a callback on the same event loop, armed from the child while it runs
    /// there, so arming and disarming it cost no thread wake-up; `UncheckedOperation` is safe because the
    /// caller waits for the one child that runs the closure.
    static func run<T: Sendable>(
        _ timeout: Duration, on eventLoop: any EventLoop, _ operation: () async throws -> T
    ) async throws -> T {
        try await withoutActuallyEscaping(operation) { escapable in
            let box = UncheckedOperation(operation: escapable)
            return try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask(executorPreference: EventLoopTaskExecutor(eventLoop: eventLoop)) {
                    let timer = DeadlineTimer()
                    let scheduled = try eventLoop.scheduleCallback(in: TimeAmount(timeout), handler: timer)
                    defer { scheduled.cancel() }
                    withUnsafeCurrentTask { timer.arm($0) }
                    do {
                        let value = try await box.operation()
                        _ = timer.finish()
                        return value
                    } catch {
                        guard timer.finish() else { throw error }
                        throw HabitError(.unavailable, "store call did not finish within \(timeout)")
                    }
                }
                guard let value = try await group.next() else {
                    throw HabitError(.unavailable, "store call ended without a result")
                }
                return value
            }
        }
    }
}

/// The deadline's callback: cancels the task running the call if the call is still running when it fires.
private final class DeadlineTimer: NIOScheduledCallbackHandler, Sendable {
    private enum State {
        case waiting
        case running(RunningTask)
        case finished
        case expired
    }

    private let state = Mutex(State.waiting)

    /// Records the task to cancel; if the timer already fired, cancels it at once.
    func arm(_ task: UnsafeCurrentTask?) {
        guard let task else { return }
        let running = RunningTask(task: task)
        state.withLock { state in
            switch state {
            case .waiting: state = .running(running)
            case .expired: running.task.cancel()
            case .running, .finished: break
            }
        }
    }

    /// Marks the call finished and returns whether the deadline had passed first.
    func finish() -> Bool {
        state.withLock { state in
            if case .expired = state { return true }
            state = .finished
            return false
        }
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        state.withLock { state in
            switch state {
            case .waiting: state = .expired
            case .running(let running):
                running.task.cancel()
                state = .expired
            case .finished, .expired: break
            }
        }
    }
}

/// The task running a call, for the timer to cancel from the event loop: valid while the timer holds it in
/// `.running`, since the task leaves that state through `finish` before it ends.
private struct RunningTask: @unchecked Sendable {
    let task: UnsafeCurrentTask
}

/// Carries a non-`Sendable` closure into the one child task that runs it while its creator waits.
private struct UncheckedOperation<T>: @unchecked Sendable {
    let operation: () async throws -> T
}
