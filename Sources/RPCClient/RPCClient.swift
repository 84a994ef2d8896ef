public import NIOCore
import NIOPosix
public import RPCCore
import Synchronization

/// A client over one or more servers: a pool of multiplexed connections, least-in-flight balancing,
/// reconnection with exponential backoff, and retries of calls that are safe to repeat.
///
/// A call is retried only when the server said it was not processed (NOT_PROCESSED: overload,
/// drain, unknown connection state before sending) or when the caller marked it idempotent and it
/// failed UNAVAILABLE. Retries stay inside the call's deadline.
public final class RPCClient: RPCClientTransport, Sendable {
    /// Where and how to connect.
    public struct Configuration: Sendable {
        /// The servers; calls spread over all of them.
        public var addresses: [SocketAddress]
        /// Connections kept to each address. Default 1.
        public var connectionsPerAddress: Int = 1
        /// What this side announces in SETTINGS (max frame size, initial call credit, ...). Its
        /// `keepaliveTimeMilliseconds` (default 30 s) is also how long a connection waits without
        /// receiving anything before it pings the server; 0 = never, and announced as such.
        public var settings = ConnectionSettings()
        /// Time to wait for anything after a keepalive PING before the connection is closed and its
        /// calls fail UNAVAILABLE. Default 10 s, the protocol's value; shorter only in tests.
        public var keepaliveTimeout: TimeAmount = .seconds(10)
        /// Time allowed for TCP connect plus the handshake. Default 5 s.
        public var connectTimeout: TimeAmount = .seconds(5)
        /// First reconnect delay after a failed connect; doubles up to ``maxBackoff``. Default 100 ms.
        public var initialBackoff: Duration = .milliseconds(100)
        /// Longest reconnect delay. Default 5 s.
        public var maxBackoff: Duration = .seconds(5)
        /// Attempts per call, the first included. Default 3.
        public var maxAttempts: Int = 3
        /// Event-loop threads; default NIO's singleton group.
        public var eventLoopGroup: (any EventLoopGroup)?

        /// A configuration for `addresses` with the defaults.
        public init(addresses: [SocketAddress]) {
            self.addresses = addresses
        }
    }

    private struct Slot {
        let address: SocketAddress
        var connection: ClientConnection?
        var connecting: Task<ClientConnection, any Error>?
        var failures = 0
        var retryAt: ContinuousClock.Instant = .now
    }

    public let configuration: Configuration
    private let slots: Mutex<[Slot]>

    public init(configuration: Configuration) {
        self.configuration = configuration
        var slots: [Slot] = []
        for _ in 0..<max(1, configuration.connectionsPerAddress) {
            for address in configuration.addresses { slots.append(Slot(address: address)) }
        }
        self.slots = Mutex(slots)
    }

    /// Closes every connection.
    public func close() async {
        let connections = slots.withLock { slots in
            defer { for index in slots.indices { slots[index].connection = nil } }
            return slots.compactMap(\.connection)
        }
        for connection in connections { await connection.close() }
    }

    public func unary(_ method: MethodDescriptor, request: ByteBuffer, options: CallOptions) async throws -> ByteBuffer {
        try await withRetries(options) { connection, options in
            try await connection.unary(method, request: request, options: options)
        }
    }

    public func streaming<Result: Sendable>(
        _ method: MethodDescriptor,
        options: CallOptions,
        requests: @escaping @Sendable (RPCWriter<ByteBuffer>) async throws -> Void,
        responses: @escaping @Sendable (RPCAsyncSequence<ByteBuffer>) async throws -> Result
    ) async throws -> Result {
        try await withRetries(options) { connection, options in
            try await connection.streaming(method, options: options, requests: requests, responses: responses)
        }
    }

    /// Runs `call` on a connection, again on another one while the failure says a retry is safe.
    private func withRetries<Result: Sendable>(
        _ options: CallOptions, _ call: (ClientConnection, CallOptions) async throws -> Result
    ) async throws -> Result {
        let deadline = options.timeout.map { ContinuousClock.now + $0 }
        var attempt = 1
        while true {
            var options = options
            if let deadline {
                let remaining = deadline - .now
                guard remaining > .zero else { throw RPCError(code: .deadlineExceeded, message: "deadline exceeded") }
                options.timeout = remaining
            }
            do {
                return try await call(try await connection(), options)
            } catch let error as RPCError {
                let isSafe = error.isNotProcessed || (options.isIdempotent && error.code == .unavailable)
                guard isSafe, attempt < configuration.maxAttempts, !Task.isCancelled else { throw error }
                attempt += 1
                try await Task.sleep(for: backoff(attempt - 1) / 4)
            }
        }
    }

    /// The usable connection with the fewest calls in flight, connecting where a slot has none.
    func connection() async throws -> ClientConnection {
        while true {
            let (ready, connecting) = slots.withLock { slots -> (ClientConnection?, Task<ClientConnection, any Error>?) in
                var best: ClientConnection?
                for index in slots.indices {
                    if let connection = slots[index].connection, !connection.acceptsCalls {
                        slots[index].connection = nil
                    }
                    if let connection = slots[index].connection, !connection.status.isFull,
                        best.map({ connection.openCalls < $0.openCalls }) ?? true
                    {
                        best = connection
                    }
                }
                for index in slots.indices where slots[index].connection == nil && slots[index].connecting == nil {
                    if slots[index].retryAt <= .now { slots[index].connecting = startConnecting(index, slots[index].address) }
                }
                if let best { return (best, nil) }
                if let anyOpen = slots.compactMap(\.connection).min(by: { $0.openCalls < $1.openCalls }) {
                    return (anyOpen, nil)
                }
                return (nil, slots.compactMap(\.connecting).first)
            }
            if let ready { return ready }
            guard let connecting else {
                let wait = slots.withLock { slots in slots.map(\.retryAt).min() ?? .now } - .now
                try await Task.sleep(for: max(wait, .milliseconds(1)))
                continue
            }
            do {
                return try await connecting.value
            } catch {
                let unreachable = slots.withLock { slots in slots.allSatisfy { $0.connection == nil && $0.failures > 0 } }
                if unreachable {
                    throw RPCError(code: .unavailable, message: "cannot connect: \(error)", isNotProcessed: true)
                }
            }
        }
    }

    private func startConnecting(_ index: Int, _ address: SocketAddress) -> Task<ClientConnection, any Error> {
        let configuration = configuration
        return Task {
            do {
                let connection = try await ClientConnection.connect(
                    to: address, settings: configuration.settings, keepaliveTimeout: configuration.keepaliveTimeout,
                    connectTimeout: configuration.connectTimeout,
                    group: configuration.eventLoopGroup)
                slots.withLock { slots in
                    slots[index].connection = connection
                    slots[index].connecting = nil
                    slots[index].failures = 0
                }
                return connection
            } catch {
                slots.withLock { slots in
                    slots[index].connecting = nil
                    slots[index].failures += 1
                    slots[index].retryAt = .now + backoff(slots[index].failures)
                }
                throw error
            }
        }
    }

    /// The delay after `failures` consecutive failures: exponential with full jitter, capped.
    private func backoff(_ failures: Int) -> Duration {
        let exponent = min(failures - 1, 16)
        let ceiling = min(configuration.initialBackoff * (1 << max(0, exponent)), configuration.maxBackoff)
        return ceiling * Double.random(in: 0.5...1.0)
    }
}
