/// When a habit is due. Calendar weeks start on Monday.
public enum Schedule: Hashable, Sendable, Codable {
    /// Due every day.
    case daily
    /// Due on the given weekdays only (at least one).
    case weekdays(WeekdaySet)
    /// Due `n` times (1...7) in each calendar week, on any days; counted per week.
    case timesPerWeek(Int)
    /// Due every `n` days (1...365) counting from `start` (due on `start`, `start + n`, ...).
    case everyNDays(Int, start: LocalDay)

    /// Checks the parameters, so a stored schedule is always meaningful.
    public func validated() throws(HabitError) -> Schedule {
        switch self {
        case .daily:
            break
        case .weekdays(let days):
            guard !days.isEmpty else { throw HabitError(.invalidArgument, "schedule needs at least one weekday") }
        case .timesPerWeek(let n):
            guard (1...7).contains(n) else { throw HabitError(.invalidArgument, "times per week must be 1 to 7") }
        case .everyNDays(let n, _):
            guard (1...365).contains(n) else { throw HabitError(.invalidArgument, "every N days needs N in 1...365") }
        }
        return self
    }

    /// Whether the schedule counts in calendar weeks rather than single days.
    public var isWeekly: Bool {
        if case .timesPerWeek = self { return true }
        return false
    }

    /// Whether a day-based schedule makes `day` a due day (always false for weekly schedules, which have
    /// no single due day).
    public func isDue(on day: LocalDay) -> Bool {
        switch self {
        case .daily: true
        case .weekdays(let days): days.contains(day.weekday)
        case .timesPerWeek: false
        case .everyNDays(let n, let start): day >= start && start.days(until: day).modulo(n) == 0
        }
    }
}

/// A schedule and the first day it applies to; a habit keeps every change so past days keep the schedule
/// they had.
public struct ScheduleChange: Hashable, Sendable, Codable {
    /// The first local day this schedule governs.
    public var effectiveFrom: LocalDay
    /// The schedule in force from `effectiveFrom` until the next change.
    public var schedule: Schedule

    /// Pairs a schedule with the day it starts.
    public init(effectiveFrom: LocalDay, schedule: Schedule) {
        self.effectiveFrom = effectiveFrom
        self.schedule = schedule
    }
}

/// A habit's schedule over time: never empty, sorted by `effectiveFrom`, one entry per day at most.
public struct ScheduleHistory: Hashable, Sendable, Codable {
    /// The changes, oldest first.
    public private(set) var changes: [ScheduleChange]

    /// A history starting with one schedule.
    public init(_ schedule: Schedule, from day: LocalDay) {
        changes = [ScheduleChange(effectiveFrom: day, schedule: schedule)]
    }

    /// Rebuilds a stored history; refuses an empty or unsorted list.
    public init(changes: [ScheduleChange]) throws(HabitError) {
        guard !changes.isEmpty,
            zip(changes, changes.dropFirst()).allSatisfy({ $0.effectiveFrom < $1.effectiveFrom })
        else { throw HabitError(.internalError, "schedule history must be non-empty and strictly increasing") }
        self.changes = changes
    }

    /// Decodes a stored history and re-checks its invariant, so corrupt rows fail as `.internalError` instead of
    /// breaking the calculator.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(changes: container.decode([ScheduleChange].self, forKey: .changes))
    }

    /// The schedule in force now (the newest change).
    public var current: Schedule { changes[changes.count - 1].schedule }

    /// The schedule that governs `day` (days before the first change use the first schedule).
    public func schedule(on day: LocalDay) -> Schedule {
        changes.last(where: { $0.effectiveFrom <= day })?.schedule ?? changes[0].schedule
    }

    /// Applies a new schedule from `day` on; days before keep theirs. Changes already dated on or after
    /// `day` are replaced.
    public mutating func change(to schedule: Schedule, from day: LocalDay) {
        changes.removeAll { $0.effectiveFrom >= day }
        if changes.isEmpty || changes[changes.count - 1].schedule != schedule {
            changes.append(ScheduleChange(effectiveFrom: day, schedule: schedule))
        }
    }
}
