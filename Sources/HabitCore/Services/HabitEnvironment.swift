import Foundation

/// What every application service needs: the store, the clock and the rules.
public struct HabitEnvironment: Sendable {
    /// Where data lives.
    public var store: any HabitStore
    /// Where "now" comes from.
    public var clock: any HabitClock
    /// The game's constants.
    public var rules: HabitRules

    /// Bundles the ports with the rules.
    public init(store: any HabitStore, clock: any HabitClock = SystemClock(), rules: HabitRules = HabitRules()) {
        self.store = store
        self.clock = clock
        self.rules = rules
    }

    /// The clock's now in whole milliseconds: every store keeps that precision, so replayed outcomes compare
    /// equal.
    func sessionNow() -> Date {
        Date(timeIntervalSince1970: (clock.now().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    /// Runs a use case in one user transaction: provisions a first-time user, rolls over closed days lazily
    /// (as Habitica's cron does on the first request of a day), runs `body`, then writes the character and
    /// the ledger rows the body posted. Store errors that are not `HabitError` become `.unavailable`.
    func withSession<T: Sendable>(
        _ user: UserID,
        _ body: (inout UserSession) async throws -> T
    ) async throws(HabitError) -> T {
        let now = sessionNow()
        let rules = rules
        return try await mappingStoreErrors {
            try await store.withUserTransaction(user) { transaction in
                var session = try await UserSession.open(transaction, now: now, rules: rules)
                let result = try await body(&session)
                _ = try await session.flush()
                return result
            }
        }
    }

    /// Runs `work` against the store, rethrowing `HabitError` as is and any other failure as `.unavailable`.
    func mappingStoreErrors<T>(_ work: () async throws -> T) async throws(HabitError) -> T {
        do {
            return try await work()
        } catch let error as HabitError {
            throw error
        } catch {
            throw HabitError(.unavailable, "store failed: \(error)")
        }
    }
}

/// One use case's view of a user inside a transaction: the record, the local calendar, pending ledger rows.
struct UserSession {
    let transaction: any UserTransaction
    let rules: HabitRules
    let now: Date
    private(set) var reckoner: DayReckoner
    private(set) var today: LocalDay
    private(set) var user: UserRecord
    private(set) var lastRollover: RolloverReport?
    private var pending: [LedgerEntry] = []
    private var isUserChanged = false

    /// Loads or provisions the user and rolls over any day that ended.
    static func open(_ transaction: any UserTransaction, now: Date, rules: HabitRules) async throws -> UserSession {
        let stored = try await transaction.loadUser()
        let settings = stored?.settings ?? rules.defaultSettings
        let reckoner: DayReckoner
        do {
            reckoner = try DayReckoner(settings)
        } catch {
            throw HabitError(.internalError, "stored settings are invalid: \(error.message)")
        }
        let today = reckoner.localDay(of: now)
        let user =
            stored
            ?? UserRecord(
                id: transaction.userID, settings: settings,
                character: CharacterState(
                    xp: 0, centiCoins: 0, hpTenths: rules.maxHPTenths, highestLevel: 1, deaths: 0),
                nextOrdinal: 1, lastClosedDay: today.adding(days: -1),
                nextRolloverAt: reckoner.start(of: today.adding(days: 1)), createdAt: now
            )
        if stored == nil { try await transaction.saveUser(user) }
        var session = UserSession(
            transaction: transaction, rules: rules, now: now, reckoner: reckoner, today: today, user: user)
        try await session.rollOverIfDue()
        return session
    }

    private init(
        transaction: any UserTransaction, rules: HabitRules, now: Date, reckoner: DayReckoner, today: LocalDay,
        user: UserRecord
    ) {
        self.transaction = transaction
        self.rules = rules
        self.now = now
        self.reckoner = reckoner
        self.today = today
        self.user = user
    }

    /// Hands out the next per-user ordinal for a habit or reward.
    mutating func takeOrdinal() -> Int64 {
        defer {
            user.nextOrdinal += 1
            isUserChanged = true
        }
        return user.nextOrdinal
    }

    /// Replaces the settings and re-derives today and the worker's next rollover instant.
    mutating func changeSettings(_ settings: UserSettings) async throws {
        reckoner = try DayReckoner(settings)
        today = reckoner.localDay(of: now)
        user.settings = settings
        isUserChanged = true
        let next = reckoner.start(of: user.lastClosedDay.adding(days: 2))
        guard
            try await transaction.advanceRollover(
                expected: user.lastClosedDay, to: user.lastClosedDay, nextRolloverAt: next)
        else { throw HabitError(.aborted, "the rollover watermark changed concurrently; retry") }
        user.nextRolloverAt = next
        // Travelling east can end the current day at once; close it now rather than on the next call.
        try await rollOverIfDue()
    }

    /// Applies `amount` to the character and queues its ledger row; HP is clamped to 0...max and the row holds
    /// what was applied. Reaching a new highest level heals to max; reaching 0 HP is death (rule R6).
    @discardableResult
    mutating func post(
        _ kind: LedgerEntry.Kind, _ amount: Award, habit: HabitID? = nil, day: LocalDay? = nil,
        completion: CompletionID? = nil, reward: RewardID? = nil
    ) -> Award {
        var character = user.character
        let hp = min(max(character.hpTenths + amount.hpTenths, 0), rules.maxHPTenths)
        let applied = Award(xp: amount.xp, centiCoins: amount.centiCoins, hpTenths: hp - character.hpTenths)
        character.xp += applied.xp
        character.centiCoins += applied.centiCoins
        character.hpTenths = hp
        pending.append(
            LedgerEntry(
                kind: kind, amount: applied, habitID: habit, day: day, completionID: completion, rewardID: reward,
                recordedAt: now))
        let level = LevelCurve.progress(xp: character.xp).level
        if level > character.highestLevel {
            character.highestLevel = level
            let heal = rules.maxHPTenths - character.hpTenths
            if heal > 0 {
                character.hpTenths += heal
                pending.append(LedgerEntry(kind: .levelUpHeal, amount: Award(hpTenths: heal), recordedAt: now))
            }
        }
        if character.hpTenths == 0 {
            // Death: back to the start of the previous level (not below 1), coins to 0, full HP.
            let target = LevelCurve.xpAtStart(of: max(1, level - 1))
            let penalty = Award(
                xp: min(0, target - character.xp), centiCoins: -max(0, character.centiCoins),
                hpTenths: rules.maxHPTenths)
            character.xp += penalty.xp
            character.centiCoins += penalty.centiCoins
            character.hpTenths = rules.maxHPTenths
            character.deaths += 1
            pending.append(LedgerEntry(kind: .deathPenalty, amount: penalty, recordedAt: now))
        }
        user.character = character
        isUserChanged = true
        return applied
    }

    /// Writes the user row if it changed and appends the queued ledger rows; returns them numbered.
    mutating func flush() async throws -> [LedgerEntry] {
        let appended: [LedgerEntry]
        if isUserChanged {
            appended = try await transaction.saveUser(user, appendingLedger: pending)
            isUserChanged = false
        } else {
            appended = pending.isEmpty ? [] : try await transaction.appendLedger(pending)
        }
        pending = []
        return appended
    }

    /// Whether a day after the watermark has ended, so the next session must close it.
    static func isRolloverDue(_ user: UserRecord, today: LocalDay) -> Bool {
        today > user.lastClosedDay.adding(days: 1)
    }

    /// Closes every ended day (rule R7): advances the watermark by compare-and-set, then charges each active
    /// habit missed on the most recent closed day (several missed days count as one, as Habitica's
    /// `multiDaysCountAsOneDay`).
    mutating func rollOverIfDue() async throws {
        let last = user.lastClosedDay
        guard Self.isRolloverDue(user, today: today) else { return }
        let closeThrough = today.adding(days: -1)
        let next = reckoner.start(of: today.adding(days: 1))
        guard try await transaction.advanceRollover(expected: last, to: closeThrough, nextRolloverAt: next) else {
            throw HabitError(.aborted, "another rollover closed these days concurrently; retry")
        }
        user.lastClosedDay = closeThrough
        user.nextRolloverAt = next
        let habits = try await transaction.habits(
            afterOrdinal: nil, limit: rules.maxHabitsPerUser, includeArchived: false)
        let entries = try await transaction.entries(habit: nil, from: closeThrough.startOfWeek, through: closeThrough)
        let entriesByHabit = Dictionary(grouping: entries, by: \.habitID)
        let deathsBefore = user.character.deaths
        var missed: [HabitID] = []
        var damage: Int64 = 0
        for habit in habits
        where StreakCalculator(habit).isMissed(closing: closeThrough, entries: entriesByHabit[habit.id] ?? []) {
            let applied = post(
                .missedDamage, Award(hpTenths: -rules.missedDamage(difficulty: habit.difficulty)), habit: habit.id,
                day: closeThrough)
            missed.append(habit.id)
            damage -= applied.hpTenths
        }
        lastRollover = RolloverReport(
            user: user.id, closedFrom: last.adding(days: 1), closedThrough: closeThrough, missedHabits: missed,
            damageTenths: damage, deaths: user.character.deaths - deathsBefore)
    }
}

/// What one rollover did.
public struct RolloverReport: Hashable, Sendable {
    /// Whose days were closed.
    public var user: UserID
    /// The first day closed.
    public var closedFrom: LocalDay
    /// The last day closed (the new watermark).
    public var closedThrough: LocalDay
    /// Habits charged for missing `closedThrough` (or its week).
    public var missedHabits: [HabitID]
    /// HP in tenths actually lost (after clamping at 0).
    public var damageTenths: Int64
    /// Deaths it caused.
    public var deaths: Int
}
