public import Foundation
public import HabitCore
import Synchronization

/// A clock that always says the same instant (or whatever it was last set to).
public final class FixedClock: HabitClock {
    private let instant: Mutex<Date>

    /// A clock reading `instant`.
    public init(_ instant: Date) { self.instant = Mutex(instant) }

    /// The instant set last.
    public func now() -> Date { instant.withLock { $0 } }

    /// Moves the clock to `instant`.
    public func set(_ instant: Date) { self.instant.withLock { $0 = instant } }

    /// Moves the clock by `seconds`.
    public func advance(by seconds: TimeInterval) { instant.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
