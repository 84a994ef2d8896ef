import NIOCore

/// The commands of one connection that await their replies, in the order Redis answers them, and
/// when the connection's single deadline timer must fire.
///
/// One timer per connection instead of one per command: it is armed at the earliest deadline known
/// when it was armed and is not cancelled when that command is answered. When it fires it looks at
/// what is still waiting and either finds a missed deadline or re-arms for the earliest one left,
/// so a healthy connection schedules about one timer per timeout period, however many commands it
/// carries. A value type, so the rules are tested without sockets or clocks.
struct RedisPendingCommands {
    /// A command on the wire and the promise its reply completes.
    struct Command {
        var reply: EventLoopPromise<RESPValue>
        /// When the command fails with `.timedOut` if no reply has come.
        var deadline: NIODeadline
        /// The timeout the caller gave, for the error message.
        var timeout: TimeAmount

        /// The error of a command whose deadline passed.
        var timedOut: RedisClientError { .timedOut(after: timeout) }
    }

    /// What to do when the timer fired.
    enum TimerDecision: Equatable {
        /// Nothing is waiting: leave the timer unarmed.
        case idle
        /// Arm the timer again for this deadline.
        case rearm(NIODeadline)
        /// A command missed its deadline: fail the commands and close the connection.
        case deadlineMissed
    }

    private var commands = CircularBuffer<Command>()
    /// When the armed timer fires; nil when no timer is armed.
    private(set) var timerDeadline: NIODeadline?

    /// Queues a command. Returns the deadline to arm the timer for (cancelling an armed one), or nil
    /// when the armed timer fires no later than this command's deadline.
    mutating func append(_ command: Command) -> NIODeadline? {
        commands.append(command)
        if let timerDeadline, timerDeadline <= command.deadline { return nil }
        timerDeadline = command.deadline
        return command.deadline
    }

    /// The oldest command, whose reply has arrived.
    mutating func popFirst() -> Command? {
        commands.popFirst()
    }

    /// The armed timer fired at `now`.
    mutating func timerFired(now: NIODeadline) -> TimerDecision {
        timerDeadline = nil
        // A scan, not a heap: this runs about once per timeout period, and deadlines are nearly in
        // FIFO order anyway (they differ only when callers pass different timeouts).
        guard let earliest = commands.lazy.map(\.deadline).min() else { return .idle }
        guard earliest > now else { return .deadlineMissed }
        timerDeadline = earliest
        return .rearm(earliest)
    }

    /// Removes every command (to fail them all) and forgets the timer, which the caller cancels.
    mutating func removeAll() -> CircularBuffer<Command> {
        timerDeadline = nil
        let removed = commands
        commands = CircularBuffer()
        return removed
    }
}
