/// Habits: create, read, list, edit, archive, delete.
public struct HabitService: Sendable {
    let environment: HabitEnvironment

    /// A service over `environment`.
    public init(environment: HabitEnvironment) { self.environment = environment }

    /// What `create` needs.
    public struct NewHabit: Sendable, Hashable {
        /// 1 to 100 characters after trimming.
        public var name: String
        /// Up to 2000 characters.
        public var notes: String
        /// Scales rewards and damage.
        public var difficulty: Difficulty
        /// When it is due.
        public var schedule: Schedule

        /// Bundles the fields.
        public init(name: String, notes: String = "", difficulty: Difficulty = .easy, schedule: Schedule = .daily) {
            self.name = name
            self.notes = notes
            self.difficulty = difficulty
            self.schedule = schedule
        }
    }

    /// What `update` changes; nil fields stay as they are.
    public struct HabitChanges: Sendable, Hashable {
        /// New name.
        public var name: String?
        /// New notes.
        public var notes: String?
        /// New difficulty; applies to completions from now on (earlier ledger rows are never rewritten).
        public var difficulty: Difficulty?
        /// New schedule, effective from today; past days keep their schedule.
        public var schedule: Schedule?

        /// Bundles the changes.
        public init(name: String? = nil, notes: String? = nil, difficulty: Difficulty? = nil, schedule: Schedule? = nil)
        {
            self.name = name
            self.notes = notes
            self.difficulty = difficulty
            self.schedule = schedule
        }
    }

    /// Creates a habit starting today.
    public func create(_ user: UserID, _ new: NewHabit) async throws(HabitError) -> Habit {
        let name = try Validation.text(new.name, field: "name", maxLength: 100)
        let notes = try Validation.text(
            new.notes, field: "notes", allowEmpty: true, allowsNewlines: true, maxLength: 2000)
        let schedule = try new.schedule.validated()
        let rules = environment.rules
        return try await environment.withSession(user) { session in
            guard try await session.transaction.habitCount() < rules.maxHabitsPerUser else {
                throw HabitError(.failedPrecondition, "a user may have at most \(rules.maxHabitsPerUser) habits")
            }
            let habit = Habit(
                id: .random(), ordinal: session.takeOrdinal(), name: name, notes: notes, difficulty: new.difficulty,
                schedules: ScheduleHistory(schedule, from: session.today), createdDay: session.today,
                createdAt: session.now, isArchived: false)
            try await session.transaction.insertHabit(habit)
            return habit
        }
    }

    /// The habit, or `.notFound` (also for another user's habit).
    public func get(_ user: UserID, _ id: HabitID) async throws(HabitError) -> Habit {
        try await environment.withSession(user) { session in try await session.habit(id) }
    }

    /// The user's habits in creation order, a page at a time (page size 0 = 50, at most 100).
    public func list(
        _ user: UserID, pageSize: Int = 0, pageToken: String = "", includeArchived: Bool = false
    ) async throws(HabitError) -> Page<Habit> {
        let limit = try Validation.pageSize(pageSize)
        let after = try Validation.pageToken(pageToken)
        return try await environment.withSession(user) { session in
            let fetched = try await session.transaction.habits(
                afterOrdinal: after, limit: limit + 1, includeArchived: includeArchived)
            return Page(fetched: fetched, limit: limit, position: \.ordinal)
        }
    }

    /// Applies `changes`; a new schedule takes effect today, so past days keep the schedule they had.
    public func update(_ user: UserID, _ id: HabitID, _ changes: HabitChanges) async throws(HabitError) -> Habit {
        let name = try changes.name.map { (value) throws(HabitError) in
            try Validation.text(value, field: "name", maxLength: 100)
        }
        let notes = try changes.notes.map { (value) throws(HabitError) in
            try Validation.text(value, field: "notes", allowEmpty: true, allowsNewlines: true, maxLength: 2000)
        }
        let schedule = try changes.schedule.map { (value) throws(HabitError) in try value.validated() }
        return try await environment.withSession(user) { session in
            var habit = try await session.habit(id)
            if let name { habit.name = name }
            if let notes { habit.notes = notes }
            if let difficulty = changes.difficulty { habit.difficulty = difficulty }
            if let schedule { habit.schedules.change(to: schedule, from: max(session.today, habit.createdDay)) }
            try await session.transaction.updateHabit(habit)
            return habit
        }
    }

    /// Archives (or restores) a habit: archived habits keep their history, take no new entries and are never
    /// charged at rollover.
    public func setArchived(_ user: UserID, _ id: HabitID, _ isArchived: Bool) async throws(HabitError) -> Habit {
        try await environment.withSession(user) { session in
            var habit = try await session.habit(id)
            habit.isArchived = isArchived
            try await session.transaction.updateHabit(habit)
            return habit
        }
    }

    /// Deletes a habit and its day entries. Its ledger rows stay (the ledger is append-only), so XP and coins
    /// already earned are kept.
    public func delete(_ user: UserID, _ id: HabitID) async throws(HabitError) {
        try await environment.withSession(user) { session in
            guard try await session.transaction.deleteHabit(id) else {
                throw HabitError(.notFound, "habit \(id) not found")
            }
        }
    }
}

extension UserSession {
    /// The user's habit or `.notFound`; another user's id is indistinguishable from an unknown one.
    func habit(_ id: HabitID) async throws -> Habit {
        guard let habit = try await transaction.habit(id) else { throw Self.habitNotFound(id) }
        return habit
    }

    /// The error for a habit id the user does not have.
    static func habitNotFound(_ id: HabitID) -> HabitError {
        HabitError(.notFound, "habit \(id) not found")
    }
}
