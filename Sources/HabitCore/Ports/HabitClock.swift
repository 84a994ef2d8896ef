public import Foundation

/// Where the domain reads the time; injected so tests can step through DST switches and midnights.
public protocol HabitClock: Sendable {
    /// The current instant.
    func now() -> Date
}

/// The real wall clock.
public struct SystemClock: HabitClock {
    /// Creates the system clock.
    public init() {}
    /// `Date()`.
    public func now() -> Date { Date() }
}
