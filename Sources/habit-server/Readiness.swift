import HabitAPI
import HabitHandlers
import HabitStoreSQL
import Logging
import ServiceLifecycle
import Synchronization

/// What readiness depends on; HealthService reports SERVING only when the RPC port listens, the store
/// answered its last probe with the full schema, and the server is not draining.
struct Readiness: Sendable, Equatable {
    /// The RPC listener is bound.
    var isListening = false
    /// Why the store is not usable, or nil after a successful probe.
    var storeProblem: String? = "store not checked yet"
    /// Graceful shutdown has begun.
    var isDraining = false

    /// The status HealthService and `/ready` report, with the reason when not serving.
    var verdict: (status: ServingStatus, reason: String) {
        if isDraining { return (.notServing, "draining") }
        if !isListening { return (.notServing, "starting") }
        if let storeProblem { return (.notServing, storeProblem) }
        return (.serving, "")
    }
}

/// Holds the ``Readiness`` inputs and publishes every change of verdict to the status board.
final class ReadinessTracker: Sendable {
    private let state = Mutex(Readiness())
    private let schemaVerified = Atomic<Bool>(false)
    /// The board HealthService and `/ready` read.
    let board: ServingStatusBoard

    init(board: ServingStatusBoard) { self.board = board }

    /// Whether a store probe has found every migration applied at least once; until then calls are refused
    /// (``StartupGateInterceptor``). Read on every call, hence an atomic rather than the lock.
    var isSchemaVerified: Bool { schemaVerified.load(ordering: .acquiring) }

    /// Applies `change` and publishes the resulting verdict (under the lock, so verdicts never go backwards).
    func update(_ change: (inout Readiness) -> Void) {
        state.withLock { readiness in
            change(&readiness)
            if readiness.storeProblem == nil { schemaVerified.store(true, ordering: .releasing) }
            let verdict = readiness.verdict
            board.set(verdict.status, reason: verdict.reason)
        }
    }
}

/// Probes the store on a timer (every `interval`, each probe bounded by the store's call deadline) and feeds
/// the result to readiness; first applies migrations when `migrate` is given (PostgreSQL), retrying on every
/// tick until they succeed, so a server started before its database comes up gets ready once it does.
struct StoreMonitor: Service {
    let store: any SchemaVersionedStore
    let migrate: (@Sendable () async throws -> [Int64])?
    let readiness: ReadinessTracker
    let interval: Duration
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            var migrated = migrate == nil
            var lastProblem: String?? = .none
            while !Task.isCancelled {
                if !migrated, let migrate {
                    do {
                        let applied = try await migrate()
                        logger.info("store migrations applied", metadata: ["store.migrations": "\(applied)"])
                        migrated = true
                    } catch {
                        logger.debug("store migrations failed; retrying", metadata: ["error": "\(error)"])
                    }
                }
                let problem = await probe()
                if lastProblem != .some(problem) {
                    if let problem {
                        logger.warning("not ready", metadata: ["reason": "\(problem)"])
                    } else {
                        logger.info("store reachable and migrated")
                    }
                    lastProblem = .some(problem)
                }
                readiness.update { $0.storeProblem = problem }
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
    }

    /// Nil when the store answers with every migration applied, else the reason for `/ready`.
    private func probe() async -> String? {
        do {
            let pending = try await store.pendingMigrations()
            return pending.isEmpty ? nil : "migrations not applied: \(pending.map(String.init).joined(separator: ", "))"
        } catch {
            return "store unavailable: \(error)"
        }
    }
}
