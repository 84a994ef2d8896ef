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

    /// The character, after any due rollover.
    ///
    /// A known user with no day to close is read from their committed row alone (`HabitStore.committedUser`:
    /// no lock, no transaction); a first call or a due rollover takes the full session, which writes.
    public func get(_ user: UserID) async throws(HabitError) -> CharacterView {
        let now = environment.sessionNow()
        let stored: UserRecord?
        do {
            stored = try await environment.store.committedUser(user)
        } catch let error as HabitError {
            throw error
        } catch {
            throw HabitError(.unavailable, "store failed: \(error)")
        }
        if let stored, let reckoner = try? DayReckoner(stored.settings) {
            let today = reckoner.localDay(of: now)
            if !UserSession.isRolloverDue(stored, today: today) {
                return CharacterView(stored, today: today, rules: environment.rules)
            }
        }
        return try await environment.withSession(user) { session in session.characterView }
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
