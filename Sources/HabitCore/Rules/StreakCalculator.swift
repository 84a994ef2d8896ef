/// Derives current and best streaks from a habit's day entries and schedule history (rule R4).
///
/// Walks every day from the habit's first day (its creation or its oldest entry, whichever is earlier) to
/// `today`, under the schedule in force on each day:
/// - day-based schedules: a completed day adds 1 (also on a non-due day); a due day before `today` with no
///   entry breaks the run; skipped days, non-due days and an unfinished `today` change nothing.
/// - `timesPerWeek(n)`: days are grouped by calendar week (Monday to Sunday, cut where the schedule changes);
///   a group needs `min(n, its days - its skipped days)` completions. A satisfied group adds 1 (a week), an
///   unsatisfied group that ended before `today` breaks the run, the group holding `today` is pending.
/// `best` is the longest run anywhere, so it goes down again when an undo splits a run.
public struct StreakCalculator: Sendable {
    /// The habit's schedules over time.
    public let schedules: ScheduleHistory
    /// The habit's creation day.
    public let createdDay: LocalDay

    /// A calculator for one habit.
    public init(schedules: ScheduleHistory, createdDay: LocalDay) {
        self.schedules = schedules
        self.createdDay = createdDay
    }

    /// A calculator for `habit`.
    public init(_ habit: Habit) {
        self.init(schedules: habit.schedules, createdDay: habit.createdDay)
    }

    /// Streaks as of `today`; entries after `today` are ignored.
    public func streaks(entries: [DayEntry], today: LocalDay) -> StreakSummary {
        var kinds: [LocalDay: DayEntry.Kind] = [:]
        for entry in entries where entry.day <= today { kinds[entry.day] = entry.kind }
        let start = min(createdDay, kinds.keys.min() ?? createdDay)
        var run = 0
        var best = 0
        var day = start
        while day <= today {
            let schedule = schedules.schedule(on: day)
            if case .timesPerWeek(let n) = schedule {
                let group = weekGroup(containing: day, walkStart: start)
                let last = min(group.end, today)
                var completed = 0
                var skipped = 0
                var cursor = group.start
                while cursor <= group.end {
                    switch kinds[cursor] {
                    case .completed?: if cursor <= last { completed += 1 }
                    case .skipped?: skipped += 1
                    case nil: break
                    }
                    cursor = cursor.adding(days: 1)
                }
                let required = min(n, group.start.days(until: group.end) + 1 - skipped)
                if required > 0 && completed >= required {
                    run += 1
                } else if required > 0 && group.end < today {
                    run = 0
                }
                day = last.adding(days: 1)
            } else {
                switch kinds[day] {
                case .completed?: run += 1
                case .skipped?: break
                case nil: if day < today && schedule.isDue(on: day) { run = 0 }
                }
                day = day.adding(days: 1)
            }
            best = max(best, run)
        }
        return StreakSummary(current: run, best: best, isInWeeks: schedules.schedule(on: today).isWeekly)
    }

    /// The streak a completion on `day` builds on: the run as of `day` without that day's entry. Rewards use it.
    public func streakBefore(day: LocalDay, entries: [DayEntry]) -> Int {
        streaks(entries: entries.filter { $0.day != day }, today: day).current
    }

    /// The days of `day`'s calendar week that share its schedule change, not before `walkStart`.
    func weekGroup(containing day: LocalDay, walkStart: LocalDay) -> (start: LocalDay, end: LocalDay) {
        // The first schedule also governs the days before it (imported history), so it starts no group.
        let laterChanges = schedules.changes.dropFirst()
        let changeStart = laterChanges.last(where: { $0.effectiveFrom <= day })?.effectiveFrom ?? walkStart
        let nextChange = laterChanges.first(where: { $0.effectiveFrom > day })?.effectiveFrom
        let start = max(day.startOfWeek, changeStart, walkStart)
        var end = day.startOfWeek.adding(days: 6)
        if let nextChange { end = min(end, nextChange.adding(days: -1)) }
        return (start, end)
    }

    /// Whether the habit counts as missed for `day` when that day closes: a due day with no entry, or the last
    /// day of an unsatisfied week group. `entries` must hold at least that week's entries.
    public func isMissed(closing day: LocalDay, entries: [DayEntry]) -> Bool {
        guard day > createdDay else { return false }  // never charged for the day it was created
        let schedule = schedules.schedule(on: day)
        guard case .timesPerWeek(let n) = schedule else {
            return schedule.isDue(on: day) && !entries.contains { $0.day == day }
        }
        let group = weekGroup(containing: day, walkStart: createdDay)
        guard group.end == day else { return false }
        let inGroup = entries.filter { group.start <= $0.day && $0.day <= group.end }
        let skipped = inGroup.count { $0.kind == .skipped }
        let required = min(n, group.start.days(until: group.end) + 1 - skipped)
        return required > 0 && inGroup.count { $0.kind == .completed } < required
    }
}
