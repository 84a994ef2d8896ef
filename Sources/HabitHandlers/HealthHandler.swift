public import HabitAPI
public import RPCCore
import Synchronization

/// The server's readiness as HealthService reports it: SERVING once the store is reachable and migrated,
/// NOT_SERVING before that and while draining. Watchers are told of every change.
public final class ServingStatusBoard: Sendable {
    private struct State {
        var status: ServingStatus = .notServing
        var reason = "starting"
        var watchers: [Int: AsyncStream<ServingStatus>.Continuation] = [:]
        var nextWatcher = 0
    }
    private let state = Mutex(State())

    /// A board that starts NOT_SERVING ("starting").
    public init() {}

    /// The current status and, when not serving, why.
    public var current: (status: ServingStatus, reason: String) {
        state.withLock { ($0.status, $0.reason) }
    }

    /// Sets the status; watchers see it only when it changed.
    public func set(_ status: ServingStatus, reason: String = "") {
        let watchers = state.withLock { state -> [AsyncStream<ServingStatus>.Continuation] in
            state.reason = reason
            guard state.status != status else { return [] }
            state.status = status
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.yield(status) }
    }

    /// The status now, then every change, until the consumer stops iterating.
    func updates() -> AsyncStream<ServingStatus> {
        let (stream, continuation) = AsyncStream.makeStream(of: ServingStatus.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextWatcher += 1
            state.watchers[state.nextWatcher] = continuation
            continuation.yield(state.status)
            return state.nextWatcher
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}

/// Serves habit.v1.HealthService from a ``ServingStatusBoard``; it needs no authentication.
public struct HealthHandler: HealthServiceHandler {
    /// The services a client may name; empty means the whole server.
    static let knownServices: Set<String> = [
        "", HabitService.serviceName, CompletionService.serviceName, CharacterService.serviceName,
        HealthService.serviceName,
    ]
    let board: ServingStatusBoard

    /// A handler reporting `board`.
    public init(board: ServingStatusBoard) { self.board = board }

    public func check(request: HealthCheckRequest, context: ServerCallContext) async throws -> HealthCheckResponse {
        guard Self.knownServices.contains(request.service) else {
            throw RPCError(code: .notFound, message: "unknown service \"\(request.service)\"")
        }
        var response = HealthCheckResponse()
        response.status = board.current.status
        return response
    }

    public func watch(
        request: HealthWatchRequest, responses: RPCWriter<HealthWatchResponse>, context: ServerCallContext
    ) async throws {
        var response = HealthWatchResponse()
        guard Self.knownServices.contains(request.service) else {
            response.status = .serviceUnknown
            try await responses.write(response)
            return
        }
        for await status in board.updates() {
            response.status = status
            try await responses.write(response)
        }
    }
}
