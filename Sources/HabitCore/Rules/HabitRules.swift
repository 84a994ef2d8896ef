/// The tunable constants of the game, with documented defaults (docs/RULES.md).
public struct HabitRules: Sendable, Hashable {
    /// How many days back a completion, skip or undo may be dated (default 7).
    public var backdateWindowDays: Int = 7
    /// XP for an easy completion (scaled by difficulty: trivial 1, easy 10, medium 15, hard 20).
    public var baseXP: Int64 = 10
    /// Centi-coins for an easy completion before the streak bonus (default 100 = one coin).
    public var baseCentiCoins: Int64 = 100
    /// The streak bonus is +1 % per day of streak before the completion, at most this many percent.
    public var streakBonusCapPercent: Int = 100
    /// Maximum HP in tenths (default 500 = 50 HP).
    public var maxHPTenths: Int64 = 500
    /// HP in tenths an easy habit missed at rollover costs (scaled by difficulty: trivial 2, hard 40).
    public var missedDamageTenths: Int64 = 20
    /// How many habits a user may have, archived included.
    public var maxHabitsPerUser: Int = 500
    /// Settings of a user seen for the first time.
    public var defaultSettings = UserSettings(displayName: "Adventurer", timeZoneID: "UTC", dayStartMinutes: 0)

    /// The defaults.
    public init() {}

    /// XP and coins for completing a habit of `difficulty` when its streak before this completion was
    /// `streakBefore`: `baseXP·d/1000` and `floor(baseCentiCoins·d·(100 + min(streak, cap))/100 000)`.
    public func completionAward(difficulty: Difficulty, streakBefore: Int) -> Award {
        let bonus = Int64(100 + min(max(0, streakBefore), streakBonusCapPercent))
        return Award(
            xp: baseXP * difficulty.permille / 1000,
            centiCoins: baseCentiCoins * difficulty.permille * bonus / 100_000
        )
    }

    /// HP in tenths lost for missing a habit of `difficulty` at rollover.
    public func missedDamage(difficulty: Difficulty) -> Int64 {
        missedDamageTenths * difficulty.permille / 1000
    }
}

/// Habitica's level curve: XP needed to leave each level, and the level a total XP reaches.
public enum LevelCurve {
    /// XP needed to go from `level` to `level + 1`: 25·L below 5, 150 at 5, then
    /// `round((0.25·L² + 10·L + 139.75) / 10) · 10`, computed in integers.
    public static func toNextLevel(_ level: Int) -> Int64 {
        let l = Int64(max(1, level))
        if l < 5 { return 25 * l }
        if l == 5 { return 150 }
        // (0.25 L² + 10 L + 139.75) / 10 = (L² + 40 L + 559) / 40; round half up to the nearest ten.
        return ((l * l + 40 * l + 559) + 20) / 40 * 10
    }

    /// Total XP at which `level` begins (0 for level 1).
    public static func xpAtStart(of level: Int) -> Int64 {
        var total: Int64 = 0
        var current = 1
        while current < level {
            total += toNextLevel(current)
            current += 1
        }
        return total
    }

    /// The level reached with `xp` in total, XP into it and XP still needed for the next (negative XP counts
    /// as 0: level 1).
    public static func progress(xp: Int64) -> (level: Int, intoLevel: Int64, toNext: Int64) {
        var level = 1
        var remaining = max(0, xp)
        while remaining >= toNextLevel(level) {
            remaining -= toNextLevel(level)
            level += 1
        }
        return (level, remaining, toNextLevel(level) - remaining)
    }
}
