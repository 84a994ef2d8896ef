import Foundation
import HabitAPI
import HabitCore
import RPCCore

// Every conversion between habit.v1 messages and HabitCore values lives in this file, so a field's
// meaning is decided in one place. Inbound conversions throw `RPCError(.invalidArgument)` naming the field.

/// Builds the error a malformed request field gets.
func invalidArgument(_ message: String) -> RPCError {
    RPCError(code: .invalidArgument, message: message)
}

/// Refuses a field the domain does not store yet, rather than silently dropping what the client sent.
func refuseUnsupported(_ isSet: Bool, field: String) throws(RPCError) {
    if isSet { throw invalidArgument("\(field) is not supported by this server yet") }
}

// MARK: Inbound (request -> domain)

extension HabitID {
    /// Parses a request's habit id; a malformed id is an invalid argument naming `field`.
    init(request text: String, field: String = "habit_id") throws(RPCError) {
        guard let uuid = UUID(uuidString: text) else { throw invalidArgument("\(field) must be a UUID") }
        self.init(uuid)
    }
}

extension RewardID {
    /// Parses a request's reward id.
    init(request text: String) throws(RPCError) {
        guard let uuid = UUID(uuidString: text) else { throw invalidArgument("reward_id must be a UUID") }
        self.init(uuid)
    }
}

extension LocalDay {
    /// A calendar date from the wire; impossible dates (2026-02-30) are refused.
    init(_ date: LocalDate, field: String) throws(RPCError) {
        guard let day = LocalDay(year: Int(date.year), month: Int(date.month), day: Int(date.day)) else {
            throw invalidArgument("\(field) \(date.year)-\(date.month)-\(date.day) is not a valid calendar date")
        }
        self = day
    }

    /// The optional date of a request: absent means nil (the domain then uses today).
    static func parsing(_ date: LocalDate?, field: String) throws(RPCError) -> LocalDay? {
        guard let date else { return nil }
        return try LocalDay(date, field: field)
    }
}

/// An empty idempotency key means the call is not idempotent.
func idempotencyKey(_ key: String) -> String? {
    key.isEmpty ? nil : key
}

extension HabitCore.Difficulty {
    /// The domain difficulty; unspecified and unknown values are invalid.
    init(_ difficulty: HabitAPI.Difficulty) throws(RPCError) {
        switch difficulty {
        case .trivial: self = .trivial
        case .easy: self = .easy
        case .medium: self = .medium
        case .hard: self = .hard
        case .unspecified, .unrecognized: throw invalidArgument("difficulty must be set to a known value")
        }
    }
}

extension HabitCore.Schedule {
    /// The domain schedule; a missing kind or an unknown weekday is invalid.
    init(_ schedule: HabitAPI.Schedule?) throws(RPCError) {
        switch schedule?.kind {
        case nil:
            throw invalidArgument("schedule must be set")
        case .everyDay:
            self = .daily
        case .weekdays(let weekdays):
            var days: [HabitCore.Weekday] = []
            for day in weekdays.days {
                guard day.rawValue >= 1, let weekday = HabitCore.Weekday(rawValue: Int(day.rawValue)) else {
                    throw invalidArgument("schedule.weekdays.days must hold only Monday to Sunday")
                }
                days.append(weekday)
            }
            self = .weekdays(WeekdaySet(days))
        case .timesPerWeek(let times):
            self = .timesPerWeek(Int(times.times))
        case .everyNDays(let every):
            guard let start = every.startDate else { throw invalidArgument("schedule.every_n_days.start_date must be set") }
            self = .everyNDays(Int(every.interval), start: try LocalDay(start, field: "schedule.every_n_days.start_date"))
        }
    }
}

// MARK: Outbound (domain -> response)

extension LocalDate {
    /// The wire form of a local day.
    init(_ day: LocalDay) {
        self.init()
        let (year, month, dayOfMonth) = day.components
        self.year = Int32(year)
        self.month = Int32(month)
        self.day = Int32(dayOfMonth)
    }
}

extension Date {
    /// Milliseconds since the Unix epoch, as every `*_unix_millis` field carries them.
    var unixMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
}

extension HabitAPI.Difficulty {
    /// The wire difficulty.
    init(_ difficulty: HabitCore.Difficulty) {
        switch difficulty {
        case .trivial: self = .trivial
        case .easy: self = .easy
        case .medium: self = .medium
        case .hard: self = .hard
        }
    }
}

extension HabitAPI.Schedule {
    /// The wire schedule.
    init(_ schedule: HabitCore.Schedule) {
        self.init()
        switch schedule {
        case .daily:
            kind = .everyDay(EveryDay())
        case .weekdays(let set):
            var weekdays = Weekdays()
            weekdays.days = HabitCore.Weekday.allCases.filter(set.contains).map {
                HabitAPI.Weekday(rawValue: Int32($0.rawValue))
            }
            kind = .weekdays(weekdays)
        case .timesPerWeek(let times):
            var perWeek = TimesPerWeek()
            perWeek.times = Int32(times)
            kind = .timesPerWeek(perWeek)
        case .everyNDays(let interval, let start):
            var every = EveryNDays()
            every.interval = Int32(interval)
            every.startDate = LocalDate(start)
            kind = .everyNDays(every)
        }
    }
}

