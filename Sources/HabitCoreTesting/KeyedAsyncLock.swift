import Synchronization

/// An async mutual-exclusion lock per key, handed to waiters in FIFO order; waiting does not block a thread.
final class KeyedAsyncLock<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var held: Set<Key> = []
        var waiters: [Key: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = Mutex(State())

    /// Runs `body` while holding the lock for `key`.
    func withLock<T>(_ key: Key, _ body: () async throws -> T) async throws -> T {
        await lock(key)
        defer { unlock(key) }
        return try await body()
    }

    private func lock(_ key: Key) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isAcquired = state.withLock { state in
                if state.held.contains(key) {
                    state.waiters[key, default: []].append(continuation)
                    return false
                }
                state.held.insert(key)
                return true
            }
            if isAcquired { continuation.resume() }
        }
    }

    private func unlock(_ key: Key) {
        // Ownership passes straight to the first waiter, so the key stays held and nobody can barge in.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if var queue = state.waiters[key], !queue.isEmpty {
                let first = queue.removeFirst()
                state.waiters[key] = queue.isEmpty ? nil : queue
                return first
            }
            state.held.remove(key)
            return nil
        }
        next?.resume()
    }
}
