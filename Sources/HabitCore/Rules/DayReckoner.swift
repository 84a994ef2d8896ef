public import Foundation

/// Turns instants into the user's local days: IANA zone plus a day-start offset (rule R1).
///
/// Day `D` begins at the first instant whose wall-clock time in the zone is at or after `D` + day start. In a
/// spring-forward gap that is the first instant after the gap; in a fall-back overlap it is the first of the
/// two, so local days never go backwards while the zone stays the same.
public struct DayReckoner: Sendable {
    /// The zone.
    public let timeZone: TimeZone
    /// Minutes after local midnight when a day starts, 0..<1440.
    public let dayStartMinutes: Int

    /// Validates the zone name and the day start.
    public init(timeZoneID: String, dayStartMinutes: Int) throws(HabitError) {
        guard (0..<1440).contains(dayStartMinutes) else {
            throw HabitError(.invalidArgument, "day start must be 0 to 1439 minutes after midnight")
        }
        guard timeZoneID.utf8.count <= 64, !timeZoneID.isEmpty, let zone = TimeZone(identifier: timeZoneID) else {
            throw HabitError(.invalidArgument, "unknown time zone \"\(timeZoneID.prefix(64))\"")
        }
        self.timeZone = zone
        self.dayStartMinutes = dayStartMinutes
    }

    /// The reckoner for a user's settings.
    public init(_ settings: UserSettings) throws(HabitError) {
        try self.init(timeZoneID: settings.timeZoneID, dayStartMinutes: settings.dayStartMinutes)
    }

    /// The local day `instant` belongs to.
    public func localDay(of instant: Date) -> LocalDay {
        let t = Self.seconds(instant)
        let wall = t + offset(at: t) - Int64(dayStartMinutes) * 60
        let guess = LocalDay(daysSince1970: Int32(clamping: wall.floorDivided(by: 86_400)))
        if t < startSeconds(of: guess) { return guess.adding(days: -1) }
        if t >= startSeconds(of: guess.adding(days: 1)) { return guess.adding(days: 1) }
        return guess
    }

    /// The first instant of `day`.
    public func start(of day: LocalDay) -> Date {
        Date(timeIntervalSince1970: TimeInterval(startSeconds(of: day)))
    }

    private func startSeconds(of day: LocalDay) -> Int64 {
        let wall = Int64(day.daysSince1970) * 86_400 + Int64(dayStartMinutes) * 60
        // The zone's offsets around that wall time; at most two differ unless a zone changes twice in two days.
        let offsets = Set([wall - 86_400, wall + 86_400].map { offset(at: $0) })
        let exact = offsets.map { wall - $0 }.filter { $0 + offset(at: $0) == wall }
        if let first = exact.min() { return first }
        // A gap: the wall time is skipped; find the first instant whose wall time is past it.
        var low = wall - (offsets.max() ?? 0)
        var high = wall - (offsets.min() ?? 0)
        while low < high {
            let middle = low + (high - low) / 2
            if middle + offset(at: middle) >= wall { high = middle } else { low = middle + 1 }
        }
        return low
    }

    private func offset(at seconds: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
    }

    /// Whole seconds since 1970, rounded down, clamped to years 1...9999 so arithmetic cannot overflow.
    private static func seconds(_ instant: Date) -> Int64 {
        let value = instant.timeIntervalSince1970
        guard value.isFinite else { return 0 }
        return Int64(min(max(value, -62_135_596_800), 253_402_300_799).rounded(.down))
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
