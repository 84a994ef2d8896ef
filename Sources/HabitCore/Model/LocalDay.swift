/// A calendar date in the user's own reckoning (time zone and day start applied), with no time of day.
///
/// Stored as days since 1970-01-01 so day arithmetic is integer arithmetic and a SQL `date` maps to it
/// directly; never derived by dividing seconds by 86 400.
public struct LocalDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before).
    public let daysSince1970: Int32

    /// Wraps a stored day number.
    public init(daysSince1970: Int32) { self.daysSince1970 = daysSince1970 }

    /// The proleptic Gregorian date `year-month-day`; nil when it does not exist (2023-02-29) or is out of
    /// the supported range (years 1 to 9999).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...LocalDay.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        self.daysSince1970 = Int32(era * 146_097 + dayOfEra - 719_468)
    }

    /// Parses `YYYY-MM-DD`, the form clients send; nil for anything else.
    public init?(iso8601 text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// Year, month (1-12) and day of month.
    public var components: (year: Int, month: Int, day: Int) {
        // Howard Hinnant's civil_from_days.
        let z = Int(daysSince1970) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The ISO weekday; 1970-01-01 was a Thursday.
    public var weekday: Weekday {
        let index = (Int(daysSince1970) + 3).modulo(7)  // 0 = Monday
        return Weekday.allCases[index]
    }

    /// The Monday that starts this day's calendar week (weeks start on Monday, ISO 8601).
    public var startOfWeek: LocalDay { adding(days: -(weekday.rawValue - 1)) }

    /// The day `days` later (earlier when negative), saturating at the ends of the representable range.
    public func adding(days: Int) -> LocalDay {
        LocalDay(daysSince1970: Int32(clamping: Int(daysSince1970) + days))
    }

    /// Whole days from `self` to `other` (positive when `other` is later).
    public func days(until other: LocalDay) -> Int { Int(other.daysSince1970) - Int(daysSince1970) }

    /// Orders by date.
    public static func < (lhs: LocalDay, rhs: LocalDay) -> Bool { lhs.daysSince1970 < rhs.daysSince1970 }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (year, month, day) = components
        return "\(LocalDay.pad(year, 4))-\(LocalDay.pad(month, 2))-\(LocalDay.pad(day, 2))"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A day of the week, numbered as ISO 8601 does (Monday 1 ... Sunday 7).
public enum Weekday: Int, CaseIterable, Hashable, Sendable, Codable {
    /// ISO weekday 1, the first day of a calendar week here.
    case monday = 1
    /// ISO weekday 2.
    case tuesday
    /// ISO weekday 3.
    case wednesday
    /// ISO weekday 4.
    case thursday
    /// ISO weekday 5.
    case friday
    /// ISO weekday 6.
    case saturday
    /// ISO weekday 7, the last day of a calendar week.
    case sunday
}

/// A set of weekdays stored as a 7-bit mask (bit 0 = Monday), one integer column in SQL.
public struct WeekdaySet: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Bit `n` set means weekday `n + 1` is in the set.
    public let bitmask: UInt8

    /// The weekdays in `days`.
    public init(_ days: some Sequence<Weekday>) {
        bitmask = days.reduce(0) { $0 | (1 << UInt8($1.rawValue - 1)) }
    }

    /// Validates a stored or received mask: only the low 7 bits may be set.
    public init(bitmask: UInt8) throws(HabitError) {
        guard bitmask & 0x80 == 0 else { throw HabitError(.invalidArgument, "weekday mask uses bits 0-6 only") }
        self.bitmask = bitmask
    }

    /// Whether `day` is in the set.
    public func contains(_ day: Weekday) -> Bool { bitmask & (1 << UInt8(day.rawValue - 1)) != 0 }

    /// Whether no weekday is in the set.
    public var isEmpty: Bool { bitmask == 0 }

    /// The weekdays in order, for example `[monday, friday]`.
    public var description: String { "\(Weekday.allCases.filter(contains).map { "\($0)" })" }
}

extension Int {
    /// The remainder with the sign of the divisor (so -1 mod 7 is 6).
    func modulo(_ divisor: Int) -> Int {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
