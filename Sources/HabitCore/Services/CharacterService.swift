/// The character (settings, level, XP, coins, HP), the rewards shop and the ledger.
public struct CharacterService: Sendable {
    let environment: HabitEnvironment

    /// A service over `environment`.
    public init(environment: HabitEnvironment) { self.environment = environment }

    /// The character as a client shows it; everything derives from the stored row and the ledger sums.
    public struct CharacterView: Sendable, Hashable {
        /// Name, zone, day start.
        public var settings: UserSettings
        /// Level from total XP on Habitica's curve.
        public var level: Int
        /// Total XP (sum of the ledger); may be below 0 only after an undo that followed a death.
        public var totalXP: Int64
        /// XP earned inside the current level.
        public var xpIntoLevel: Int64
        /// XP the current level spans (Habitica's "to next level").
        public var xpForLevel: Int64
        /// Coins in hundredths (sum of the ledger); negative after undoing a completion whose coins were spent.
        public var centiCoins: Int64
        /// HP in tenths.
        public var hpTenths: Int64
        /// Maximum HP in tenths.
        public var maxHPTenths: Int64
        /// How many times the character died.
        public var deaths: Int
        /// The user's local day now.
        public var today: LocalDay
        /// The last day the rollover closed.
        public var lastClosedDay: LocalDay
    }

    /// How the user's active habits stand today (rule R3's `current` and `best` per habit, summarised).
    public struct StreakOverview: Sendable, Hashable {
        /// Active habits whose current streak is at least 1.
        public var habitsOnStreak: Int
        /// The longest current streak among active habits.
        public var longestCurrent: Int
        /// The longest streak any active habit ever had.
        public var longestEver: Int

        /// The overview of `habits` (each with its whole entry log) on `today`.
        init(_ habits: [(habit: Habit, entries: [DayEntry])], today: LocalDay) {
            self.init(habitsOnStreak: 0, longestCurrent: 0, longestEver: 0)
            for (habit, entries) in habits {
                let streak = StreakCalculator(habit).streaks(entries: entries, today: today)
                if streak.current >= 1 { habitsOnStreak += 1 }
                longestCurrent = max(longestCurrent, streak.current)
                longestEver = max(longestEver, streak.best)
            }
        }

        /// Assembles an overview.
        public init(habitsOnStreak: Int, longestCurrent: Int, longestEver: Int) {
            self.habitsOnStreak = habitsOnStreak
            self.longestCurrent = longestCurrent
            self.longestEver = longestEver
        }
    }

    /// The character with its streak overview, both as of one moment.
    public struct CharacterOverview: Sendable, Hashable {
        /// The character.
        public var character: CharacterView
        /// Its active habits' streaks.
        public var streaks: StreakOverview
    }

    /// What `updateSettings` changes; nil fields stay.
    public struct SettingsChanges: Sendable, Hashable {
        /// 1 to 64 characters.
        public var displayName: String?
        /// An IANA zone name.
        public var timeZoneID: String?
        /// Minutes after midnight, 0..<1440.
        public var dayStartMinutes: Int?

        /// Bundles the changes.
        public init(displayName: String? = nil, timeZoneID: String? = nil, dayStartMinutes: Int? = nil) {
            self.displayName = displayName
            self.timeZoneID = timeZoneID
            self.dayStartMinutes = dayStartMinutes
        }
    }

    /// The character, after any due rollover: one committed read for a known user with no day to close
    /// (`afterRollover`).
    public func get(_ user: UserID) async throws(HabitError) -> CharacterView {
        try await afterRollover(
            user,
            committed: { stored, today in CharacterView(stored, today: today, rules: environment.rules) },
            inSession: { session in session.characterView })
    }

    /// The character and its streak overview, after any due rollover: two committed reads for a known user with
    /// no day to close (`committedUser`, `committedActiveHabits`), whatever the number of habits.
    public func overview(_ user: UserID) async throws(HabitError) -> CharacterOverview {
        try await afterRollover(
            user,
            committed: { stored, today in
                CharacterOverview(
                    character: CharacterView(stored, today: today, rules: environment.rules),
                    streaks: StreakOverview(try await environment.store.committedActiveHabits(user), today: today))
            },
            inSession: { session in
                CharacterOverview(
                    character: session.characterView,
                    streaks: StreakOverview(try await session.transaction.activeHabitsWithEntries(), today: session.today))
            })
    }

    /// A read that needs no session when it can be helped: a known user with no day to close is read from
    /// committed rows (`HabitStore.committedUser` and what `committed` reads: no lock, no transaction, so reads
    /// never queue behind the user's writes); a first call or a due rollover runs `inSession` in a full
    /// session, which writes.
    private func afterRollover<T: Sendable>(
        _ user: UserID,
        committed: (UserRecord, LocalDay) async throws -> T,
        inSession: (inout UserSession) async throws -> T
    ) async throws(HabitError) -> T {
        let answer: T? = try await environment.mappingStoreErrors {
            guard let stored = try await environment.store.committedUser(user),
                let reckoner = try? DayReckoner(stored.settings)
            else { return nil }
            let today = reckoner.localDay(of: environment.sessionNow())
            return UserSession.isRolloverDue(stored, today: today) ? nil : try await committed(stored, today)
        }
        if let answer { return answer }
        return try await environment.withSession(user, inSession)
    }

