public import Foundation

/// What a user chooses: name, time zone, when their day starts.
public struct UserSettings: Hashable, Sendable, Codable {
    /// 1 to 64 characters, shown on the character.
    public var displayName: String
    /// An IANA zone name such as `America/Los_Angeles` (never a fixed offset: offsets break at DST).
    public var timeZoneID: String
    /// Minutes after local midnight when a new day starts, 0..<1440 (240 = 04:00).
    public var dayStartMinutes: Int

    /// Assembles settings; `CharacterService.updateSettings` validates them.
    public init(displayName: String, timeZoneID: String, dayStartMinutes: Int) {
        self.displayName = displayName
        self.timeZoneID = timeZoneID
        self.dayStartMinutes = dayStartMinutes
    }
}

/// The game state cached on the user row; XP and coins always equal the sums of the ledger.
public struct CharacterState: Hashable, Sendable, Codable {
    /// Sum of ledger XP; level and progress derive from it.
    public var xp: Int64
    /// Sum of ledger coins, in hundredths; may be negative after undoing a spent reward.
    public var centiCoins: Int64
    /// Current HP in tenths, 0...max.
    public var hpTenths: Int64
    /// The highest level ever reached; reaching a higher one heals (once per level).
    public var highestLevel: Int
    /// How many times the character died.
    public var deaths: Int

    /// Assembles a state.
    public init(xp: Int64, centiCoins: Int64, hpTenths: Int64, highestLevel: Int, deaths: Int) {
        self.xp = xp
        self.centiCoins = centiCoins
        self.hpTenths = hpTenths
        self.highestLevel = highestLevel
        self.deaths = deaths
    }
}

/// One user's row: settings, character, counters and the rollover watermark.
public struct UserRecord: Hashable, Sendable, Codable {
    /// Owner.
    public var id: UserID
    /// Name, zone, day start.
    public var settings: UserSettings
    /// XP, coins, HP.
    public var character: CharacterState
    /// The next ordinal for a habit or reward (a per-user creation counter).
    public var nextOrdinal: Int64
    /// The last local day whose rollover has run; only `UserTransaction.advanceRollover` changes it.
    public var lastClosedDay: LocalDay
    /// The instant the first still-open day ends (when a background worker should roll this user over);
    /// only `UserTransaction.advanceRollover` changes it.
    public var nextRolloverAt: Date
    /// When the user was first seen.
    public var createdAt: Date

    /// Assembles a record.
    public init(
        id: UserID, settings: UserSettings, character: CharacterState, nextOrdinal: Int64, lastClosedDay: LocalDay,
        nextRolloverAt: Date, createdAt: Date
    ) {
        self.id = id
        self.settings = settings
        self.character = character
        self.nextOrdinal = nextOrdinal
        self.lastClosedDay = lastClosedDay
        self.nextRolloverAt = nextRolloverAt
        self.createdAt = createdAt
    }
}

/// Streaks of a habit as of a day: `best >= current` always.
public struct StreakSummary: Hashable, Sendable, Codable {
    /// The run still alive today (in days, or weeks for weekly schedules).
    public var current: Int
    /// The longest run anywhere in the log.
    public var best: Int
    /// Whether the counts are weeks (a `timesPerWeek` schedule now) rather than days.
    public var isInWeeks: Bool

    /// Assembles a summary.
    public init(current: Int, best: Int, isInWeeks: Bool = false) {
        self.current = current
        self.best = best
        self.isInWeeks = isInWeeks
    }
}

/// The result of completing (or skipping) a habit's day, replayed verbatim for a retried idempotency key.
public struct CompletionOutcome: Hashable, Sendable, Codable {
    /// What was recorded.
    public var entry: DayEntry
    /// What it earned (zero for a skip).
    public var award: Award
    /// The habit's streaks right after.
    public var streak: StreakSummary

    /// Assembles an outcome.
    public init(entry: DayEntry, award: Award, streak: StreakSummary) {
        self.entry = entry
        self.award = award
        self.streak = streak
    }
}

/// The result of redeeming a reward, replayed verbatim for a retried idempotency key.
public struct RedemptionOutcome: Hashable, Sendable, Codable {
    /// The reward bought.
    public var rewardID: RewardID
    /// The coins spent, in hundredths.
    public var priceCentiCoins: Int64
    /// The ledger row written.
    public var ledgerSequence: Int64

    /// Assembles an outcome.
    public init(rewardID: RewardID, priceCentiCoins: Int64, ledgerSequence: Int64) {
        self.rewardID = rewardID
        self.priceCentiCoins = priceCentiCoins
        self.ledgerSequence = ledgerSequence
    }
}

/// A stored idempotency key: the request it answered and the original result.
public struct IdempotencyRecord: Hashable, Sendable, Codable {
    /// The result kinds a key can replay.
    public enum Outcome: Hashable, Sendable, Codable {
        /// A completion or skip.
        case completion(CompletionOutcome)
        /// A reward redemption.
        case redemption(RedemptionOutcome)
    }

    /// The client's key, 1 to 128 bytes, unique per user.
    public var key: String
    /// Identifies the request (operation and arguments); the same key with another request is refused.
    public var requestFingerprint: String
    /// The original result.
    public var outcome: Outcome
    /// When it was stored.
    public var recordedAt: Date

    /// Assembles a record.
    public init(key: String, requestFingerprint: String, outcome: Outcome, recordedAt: Date) {
        self.key = key
        self.requestFingerprint = requestFingerprint
        self.outcome = outcome
        self.recordedAt = recordedAt
    }
}
