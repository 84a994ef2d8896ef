import HabitCore

/// Bounds a store call in time, so an unreachable database costs a caller its deadline and not the pool's
/// minute-long connection retries.
public enum StoreDeadline {
    /// Runs `operation`, cancelling it and throwing `.unavailable` if it has not finished after `timeout`.
    ///
    /// The operation runs in a child task while the caller waits on the group, so it is never used by two
    /// tasks at once even though `HabitStore`'s body closures are not `Sendable`.
    public static func run<T: Sendable>(
        _ timeout: Duration,
        _ operation: () async throws -> T
    ) async throws -> T {
        try await withoutActuallyEscaping(operation) { escapable in
            let box = UncheckedOperation(operation: escapable)
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await box.operation() }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let value = next { return value }
                    throw HabitError(.unavailable, "store call did not finish within \(timeout)")
                }
                throw HabitError(.unavailable, "store call ended without a result")
            }
        }
    }
}

/// Carries a non-`Sendable` closure into the one child task that runs it while its creator waits.
private struct UncheckedOperation<T>: @unchecked Sendable {
    let operation: () async throws -> T
}
