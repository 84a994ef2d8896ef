import Foundation
public import HabitAPI
import HabitCore
public import RPCCore

/// Serves habit.v1.CompletionService on HabitCore's `CompletionService`.
public struct CompletionHandler: CompletionServiceHandler {
    let application: HabitApplication

    /// A handler over `application`.
    public init(application: HabitApplication) { self.application = application }

    public func completeHabit(request: CompleteHabitRequest, context: ServerCallContext) async throws
        -> CompleteHabitResponse
    {
        try await application.call(context) { user in try await complete(request, user: user) }
    }

    public func undoCompletion(request: UndoCompletionRequest, context: ServerCallContext) async throws
        -> UndoCompletionResponse
    {
        try await application.call(context) { user in try await undo(request, user: user) }
    }

    public func skipDay(request: SkipDayRequest, context: ServerCallContext) async throws -> SkipDayResponse {
        try await application.call(context) { user in try await skip(request, user: user) }
    }

    public func getStreak(request: GetStreakRequest, context: ServerCallContext) async throws -> GetStreakResponse {
        let id = try HabitID(request: request.habitId)
        return try await application.call(context) { user in
            var response = GetStreakResponse()
            response.streak = HabitAPI.Streak(try await application.completions.streak(user, id), habit: id)
            return response
        }
    }

    public func listCompletions(
        request: ListCompletionsRequest, responses: RPCWriter<ListCompletionsResponse>, context: ServerCallContext
    ) async throws {
        let size = try batchSize(request.batchSize)
        var requested: [HabitID] = []
        for text in request.habitIds { requested.append(try HabitID(request: text, field: "habit_ids")) }
        let from = try LocalDay.parsing(request.fromDate, field: "from_date")
        let through = try LocalDay.parsing(request.toDate, field: "to_date")
        try await application.call(context) { user in
            let habitIDs = requested.isEmpty ? try await allHabitIDs(user) : requested
            let last: LocalDay
            if let through {
                last = through
            } else {
                last = try await application.characters.get(user).today
            }
            // An absent start means the 366 days ending at `to_date` (the longest range one domain read spans).
            var windowStart = from ?? last.adding(days: -(HabitCore.CompletionService.maxListDays - 1))
            guard windowStart <= last else { throw invalidArgument("from_date must not be after to_date") }
            var batch = ListCompletionsResponse()
            while windowStart <= last {
                let windowEnd = min(last, windowStart.adding(days: HabitCore.CompletionService.maxListDays - 1))
                var entries: [DayEntry] = []
                for habit in habitIDs {
                    entries += try await application.completions.list(user, habit, from: windowStart, through: windowEnd)
                }
                entries.sort { ($0.day, $0.habitID.description) < ($1.day, $1.habitID.description) }
                for entry in entries where request.includeSkips || entry.kind == .completed {
                    batch.completions.append(HabitAPI.Completion(entry, award: nil))
                    if batch.completions.count == size {
                        try await responses.write(batch)
                        batch.completions.removeAll(keepingCapacity: true)
                    }
                }
                windowStart = windowEnd.adding(days: 1)
            }
            if !batch.completions.isEmpty { try await responses.write(batch) }
        }
    }

    public func importCompletions(requests: RPCAsyncSequence<ImportCompletionsRequest>, context: ServerCallContext)
        async throws -> ImportCompletionsResponse
    {
        try await application.call(context) { user in
            var importer = CompletionImporter(
                application: application, user: user, today: try await application.characters.get(user).today)
            let charge = context.attributes[MessageQuota.self]
            for try await entry in requests {
                try await charge?(1)
                try await importer.add(entry)
            }
            try await importer.flush()
            return importer.response
        }
    }

    public func syncCompletions(
        requests: RPCAsyncSequence<SyncCompletionsRequest>, responses: RPCWriter<SyncCompletionsResponse>,
        context: ServerCallContext
    ) async throws {
        let user = try context.authenticatedUser()
        for try await request in requests {
            var response = SyncCompletionsResponse()
            response.clientSequence = request.clientSequence
            do {
                switch request.action {
                case .complete(let complete): response.result = .completed(try await self.complete(complete, user: user))
                case .undo(let undo): response.result = .undone(try await self.undo(undo, user: user))
                case .skip(let skip): response.result = .skipped(try await self.skip(skip, user: user))
                case nil: throw invalidArgument("action must be set")
                }
            } catch {
                let status = RPCErrorMapping.rpcError(error, context: context, logger: application.logger)
                if status.code == .cancelled || status.code == .unavailable { throw status }
                var failure = SyncError()
                failure.code = Int32(status.code.rawValue)
                failure.message = status.message
                response.result = .error(failure)
            }
            try await responses.write(response)
        }
    }

    // MARK: Shared by the unary methods and SyncCompletions

    private func complete(_ request: CompleteHabitRequest, user: UserID) async throws -> CompleteHabitResponse {
        let id = try HabitID(request: request.habitId)
        let day = try LocalDay.parsing(request.localDate, field: "local_date")
        try refuseUnsupported(!request.clientData.isEmpty, field: "client_data")
        let (outcome, isReplayed) = try await application.completions.completeNotingReplay(
            user, id, day: day, note: request.note ?? "", idempotencyKey: idempotencyKey(request.idempotencyKey))
        var response = CompleteHabitResponse()
        response.completion = HabitAPI.Completion(outcome.entry, award: outcome.award, key: request.idempotencyKey)
        response.award = HabitAPI.Award(outcome.award)
        response.streak = HabitAPI.Streak(outcome.streak, habit: id)
        response.character = CharacterSummary(try await application.characters.get(user))
        response.replayed = isReplayed
        return response
    }

