public import NIOCore

/// Runs a task's jobs on one event loop, so a task and the connection it talks to share a thread:
/// no other thread is woken on the way in or on the way out. Use it as a task's executor preference
/// (`Task(executorPreference:)`) for work that only awaits I/O between short computations; anything
/// synchronous holds up every connection on that loop.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop every job runs on.
    public let eventLoop: any EventLoop

    /// An executor for `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Queues the job on the loop.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension EventLoop {
    /// Runs `body` at once when the caller is already on this loop (a task placed there with
    /// ``EventLoopTaskExecutor``), else queues it with `execute`. A task started at once from a channel
    /// handler's own callback (`Task.immediate`) re-enters that handler here, so it must be ready for it.
    public func runOnLoop(_ body: @escaping @Sendable () -> Void) {
        if inEventLoop { body() } else { execute(body) }
    }
}
