/// Completions and skips: record, undo, list, import, streaks.
public struct CompletionService: Sendable {
    let environment: HabitEnvironment

    /// A service over `environment`.
    public init(environment: HabitEnvironment) { self.environment = environment }

    /// What undo removed and reversed.
    public struct UndoOutcome: Sendable, Hashable {
        /// The completion or skip removed.
        public var removed: DayEntry
        /// What was taken back (the negation of everything the completion's ledger rows gave, HP within
        /// 0...max); zero for a skip or an imported completion.
        public var reversed: Award
        /// Streaks right after.
        public var streak: StreakSummary
    }

    /// One day of imported history.
    public struct ImportedDay: Sendable, Hashable {
        /// The day (not in the future, at most 3660 days back, possibly before the habit was created).
        public var day: LocalDay
        /// Completed or skipped.
        public var kind: DayEntry.Kind
        /// Up to 500 characters.
        public var note: String

        /// Bundles the fields.
        public init(day: LocalDay, kind: DayEntry.Kind = .completed, note: String = "") {
            self.day = day
            self.kind = kind
            self.note = note
        }
    }

    /// What an import did.
    public struct ImportOutcome: Sendable, Hashable {
        /// Days written.
        public var imported: Int
        /// Days left alone because the habit already had an entry that day (or the batch named it twice).
        public var duplicates: Int
        /// Streaks right after.
        public var streak: StreakSummary
    }

    /// The most days one import may carry.
    public static let maxImportDays = 1000
    /// How far back an import may reach, in days (about ten years).
    public static let maxImportAgeDays = 3660
    /// The widest range `list` returns.
    public static let maxListDays = 366

    /// Completes `habit` on `day` (default today) and pays XP and coins; a retried `idempotencyKey` returns the
    /// original outcome and pays nothing; a second completion of the day is `.alreadyExists`.
    public func complete(
        _ user: UserID, _ habit: HabitID, day: LocalDay? = nil, note: String = "", idempotencyKey: String? = nil
    ) async throws(HabitError) -> CompletionOutcome {
        try await completeNotingReplay(user, habit, day: day, note: note, idempotencyKey: idempotencyKey).outcome
    }

    /// ``complete(_:_:day:note:idempotencyKey:)``, also saying whether the outcome was replayed from the
    /// idempotency record, as decided under the user's lock: clocks and call start times cannot tell, since a
    /// retry may start before the original commits, or on an instance whose clock is behind.
    public func completeNotingReplay(
        _ user: UserID, _ habit: HabitID, day: LocalDay? = nil, note: String = "", idempotencyKey: String? = nil
    ) async throws(HabitError) -> (outcome: CompletionOutcome, isReplayed: Bool) {
        try await record(.completed, user, habit, day: day, note: note, idempotencyKey: idempotencyKey)
    }

    /// Marks `day` (default today) as skipped: it neither counts nor breaks a streak, and pays nothing.
    public func skip(
        _ user: UserID, _ habit: HabitID, day: LocalDay? = nil, note: String = "", idempotencyKey: String? = nil
    ) async throws(HabitError) -> CompletionOutcome {
        try await record(.skipped, user, habit, day: day, note: note, idempotencyKey: idempotencyKey).outcome
    }

