import HabitAPI
import HabitAuth
import LoadGenerator
import NIOCore
import RPCClient
import RPCCore

/// A method `habit-cli bench` can put in its mix, with the request it sends for a given habit.
enum BenchMethod: String, CaseIterable, Sendable {
    case getCharacter = "GetCharacter"
    case getHabit = "GetHabit"
    case listHabits = "ListHabits"
    case getStreak = "GetStreak"
    case completeHabit = "CompleteHabit"
    case undoCompletion = "UndoCompletion"
    case listCompletions = "ListCompletions"
    case listLedger = "ListLedger"
    case check = "Check"

    /// The method called.
    var descriptor: MethodDescriptor {
        switch self {
        case .getCharacter: CharacterService.Method.getCharacter
        case .getHabit: HabitService.Method.getHabit
        case .listHabits: HabitService.Method.listHabits
        case .getStreak: CompletionService.Method.getStreak
        case .completeHabit: CompletionService.Method.completeHabit
        case .undoCompletion: CompletionService.Method.undoCompletion
        case .listCompletions: CompletionService.Method.listCompletions
        case .listLedger: CharacterService.Method.listLedger
        case .check: HealthService.Method.check
        }
    }

    /// The encoded request for `habitID` (ignored by methods that are not about one habit). Requests carry no
    /// idempotency key and no date, so completions and undos act on the user's today.
    func request(habitID: String) -> ByteBuffer {
        switch self {
        case .getCharacter: return GetCharacterRequest().encodedBuffer()
        case .getHabit:
            var request = GetHabitRequest()
            request.habitId = habitID
            return request.encodedBuffer()
        case .listHabits:
            var request = ListHabitsRequest()
            request.pageSize = 100
            return request.encodedBuffer()
        case .getStreak:
            var request = GetStreakRequest()
            request.habitId = habitID
            return request.encodedBuffer()
        case .completeHabit:
            var request = CompleteHabitRequest()
            request.habitId = habitID
            return request.encodedBuffer()
        case .undoCompletion:
            var request = UndoCompletionRequest()
            request.habitId = habitID
            return request.encodedBuffer()
        case .listCompletions:
            var request = ListCompletionsRequest()
            request.batchSize = 100
            return request.encodedBuffer()
        case .listLedger:
            var request = ListLedgerRequest()
            request.batchSize = 100
            return request.encodedBuffer()
        case .check: return HealthCheckRequest().encodedBuffer()
        }
    }
}

/// One synthetic user: its token and the requests it sends, pre-encoded per mix entry and habit.
struct BenchUser: Sendable {
    /// The call options carrying the user's bearer token and the per-call deadline.
    let options: CallOptions
    /// `requests[entry][habit]`: the encoded request of mix entry `entry` for the user's habit `habit`.
    let requests: [[ByteBuffer]]
}

/// The synthetic users of a run, created before the load starts, and the function that makes one call.
struct BenchWorkload: Sendable {
    let methods: [BenchMethod]
    let users: [BenchUser]
    let connections: [ClientConnection]

    /// Creates `habitsPerUser` habits for every token's user (at most `parallelism` users at once) and
    /// pre-encodes their requests for `methods`.
    static func create(
        tokens: [String], habitsPerUser: Int, methods: [BenchMethod], connections: [ClientConnection],
        timeout: Duration, parallelism: Int = 32
    ) async throws -> BenchWorkload {
        let users = try await withThrowingTaskGroup(of: (Int, BenchUser).self) { group in
            var created = [BenchUser?](repeating: nil, count: tokens.count)
            var next = 0
            func startNext() {
                guard next < tokens.count else { return }
                let index = next
                let connection = connections[index % connections.count]
                let token = tokens[index]
                group.addTask {
                    (index, try await Self.createUser(
                        token: token, habits: habitsPerUser, methods: methods, connection: connection,
                        timeout: timeout))
                }
                next += 1
            }
            for _ in 0..<parallelism { startNext() }
            while let (index, user) = try await group.next() {
                created[index] = user
                startNext()
            }
            return created.compactMap { $0 }
        }
        return BenchWorkload(methods: methods, users: users, connections: connections)
    }

    private static func createUser(
        token: String, habits: Int, methods: [BenchMethod], connection: ClientConnection, timeout: Duration
    ) async throws -> BenchUser {
        let options = CallOptions(timeout: timeout, metadata: ["authorization": .text("Bearer \(token)")])
        let client = HabitServiceClient(transport: connection)
        var habitIDs: [String] = []
        for number in 1...habits {
            var request = CreateHabitRequest()
            request.name = "bench habit \(number)"
            request.difficulty = .easy
            var schedule = Schedule()
            schedule.kind = .everyDay(Schedule.EveryDay())
            request.schedule = schedule
            guard let id = try await client.createHabit(request, options: options).habit?.id, !id.isEmpty else {
                throw CLIFailure.other("CreateHabit answered without a habit id")
            }
            habitIDs.append(id)
        }
        let requests = methods.map { method in habitIDs.map { method.request(habitID: $0) } }
        return BenchUser(options: options, requests: requests)
    }

    /// Makes the call of `slot` for a user and habit drawn from its sequence number; returns the status name.
    func call(_ slot: CallSlot) async -> String {
        var generator = SplitMix64(seed: UInt64(slot.sequence))
        let user = users[Int(generator.next() % UInt64(users.count))]
        let habits = user.requests[slot.method]
        let request = habits[Int(generator.next() % UInt64(habits.count))]
        let connection = connections[slot.connection]
        let method = methods[slot.method]
        do {
            switch method.descriptor.kind {
            case .unary:
                _ = try await connection.unary(method.descriptor, request: request, options: user.options)
            default:
                try await connection.streaming(
                    method.descriptor, options: user.options,
                    requests: { writer in try await writer.write(request) },
                    responses: { responses in for try await _ in responses {} })
            }
            return RunTally.ok
        } catch let error as RPCError {
            return statusName(error.code)
        } catch {
            return Task.isCancelled ? "CANCELLED" : "CLIENT_ERROR"
        }
    }

    /// Why the run cannot go on: a connection the server closed or is draining.
    func lostConnection() -> String? {
        guard let index = connections.firstIndex(where: { !$0.acceptsCalls }) else { return nil }
        return "connection \(index) was closed or drained by the server"
    }
}
