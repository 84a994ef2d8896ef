public import HabitAPI
import HabitCore
public import RPCCore

/// Serves habit.v1.HabitService on HabitCore's `HabitService`.
public struct HabitHandler: HabitServiceHandler {
    let application: HabitApplication

    /// A handler over `application`.
    public init(application: HabitApplication) { self.application = application }

    public func createHabit(request: CreateHabitRequest, context: ServerCallContext) async throws -> CreateHabitResponse {
        try refuseUnsupported(!request.labels.isEmpty, field: "labels")
        let new = HabitCore.HabitService.NewHabit(
            name: request.name, notes: request.notes, difficulty: try HabitCore.Difficulty(request.difficulty),
            schedule: try HabitCore.Schedule(request.schedule))
        return try await application.call(context) { user in
            var response = CreateHabitResponse()
            response.habit = HabitAPI.Habit(try await application.habits.create(user, new))
            return response
        }
    }

    public func getHabit(request: GetHabitRequest, context: ServerCallContext) async throws -> GetHabitResponse {
        let id = try HabitID(request: request.habitId)
        return try await application.call(context) { user in
            var response = GetHabitResponse()
            response.habit = HabitAPI.Habit(try await application.habits.get(user, id))
            response.streak = HabitAPI.Streak(try await application.completions.streak(user, id), habit: id)
            return response
        }
    }

    public func listHabits(request: ListHabitsRequest, context: ServerCallContext) async throws -> ListHabitsResponse {
        try await application.call(context) { user in
            let page = try await application.habits.list(
                user, pageSize: Int(request.pageSize), pageToken: request.pageToken,
                includeArchived: request.includeArchived)
            var response = ListHabitsResponse()
            response.habits = page.items.map { HabitAPI.Habit($0) }
            response.nextPageToken = page.nextPageToken ?? ""
            return response
        }
    }

    public func updateHabit(request: UpdateHabitRequest, context: ServerCallContext) async throws -> UpdateHabitResponse {
        let id = try HabitID(request: request.habitId)
        try refuseUnsupported(!request.labels.isEmpty, field: "labels")
        try refuseUnsupported(request.expectedRevision != nil, field: "expected_revision")
        try refuseUnsupported(request.scheduleEffectiveDate != nil, field: "schedule_effective_date")
        let changes = HabitCore.HabitService.HabitChanges(
            name: request.name, notes: request.notes,
            difficulty: try request.difficulty.map { (value) throws(RPCError) in try HabitCore.Difficulty(value) },
            schedule: try request.schedule.map { (value) throws(RPCError) in try HabitCore.Schedule(value) })
        return try await application.call(context) { user in
            var response = UpdateHabitResponse()
            response.habit = HabitAPI.Habit(try await application.habits.update(user, id, changes))
            return response
        }
    }

    public func archiveHabit(request: ArchiveHabitRequest, context: ServerCallContext) async throws -> ArchiveHabitResponse {
        let id = try HabitID(request: request.habitId)
        return try await application.call(context) { user in
            var response = ArchiveHabitResponse()
            response.habit = HabitAPI.Habit(try await application.habits.setArchived(user, id, request.archived))
            return response
        }
    }

    public func deleteHabit(request: DeleteHabitRequest, context: ServerCallContext) async throws -> DeleteHabitResponse {
        let id = try HabitID(request: request.habitId)
        return try await application.call(context) { user in
            try await application.habits.delete(user, id)
            return DeleteHabitResponse()
        }
    }
}
