import Metrics
import Synchronization

/// The server's live connections: counts them against the limit, drains them all on shutdown, and
/// tells `run()` when the last one has closed.
final class ConnectionRegistry: Sendable {
    /// The metric names of connections.
    enum Label {
        /// Meter of open connections.
        static let open = "hrpc_server_connections_open"
        /// Counter of connections admitted.
        static let accepted = "hrpc_server_connections_accepted_total"
        /// Counter of connections refused (at the limit or while shutting down).
        static let refused = "hrpc_server_connections_refused_total"
    }

    private struct State {
        var nextID = 0
        var drains: [Int: @Sendable () -> Void] = [:]
        var open = 0
        var isShuttingDown = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    let maxConnections: Int
    private let openGauge: Meter
    private let accepted: Counter
    private let refused: Counter

    init(maxConnections: Int, metricsFactory: any MetricsFactory) {
        self.maxConnections = maxConnections
        openGauge = Meter(label: Label.open, factory: metricsFactory)
        accepted = Counter(label: Label.accepted, factory: metricsFactory)
        refused = Counter(label: Label.refused, factory: metricsFactory)
    }

    /// Admits a new connection, or returns nil when at the limit or shutting down.
    func admit() -> DrainRegistration? {
        let registration = state.withLock { state -> DrainRegistration? in
            guard state.open < maxConnections, !state.isShuttingDown else { return nil }
            state.open += 1
            state.nextID += 1
            return DrainRegistration(registry: self, id: state.nextID)
        }
        if registration == nil {
            refused.increment()
        } else {
            accepted.increment()
            openGauge.increment()
        }
        return registration
    }

    fileprivate func register(_ id: Int, _ drain: @escaping @Sendable () -> Void) {
        let drainNow = state.withLock { state in
            state.drains[id] = drain
            return state.isShuttingDown
        }
        if drainNow { drain() }
    }

    fileprivate func remove(_ id: Int) {
        let (wasOpen, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard state.drains.removeValue(forKey: id) != nil || state.open > 0 else { return (false, []) }
            state.open -= 1
            guard state.open == 0 else { return (true, []) }
            defer { state.idleWaiters.removeAll() }
            return (true, state.idleWaiters)
        }
        if wasOpen { openGauge.decrement() }
        for waiter in waiters { waiter.resume() }
    }

    /// Asks every connection to drain; new connections are refused from now on.
    func drainAll() {
        let drains = state.withLock { state in
            state.isShuttingDown = true
            return Array(state.drains.values)
        }
        for drain in drains { drain() }
    }

    /// Returns when no connection is open.
    func waitUntilAllClosed() async {
        await withCheckedContinuation { continuation in
            let isIdle = state.withLock { state in
                if state.open == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if isIdle { continuation.resume() }
        }
    }
}

/// One connection's entry in the registry.
final class DrainRegistration: Sendable {
    private let registry: ConnectionRegistry
    private let id: Int
    private let isRemoved = Atomic(false)

    fileprivate init(registry: ConnectionRegistry, id: Int) {
        self.registry = registry
        self.id = id
    }

    /// Sets what the registry calls to drain this connection.
    func register(_ drain: @escaping @Sendable () -> Void) {
        registry.register(id, drain)
    }

    /// The connection closed; idempotent.
    func unregister() {
        guard !isRemoved.exchange(true, ordering: .relaxed) else { return }
        registry.remove(id)
    }
}
