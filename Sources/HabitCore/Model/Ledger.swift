public import Foundation

/// XP, coins and HP moved by one event; integers only so every reversal is exact.
public struct Award: Hashable, Sendable, Codable {
    /// Experience points.
    public var xp: Int64
    /// Coins in hundredths.
    public var centiCoins: Int64
    /// Hit points in tenths.
    public var hpTenths: Int64

    /// Creates an award.
    public init(xp: Int64 = 0, centiCoins: Int64 = 0, hpTenths: Int64 = 0) {
        self.xp = xp
        self.centiCoins = centiCoins
        self.hpTenths = hpTenths
    }

    /// Moves nothing.
    public static let zero = Award()

    /// The exact opposite, used for reversals.
    public var negated: Award { Award(xp: -xp, centiCoins: -centiCoins, hpTenths: -hpTenths) }

    /// Component-wise sum.
    public static func + (lhs: Award, rhs: Award) -> Award {
        Award(xp: lhs.xp + rhs.xp, centiCoins: lhs.centiCoins + rhs.centiCoins, hpTenths: lhs.hpTenths + rhs.hpTenths)
    }
}

/// One append-only ledger row: every change to XP, coins or HP is one.
public struct LedgerEntry: Hashable, Sendable, Codable {
    /// Why the balance moved.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// A completion's reward (XP, coins; HP refund of that day's damage when backdated).
        case completionAward
        /// The exact negation of a completion's entries, written by undo.
        case completionReversal
        /// Coins spent on a reward.
        case redemption
        /// HP lost at rollover for a missed due habit.
        case missedDamage
        /// HP restored to the maximum on reaching a level for the first time.
        case levelUpHeal
        /// Death at 0 HP: one level and the coins lost, HP restored.
        case deathPenalty
    }

    /// Position in the user's ledger, assigned by the store, strictly increasing in append order.
    public var sequence: Int64
    /// Why.
    public var kind: Kind
    /// How much moved (the amount actually applied, after clamping HP).
    public var amount: Award
    /// The habit concerned, if any.
    public var habitID: HabitID?
    /// The local day concerned, if any (completion day, or the missed day).
    public var day: LocalDay?
    /// The completion concerned (award and reversal rows).
    public var completionID: CompletionID?
    /// The reward redeemed.
    public var rewardID: RewardID?
    /// When it was written.
    public var recordedAt: Date

    /// Assembles an entry; `sequence` is ignored on append and assigned by the store.
    public init(
        sequence: Int64 = 0, kind: Kind, amount: Award, habitID: HabitID? = nil, day: LocalDay? = nil,
        completionID: CompletionID? = nil, rewardID: RewardID? = nil, recordedAt: Date
    ) {
        self.sequence = sequence
        self.kind = kind
        self.amount = amount
        self.habitID = habitID
        self.day = day
        self.completionID = completionID
        self.rewardID = rewardID
        self.recordedAt = recordedAt
    }
}