    private func undo(_ request: UndoCompletionRequest, user: UserID) async throws -> UndoCompletionResponse {
        let id = try HabitID(request: request.habitId)
        let day = try LocalDay.parsing(request.localDate, field: "local_date")
        let outcome = try await application.completions.undo(user, id, day: day)
        var response = UndoCompletionResponse()
        response.reversal = HabitAPI.Award(outcome.reversed)
        response.streak = HabitAPI.Streak(outcome.streak, habit: id)
        response.character = CharacterSummary(try await application.characters.get(user))
        return response
    }

    private func skip(_ request: SkipDayRequest, user: UserID) async throws -> SkipDayResponse {
        let id = try HabitID(request: request.habitId)
        let day = try LocalDay.parsing(request.localDate, field: "local_date")
        let outcome = try await application.completions.skip(
            user, id, day: day, note: request.note ?? "", idempotencyKey: idempotencyKey(request.idempotencyKey))
        var response = SkipDayResponse()
        response.skip = HabitAPI.Completion(outcome.entry, award: nil, key: request.idempotencyKey)
        response.streak = HabitAPI.Streak(outcome.streak, habit: id)
        return response
    }

    private func allHabitIDs(_ user: UserID) async throws -> [HabitID] {
        var ids: [HabitID] = []
        var token = ""
        repeat {
            let page = try await application.habits.list(user, pageSize: 100, pageToken: token, includeArchived: true)
            ids += page.items.map(\.id)
            token = page.nextPageToken ?? ""
        } while !token.isEmpty
        return ids
    }
}

/// Collects a streamed import, rejecting bad entries one by one and writing the good ones per habit in
/// batches, so memory stays bounded however long the stream is.
struct CompletionImporter {
    /// Entries buffered before they are written.
    static let batchLimit = 500

    let application: HabitApplication
    let user: UserID
    let today: LocalDay
    private(set) var response = ImportCompletionsResponse()
    private var index: UInt64 = 0
    private var seenKeys: Set<String> = []
    private var pending: [(index: UInt64, habit: HabitID, day: HabitCore.CompletionService.ImportedDay)] = []

    init(application: HabitApplication, user: UserID, today: LocalDay) {
        self.application = application
        self.user = user
        self.today = today
    }

    /// Validates one streamed entry and queues it; writes when the buffer is full.
    mutating func add(_ entry: ImportCompletionsRequest) async throws {
        defer { index += 1 }
        guard let uuid = UUID(uuidString: entry.habitId) else {
            return reject(index, .unknownHabit, "habit_id must be the UUID of one of your habits")
        }
        guard let date = entry.localDate,
            let day = LocalDay(year: Int(date.year), month: Int(date.month), day: Int(date.day))
        else { return reject(index, .invalidDate, "local_date must be a valid calendar date") }
        guard day <= today else { return reject(index, .futureDate, "\(day) is after today (\(today))") }
        let kind: DayEntry.Kind
        switch entry.kind {
        case .unspecified, .done: kind = .completed
        case .skipped: kind = .skipped
        case .unrecognized: return reject(index, .invalidArgument, "kind is not a known completion kind")
        }
        guard entry.clientData.isEmpty else {
            return reject(index, .invalidArgument, "client_data is not supported by this server yet")
        }
        guard entry.note.count <= 500 else { return reject(index, .invalidArgument, "note must be at most 500 characters") }
        if !entry.idempotencyKey.isEmpty, !seenKeys.insert(entry.idempotencyKey).inserted {
            response.duplicates += 1
            return
        }
        pending.append((index, HabitID(uuid), HabitCore.CompletionService.ImportedDay(day: day, kind: kind, note: entry.note)))
        if pending.count >= Self.batchLimit { try await flush() }
    }

    /// Writes the buffered entries, one domain import per habit.
    mutating func flush() async throws {
        let byHabit = Dictionary(grouping: pending, by: \.habit)
        pending.removeAll(keepingCapacity: true)
        for (habit, entries) in byHabit.sorted(by: { $0.key.description < $1.key.description }) {
            do {
                let outcome = try await application.completions.importHistory(user, habit, days: entries.map(\.day))
                response.imported += Int64(outcome.imported)
                response.duplicates += Int64(outcome.duplicates)
            } catch {
                let reason: ImportCompletionsResponse.Rejection.Reason
                switch error.code {
                case .notFound: reason = .unknownHabit
                case .invalidArgument, .failedPrecondition: reason = .invalidArgument
                default: throw error
                }
                for entry in entries { reject(entry.index, reason, error.message) }
            }
        }
        response.rejected.sort { $0.index < $1.index }
    }

    private mutating func reject(_ index: UInt64, _ reason: ImportCompletionsResponse.Rejection.Reason, _ detail: String) {
        var rejection = ImportCompletionsResponse.Rejection()
        rejection.index = index
        rejection.reason = reason
        rejection.detail = detail
        response.rejected.append(rejection)
    }
}
