import MetricsTestKit
import RPCCore
import RPCServer
import Testing

/// ``ServerMetricsInterceptor`` on a test metrics factory: exact counts per method and status, the timer per
/// method, and the in-flight meter back at zero whatever way a call ends.
@Suite("server metrics interceptor")
struct ServerMetricsInterceptorTests {
    static let create = MethodDescriptor(service: "test.v1.Things", method: "Create", id: 1, kind: .unary)
    static let list = MethodDescriptor(service: "test.v1.Things", method: "List", id: 2, kind: .serverStreaming)
    static let stranger = MethodDescriptor(service: "test.v1.Other", method: "Probe", id: 3, kind: .unary)

    struct Handler: Error {}

    let metrics = TestMetrics()
    let interceptor: ServerMetricsInterceptor

    init() {
        interceptor = ServerMetricsInterceptor(methods: [Self.create, Self.list], factory: metrics)
    }

    func context(
        _ descriptor: MethodDescriptor, deadline: ContinuousClock.Instant? = nil, callID: UInt32 = 1
    ) -> ServerCallContext {
        ServerCallContext(descriptor: descriptor, metadata: [:], deadline: deadline, peer: "test", callID: callID)
    }

    /// Runs one call whose handler returns `outcome`'s value or throws its error.
    func call(_ descriptor: MethodDescriptor, _ outcome: Result<Int, any Error>, deadline: ContinuousClock.Instant? = nil) async {
        _ = try? await interceptor.intercept(context(descriptor, deadline: deadline)) { _ in try outcome.get() }
    }

    func calls(_ descriptor: MethodDescriptor, _ code: String) -> Int64 {
        metrics.counters(
            label: ServerMetricsInterceptor.Label.calls, dimensions: [("method", descriptor.fullName), ("code", code)]
        ).reduce(0) { $0 + $1.totalValue }
    }

    var inFlight: Double? {
        get throws { try metrics.expectMeter(ServerMetricsInterceptor.Label.callsInFlight).lastValue }
    }

    @Test("every call is counted once by method and status, and timed by method")
    func countsByMethodAndStatus() async throws {
        await call(Self.create, .success(1))
        await call(Self.create, .success(2))
        await call(Self.create, .failure(RPCError(code: .notFound, message: "no such thing")))
        await call(Self.list, .failure(RPCError(code: .unauthenticated, message: "who are you")))
        await call(Self.list, .failure(Handler()))

        #expect(calls(Self.create, "OK") == 2)
        #expect(calls(Self.create, "NOT_FOUND") == 1)
        #expect(calls(Self.list, "UNAUTHENTICATED") == 1)
        #expect(calls(Self.list, "INTERNAL") == 1, "an error that is not an RPCError is answered INTERNAL")
        #expect(metrics.counterTotal(label: ServerMetricsInterceptor.Label.calls) == 5)
        let created = try metrics.expectTimer(ServerMetricsInterceptor.Label.callDuration, [("method", Self.create.fullName)])
        let listed = try metrics.expectTimer(ServerMetricsInterceptor.Label.callDuration, [("method", Self.list.fullName)])
        #expect(created.values.count == 3 && listed.values.count == 2)
        #expect(created.values.allSatisfy { $0 >= 0 })
        #expect(try inFlight == 0)
    }

    @Test("a method the interceptor was not given is labelled unknown, never by its name")
    func unknownMethodsShareOneLabel() async throws {
        await call(Self.stranger, .success(1))
        await call(MethodDescriptor(service: "x", method: "y", id: 9, kind: .unary), .success(1))
        let unknown = metrics.counters(
            label: ServerMetricsInterceptor.Label.calls,
            dimensions: [("method", ServerMetricsInterceptor.unknownMethod), ("code", "OK")])
        #expect(unknown.reduce(0) { $0 + $1.totalValue } == 2)
        let labels = metrics.counters.flatMap(\.dimensions).filter { $0.0 == "method" }.map(\.1)
        #expect(Set(labels) == [ServerMetricsInterceptor.unknownMethod])
    }

    @Test("a cancelled call counts as CANCELLED and leaves the in-flight meter at zero")
    func cancelledCall() async throws {
        let (started, signal) = AsyncStream<Void>.makeStream()
        let interceptor = interceptor
        let task = Task {
            try await interceptor.intercept(context(Self.list)) { _ in
                signal.yield()
                // Only cancellation ends this call.
                try await Task.sleep(for: .seconds(3600))
            }
        }
        for await _ in started { break }
        #expect(try inFlight == 1, "the call is in flight until its handler returns")
        task.cancel()
        _ = await task.result
        #expect(calls(Self.list, "CANCELLED") == 1)
        #expect(try inFlight == 0)
    }

    @Test("a call cancelled after its deadline counts as DEADLINE_EXCEEDED, as the client is answered")
    func deadlineExceeded() async throws {
        let past = ContinuousClock.now - .seconds(1)
        await call(Self.create, .failure(CancellationError()), deadline: past)
        await call(Self.create, .failure(RPCError(code: .cancelled, message: "cancelled")), deadline: past)
        await call(Self.create, .failure(CancellationError()), deadline: ContinuousClock.now + .seconds(3600))
        #expect(calls(Self.create, "DEADLINE_EXCEEDED") == 2)
        #expect(calls(Self.create, "CANCELLED") == 1)
        #expect(try inFlight == 0)
    }

    @Test("concurrent calls are all in flight at once and all counted")
    func concurrentCalls() async throws {
        let count = 8
        let (started, signal) = AsyncStream<Void>.makeStream()
        let gate = Gate()
        let interceptor = interceptor
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    _ = try? await interceptor.intercept(context(Self.create, callID: UInt32(index))) { _ in
                        signal.yield()
                        await gate.wait()
                        if index.isMultiple(of: 2) { throw RPCError(code: .aborted, message: "lost a race") }
                        return index
                    }
                }
            }
            var seen = 0
            for await _ in started {
                seen += 1
                if seen == count { break }
            }
            #expect(try inFlight == Double(count))
            await gate.open()
            try await group.waitForAll()
        }
        #expect(calls(Self.create, "OK") == 4 && calls(Self.create, "ABORTED") == 4)
        #expect(try inFlight == 0)
    }
}

/// Holds every waiter until opened.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }
}