    private func record(
        _ kind: DayEntry.Kind, _ user: UserID, _ habitID: HabitID, day requestedDay: LocalDay?, note: String,
        idempotencyKey: String?
    ) async throws(HabitError) -> (outcome: CompletionOutcome, isReplayed: Bool) {
        let key = try Validation.idempotencyKey(idempotencyKey)
        let note = try Validation.text(note, field: "note", allowEmpty: true, allowsNewlines: true, maxLength: 500)
        let fingerprint = "\(kind.rawValue) \(habitID) \(requestedDay?.description ?? "today")"
        let rules = environment.rules
        return try await environment.withSession(user) { session in
            if let key, let stored = try await session.transaction.idempotencyRecord(key: key) {
                guard stored.requestFingerprint == fingerprint, case .completion(let outcome) = stored.outcome else {
                    throw HabitError(.invalidArgument, "idempotency key was already used for a different request")
                }
                return (outcome, true)
            }
            let (habit, history) = try await session.writableHabitWithEntries(habitID)
            var entries = history
            let day = requestedDay ?? session.today
            try session.checkWritable(day, of: habit)
            if let existing = entries.first(where: { $0.day == day }) {
                throw HabitError(.alreadyExists, "habit \(habitID) is already \(existing.kind.rawValue) on \(day)")
            }
            let entry = DayEntry(
                id: .random(), habitID: habitID, day: day, kind: kind, note: note, isImported: false,
                recordedAt: session.now)
            try await session.transaction.insertEntry(entry)
            let calculator = StreakCalculator(habit)
            var award = Award.zero
            if kind == .completed {
                var amount = rules.completionAward(
                    difficulty: habit.difficulty, streakBefore: calculator.streakBefore(day: day, entries: entries))
                // A day already charged at rollover is made whole: the completion refunds that day's net HP loss.
                // Weekly habits are charged per week, which one late day need not repair: no refund for them.
                // Only a closed day can have been charged (the watermark never moves back), so a day after the
                // watermark, today as a rule, skips the ledger read.
                if !habit.schedules.schedule(on: day).isWeekly && day <= session.user.lastClosedDay {
                    let netHP = try await session.transaction.ledger(habit: habitID, day: day).reduce(0) {
                        $0 + $1.amount.hpTenths
                    }
                    amount.hpTenths = max(0, -netHP)
                }
                award = session.post(.completionAward, amount, habit: habitID, day: day, completion: entry.id)
            }
            entries.append(entry)
            let outcome = CompletionOutcome(
                entry: entry, award: award, streak: calculator.streaks(entries: entries, today: session.today))
            if let key {
                try await session.transaction.insertIdempotencyRecord(
                    IdempotencyRecord(
                        key: key, requestFingerprint: fingerprint, outcome: .completion(outcome),
                        recordedAt: session.now))
            }
            return (outcome, false)
        }
    }

    /// Removes the completion or skip on `day` (default today) and appends the exact reversal of what the
    /// completion's ledger rows gave. Coins may go negative if they were spent meanwhile (rule R5).
    public func undo(_ user: UserID, _ habitID: HabitID, day requestedDay: LocalDay? = nil) async throws(HabitError)
        -> UndoOutcome
    {
        try await environment.withSession(user) { session in
            let habit = try await session.writableHabit(habitID)
            let day = requestedDay ?? session.today
            try session.checkWritable(day, of: habit)
            guard let removed = try await session.transaction.deleteEntry(habit: habitID, day: day) else {
                throw HabitError(.notFound, "habit \(habitID) has no completion or skip on \(day)")
            }
            var reversed = Award.zero
            if removed.kind == .completed {
                let given = try await session.transaction.ledger(habit: habitID, day: day)
                    .filter { $0.completionID == removed.id }
                    .reduce(Award.zero) { $0 + $1.amount }
                if given != .zero {
                    reversed = session.post(
                        .completionReversal, given.negated, habit: habitID, day: day, completion: removed.id)
                }
            }
            let entries = try await session.transaction.entries(habit: habitID, from: nil, through: nil)
            return UndoOutcome(
                removed: removed, reversed: reversed,
                streak: StreakCalculator(habit).streaks(entries: entries, today: session.today))
        }
    }

    /// The habit's entries with `from <= day <= through` (at most 366 days), oldest first.
    public func list(_ user: UserID, _ habitID: HabitID, from: LocalDay, through: LocalDay) async throws(HabitError)
        -> [DayEntry]
    {
        guard from <= through, from.days(until: through) < Self.maxListDays else {
            throw HabitError(.invalidArgument, "range must be ordered and span at most \(Self.maxListDays) days")
        }
        return try await environment.withSession(user) { session in
            _ = try await session.habit(habitID)
            return try await session.transaction.entries(habit: habitID, from: from, through: through)
        }
    }