    /// Changes name, zone or day start. Past entries keep their stored days; the watermark never moves back, so
    /// a zone change can never close a day twice (rule R7).
    public func updateSettings(_ user: UserID, _ changes: SettingsChanges) async throws(HabitError) -> CharacterView {
        let name = try changes.displayName.map { (value) throws(HabitError) in
            try Validation.text(value, field: "display name", maxLength: 64)
        }
        if changes.timeZoneID != nil || changes.dayStartMinutes != nil {
            _ = try DayReckoner(timeZoneID: changes.timeZoneID ?? "UTC", dayStartMinutes: changes.dayStartMinutes ?? 0)
        }
        return try await environment.withSession(user) { session in
            var settings = session.user.settings
            if let name { settings.displayName = name }
            if let zone = changes.timeZoneID { settings.timeZoneID = zone }
            if let start = changes.dayStartMinutes { settings.dayStartMinutes = start }
            try await session.changeSettings(settings)
            return session.characterView
        }
    }

    /// Adds a reward to the shop; the price is in centi-coins, 1 to 100 000 000.
    public func createReward(_ user: UserID, name: String, priceCentiCoins: Int64) async throws(HabitError) -> Reward {
        let name = try Validation.text(name, field: "reward name", maxLength: 100)
        guard (1...100_000_000).contains(priceCentiCoins) else {
            throw HabitError(.invalidArgument, "price must be 1 to 100000000 centi-coins")
        }
        return try await environment.withSession(user) { session in
            let reward = Reward(
                id: .random(), ordinal: session.takeOrdinal(), name: name, priceCentiCoins: priceCentiCoins,
                createdAt: session.now)
            try await session.transaction.insertReward(reward)
            return reward
        }
    }

    /// The shop, in creation order, a page at a time.
    public func listRewards(_ user: UserID, pageSize: Int = 0, pageToken: String = "") async throws(HabitError)
        -> Page<Reward>
    {
        let limit = try Validation.pageSize(pageSize)
        let after = try Validation.pageToken(pageToken)
        return try await environment.withSession(user) { session in
            let fetched = try await session.transaction.rewards(afterOrdinal: after, limit: limit + 1)
            return Page(fetched: fetched, limit: limit, position: \.ordinal)
        }
    }

    /// Spends the reward's price; `.failedPrecondition` when the coins do not cover it. A retried
    /// `idempotencyKey` returns the original outcome and spends nothing.
    public func redeem(_ user: UserID, _ rewardID: RewardID, idempotencyKey: String? = nil) async throws(HabitError)
        -> RedemptionOutcome
    {
        let key = try Validation.idempotencyKey(idempotencyKey)
        let fingerprint = "redeem \(rewardID)"
        return try await environment.withSession(user) { session in
            if let key, let stored = try await session.transaction.idempotencyRecord(key: key) {
                guard stored.requestFingerprint == fingerprint, case .redemption(let outcome) = stored.outcome else {
                    throw HabitError(.invalidArgument, "idempotency key was already used for a different request")
                }
                return outcome
            }
            guard let reward = try await session.transaction.reward(rewardID) else {
                throw HabitError(.notFound, "reward \(rewardID) not found")
            }
            let balance = session.user.character.centiCoins
            guard balance >= reward.priceCentiCoins else {
                throw HabitError(
                    .failedPrecondition,
                    "not enough coins: have \(balance) centi-coins, need \(reward.priceCentiCoins)")
            }
            session.post(.redemption, Award(centiCoins: -reward.priceCentiCoins), reward: rewardID)
            let written = try await session.flush()
            let outcome = RedemptionOutcome(
                rewardID: rewardID, priceCentiCoins: reward.priceCentiCoins, ledgerSequence: written.last?.sequence ?? 0
            )
            if let key {
                try await session.transaction.insertIdempotencyRecord(
                    IdempotencyRecord(
                        key: key, requestFingerprint: fingerprint, outcome: .redemption(outcome),
                        recordedAt: session.now))
            }
            return outcome
        }
    }

    /// The ledger, oldest first, a page at a time.
    public func ledger(_ user: UserID, pageSize: Int = 0, pageToken: String = "") async throws(HabitError)
        -> Page<LedgerEntry>
    {
        let limit = try Validation.pageSize(pageSize)
        let after = try Validation.pageToken(pageToken)
        return try await environment.withSession(user) { session in
            let fetched = try await session.transaction.ledger(afterSequence: after, limit: limit + 1)
            return Page(fetched: fetched, limit: limit, position: \.sequence)
        }
    }
}

extension CharacterService.CharacterView {
    /// The view of `user` on `today`.
    init(_ user: UserRecord, today: LocalDay, rules: HabitRules) {
        let character = user.character
        let progress = LevelCurve.progress(xp: character.xp)
        self.init(
            settings: user.settings, level: progress.level, totalXP: character.xp, xpIntoLevel: progress.intoLevel,
            xpForLevel: LevelCurve.toNextLevel(progress.level), centiCoins: character.centiCoins,
            hpTenths: character.hpTenths, maxHPTenths: rules.maxHPTenths, deaths: character.deaths, today: today,
            lastClosedDay: user.lastClosedDay)
    }
}

extension UserSession {
    var characterView: CharacterService.CharacterView {
        CharacterService.CharacterView(user, today: today, rules: rules)
    }
}