extension HabitAPI.Habit {
    /// The wire habit; the current schedule and the day it took effect.
    init(_ habit: HabitCore.Habit) {
        self.init()
        id = habit.id.description.lowercased()
        name = habit.name
        notes = habit.notes
        difficulty = HabitAPI.Difficulty(habit.difficulty)
        schedule = HabitAPI.Schedule(habit.schedules.current)
        scheduleEffectiveDate = habit.schedules.changes.last.map { LocalDate($0.effectiveFrom) }
        createdDate = LocalDate(habit.createdDay)
        archived = habit.isArchived
        createTimeUnixMillis = habit.createdAt.unixMillis
    }
}

extension HabitAPI.Streak {
    /// The wire streak of `habit`.
    init(_ summary: HabitCore.StreakSummary, habit: HabitID) {
        self.init()
        habitId = habit.description.lowercased()
        current = Int32(clamping: summary.current)
        best = Int32(clamping: summary.best)
        unit = summary.isInWeeks ? .weeks : .days
    }
}

extension HabitAPI.Award {
    /// The wire award (XP and coins; HP is reported on the character).
    init(_ award: HabitCore.Award) {
        self.init()
        xp = award.xp
        coinsCenti = award.centiCoins
    }
}

extension HabitAPI.Completion {
    /// The wire completion; `key` is the idempotency key of the call that created it, when known.
    init(_ entry: DayEntry, award: HabitCore.Award?, key: String = "") {
        self.init()
        id = entry.id.description.lowercased()
        habitId = entry.habitID.description.lowercased()
        localDate = LocalDate(entry.day)
        kind = entry.kind == .completed ? .done : .skipped
        note = entry.note
        idempotencyKey = key
        createTimeUnixMillis = entry.recordedAt.unixMillis
        self.award = award.map { HabitAPI.Award($0) }
    }
}

extension CharacterSummary {
    /// The character's headline numbers.
    init(_ view: HabitCore.CharacterService.CharacterView) {
        self.init()
        level = Int32(clamping: view.level)
        xpInLevel = view.xpIntoLevel
        xpToNextLevel = max(0, view.xpForLevel - view.xpIntoLevel)
        coinsCenti = view.centiCoins
        hpTenths = Int32(clamping: view.hpTenths)
        maxHpTenths = Int32(clamping: view.maxHPTenths)
    }
}

extension HabitAPI.StreakSummary {
    /// The active habits' streak overview.
    init(_ overview: HabitCore.CharacterService.StreakOverview) {
        self.init()
        habitsOnStreak = Int32(clamping: overview.habitsOnStreak)
        longestCurrent = Int32(clamping: overview.longestCurrent)
        longestEver = Int32(clamping: overview.longestEver)
    }
}

extension HabitAPI.Character {
    /// The full character with its active habits' streak overview.
    init(_ overview: HabitCore.CharacterService.CharacterOverview, now: Date) {
        self.init()
        let view = overview.character
        displayName = view.settings.displayName
        stats = CharacterSummary(view)
        lifetimeXp = view.totalXP
        streaks = HabitAPI.StreakSummary(overview.streaks)
        timeZone = view.settings.timeZoneID
        dayStartMinutes = Int32(clamping: view.settings.dayStartMinutes)
        utcOffsetMinutes = Int32((TimeZone(identifier: view.settings.timeZoneID)?.secondsFromGMT(for: now) ?? 0) / 60)
        lastClosedDate = LocalDate(view.lastClosedDay)
        deaths = UInt32(clamping: view.deaths)
    }
}

extension HabitAPI.Reward {
    /// The wire reward.
    init(_ reward: HabitCore.Reward) {
        self.init()
        id = reward.id.description.lowercased()
        name = reward.name
        priceCoinsCenti = reward.priceCentiCoins
        createTimeUnixMillis = reward.createdAt.unixMillis
    }
}

extension HabitAPI.LedgerEntry {
    /// The wire ledger row; `balance` is the coin balance after it.
    init(_ entry: HabitCore.LedgerEntry, balance: Int64) {
        self.init()
        sequence = UInt64(clamping: entry.sequence)
        kind =
            switch entry.kind {
            case .completionAward: .completionAward
            case .completionReversal: .completionReversal
            case .redemption: .rewardRedemption
            case .missedDamage: .missedDayDamage
            case .levelUpHeal: .levelUpHeal
            case .deathPenalty: .deathPenalty
            }
        xpDelta = entry.amount.xp
        coinsCentiDelta = entry.amount.centiCoins
        hpTenthsDelta = Int32(clamping: entry.amount.hpTenths)
        coinsCentiBalance = balance
        localDate = entry.day.map { LocalDate($0) }
        createTimeUnixMillis = entry.recordedAt.unixMillis
        if let completion = entry.completionID {
            source = .completionId(completion.description.lowercased())
        } else if let reward = entry.rewardID {
            source = .rewardId(reward.description.lowercased())
        } else if let habit = entry.habitID {
            source = .habitId(habit.description.lowercased())
        }
    }
}

/// The requested batch size of a streaming list: 0 means `defaultSize`, otherwise 1 to 1000.
func batchSize(_ requested: Int32, defaultSize: Int = 100) throws(RPCError) -> Int {
    guard requested >= 0, requested <= 1000 else { throw invalidArgument("batch_size must be 0 to 1000") }
    return requested == 0 ? defaultSize : Int(requested)
}