    /// Imports past days (up to 1000, none in the future, at most 3660 days back), leaving days that already have an entry
    /// alone. Imported completions pay nothing: rewards are for live check-ins.
    public func importHistory(_ user: UserID, _ habitID: HabitID, days: [ImportedDay]) async throws(HabitError)
        -> ImportOutcome
    {
        guard days.count <= Self.maxImportDays else {
            throw HabitError(.invalidArgument, "an import may carry at most \(Self.maxImportDays) days")
        }
        var notes: [String] = []
        for day in days {
            notes.append(
                try Validation.text(day.note, field: "note", allowEmpty: true, allowsNewlines: true, maxLength: 500))
        }
        let cleaned = notes
        return try await environment.withSession(user) { session in
            let (habit, history) = try await session.writableHabitWithEntries(habitID)
            var entries = history
            if let future = days.first(where: { $0.day > session.today }) {
                throw HabitError(.invalidArgument, "\(future.day) is in the future (today is \(session.today))")
            }
            if let ancient = days.first(where: { $0.day.days(until: session.today) > Self.maxImportAgeDays }) {
                throw HabitError(
                    .invalidArgument, "\(ancient.day) is more than \(Self.maxImportAgeDays) days back")
            }
            var taken = Set(entries.map(\.day))
            var imported = 0
            for (day, note) in zip(days, cleaned) where taken.insert(day.day).inserted {
                let entry = DayEntry(
                    id: .random(), habitID: habitID, day: day.day, kind: day.kind, note: note, isImported: true,
                    recordedAt: session.now)
                try await session.transaction.insertEntry(entry)
                entries.append(entry)
                imported += 1
            }
            return ImportOutcome(
                imported: imported, duplicates: days.count - imported,
                streak: StreakCalculator(habit).streaks(entries: entries, today: session.today))
        }
    }

    /// Current and best streak as of today, derived from the whole log.
    public func streak(_ user: UserID, _ habitID: HabitID) async throws(HabitError) -> StreakSummary {
        try await environment.withSession(user) { session in
            let (habit, entries) = try await session.habitWithEntries(habitID)
            return StreakCalculator(habit).streaks(entries: entries, today: session.today)
        }
    }
}

extension UserSession {
    /// The habit, refusing archived ones (they take no new entries).
    func writableHabit(_ id: HabitID) async throws -> Habit {
        try Self.writable(try await habit(id))
    }

    /// `writableHabit` with the habit's whole entry log, oldest first, read in one store step.
    func writableHabitWithEntries(_ id: HabitID) async throws -> (habit: Habit, entries: [DayEntry]) {
        let (habit, entries) = try await habitWithEntries(id)
        return (try Self.writable(habit), entries)
    }

    /// The habit with its whole entry log, oldest first, or `.notFound`, read in one store step.
    func habitWithEntries(_ id: HabitID) async throws -> (habit: Habit, entries: [DayEntry]) {
        guard let found = try await transaction.habitWithEntries(id) else { throw Self.habitNotFound(id) }
        return found
    }

    private static func writable(_ habit: Habit) throws -> Habit {
        guard !habit.isArchived else { throw HabitError(.failedPrecondition, "habit \(habit.id) is archived") }
        return habit
    }

    /// A day a user may write: not in the future, within the backdate window, not before the habit existed.
    func checkWritable(_ day: LocalDay, of habit: Habit) throws(HabitError) {
        guard day <= today else { throw HabitError(.invalidArgument, "\(day) is in the future (today is \(today))") }
        guard day.days(until: today) <= rules.backdateWindowDays else {
            throw HabitError(
                .invalidArgument, "\(day) is more than \(rules.backdateWindowDays) days back (today is \(today))")
        }
        guard day >= habit.createdDay else {
            throw HabitError(.invalidArgument, "\(day) is before the habit was created (\(habit.createdDay))")
        }
    }
}
