public import Foundation

/// How hard a habit is; scales rewards and damage. Permille factors follow Habitica's priorities.
public enum Difficulty: String, CaseIterable, Hashable, Sendable, Codable {
    /// Factor 0.1: a tiny habit.
    case trivial
    /// Factor 1: the default.
    case easy
    /// Factor 1.5.
    case medium
    /// Factor 2.
    case hard

    /// The factor in permille: trivial 100, easy 1000, medium 1500, hard 2000.
    public var permille: Int64 {
        switch self {
        case .trivial: 100
        case .easy: 1000
        case .medium: 1500
        case .hard: 2000
        }
    }
}

/// A habit a user tracks.
public struct Habit: Hashable, Sendable, Codable {
    /// Random id.
    public var id: HabitID
    /// The user's creation counter at creation; lists are ordered by it and page on it.
    public var ordinal: Int64
    /// 1 to 100 characters, trimmed.
    public var name: String
    /// Up to 2000 characters.
    public var notes: String
    /// Scales rewards and damage.
    public var difficulty: Difficulty
    /// Every schedule the habit had, effective-dated.
    public var schedules: ScheduleHistory
    /// The user's local day when the habit was created; no completion may be backdated before it.
    public var createdDay: LocalDay
    /// The instant of creation.
    public var createdAt: Date
    /// Archived habits keep their history but take no new completions and are never charged at rollover.
    public var isArchived: Bool

    /// Assembles a habit; use `HabitService.create` to make a validated new one.
    public init(
        id: HabitID, ordinal: Int64, name: String, notes: String, difficulty: Difficulty,
        schedules: ScheduleHistory, createdDay: LocalDay, createdAt: Date, isArchived: Bool
    ) {
        self.id = id
        self.ordinal = ordinal
        self.name = name
        self.notes = notes
        self.difficulty = difficulty
        self.schedules = schedules
        self.createdDay = createdDay
        self.createdAt = createdAt
        self.isArchived = isArchived
    }
}

/// What a user recorded for a habit on one local day: at most one per habit and day.
public struct DayEntry: Hashable, Sendable, Codable {
    /// Done counts toward streaks and rewards; skipped neither counts nor breaks.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// Done: counts toward streaks, pays a reward.
        case completed
        /// Deliberately skipped: neither counts nor breaks, pays nothing.
        case skipped
    }

    /// Random id.
    public var id: CompletionID
    /// The habit.
    public var habitID: HabitID
    /// The user's local day it is recorded for (never re-zoned later).
    public var day: LocalDay
    /// Completed or skipped.
    public var kind: Kind
    /// Up to 500 characters.
    public var note: String
    /// True when it came from an import (imports earn no rewards).
    public var isImported: Bool
    /// When the server recorded it.
    public var recordedAt: Date

    /// Assembles an entry.
    public init(
        id: CompletionID, habitID: HabitID, day: LocalDay, kind: Kind, note: String, isImported: Bool,
        recordedAt: Date
    ) {
        self.id = id
        self.habitID = habitID
        self.day = day
        self.kind = kind
        self.note = note
        self.isImported = isImported
        self.recordedAt = recordedAt
    }
}

/// A user-defined reward in the shop.
public struct Reward: Hashable, Sendable, Codable {
    /// Random id.
    public var id: RewardID
    /// The user's creation counter at creation; lists page on it.
    public var ordinal: Int64
    /// 1 to 100 characters.
    public var name: String
    /// Price in centi-coins (100 = one coin), 1 or more.
    public var priceCentiCoins: Int64
    /// The instant of creation.
    public var createdAt: Date

    /// Assembles a reward.
    public init(id: RewardID, ordinal: Int64, name: String, priceCentiCoins: Int64, createdAt: Date) {
        self.id = id
        self.ordinal = ordinal
        self.name = name
        self.priceCentiCoins = priceCentiCoins
        self.createdAt = createdAt
    }
}
