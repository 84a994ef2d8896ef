public import NIOCore
import NIOPosix
import Synchronization

/// A non-blocking Redis client: hiredis formats and parses, SwiftNIO does the I/O.
///
/// Commands are pipelined on a small pool of connections that open lazily and reconnect with
/// exponential backoff. Every command carries a timeout, so a slow or absent Redis costs a caller
/// at most that long. Talk only to a trusted Redis: hiredis 0.14.1 has no limit on reply size.
public final class RedisClient: Sendable {
    /// Where Redis is and how the pool behaves.
    public struct Configuration: Sendable {
        /// Redis host name or address.
        public var host: String
        /// Redis TCP port.
        public var port: Int
        /// Connections in the pool; commands are pipelined on each. Default 2.
        public var connectionCount: Int = 2
        /// How long a TCP connect may take. Default 1 s.
        public var connectTimeout: TimeAmount = .seconds(1)
        /// Wait before the first reconnect after a failed connect; doubles per failure. Default 50 ms.
        public var initialReconnectDelay: TimeAmount = .milliseconds(50)
        /// Upper bound of the reconnect wait. Default 2 s.
        public var maximumReconnectDelay: TimeAmount = .seconds(2)

        /// A configuration for `host:port` with the defaults above.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `redis://host[:port]` (port 6379 when absent), the form of `HABIT_REDIS_URL`.
        ///
        /// - Throws: `RedisClientError` with code `.invalidURL` for any other form (passwords,
        ///   databases and TLS are not supported).
        public init(url: String) throws(RedisClientError) {
            let scheme = "redis://"
            guard url.hasPrefix(scheme) else { throw Self.invalid(url) }
            var authority = Substring(url.dropFirst(scheme.count))
            if authority.hasSuffix("/") { authority = authority.dropLast() }
            guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@") else {
                throw Self.invalid(url)
            }
            var host = authority
            var port = 6379
            if let colon = authority.lastIndex(of: ":") {
                guard let parsed = Int(authority[authority.index(after: colon)...]), (1...65535).contains(parsed) else {
                    throw Self.invalid(url)
                }
                host = authority[..<colon]
                port = parsed
            }
            guard !host.isEmpty else { throw Self.invalid(url) }
            self.init(host: String(host), port: port)
        }

        private static func invalid(_ url: String) -> RedisClientError {
            RedisClientError(code: .invalidURL, message: "expected redis://host[:port], got \(url)")
        }
    }

    private let configuration: Configuration
    private let group: any EventLoopGroup
    /// The group's loops, to recognise a caller already on one of them.
    private let loops: [any EventLoop]
    private let pool: Mutex<RedisConnectionPool>

    /// Creates a client; nothing connects until the first command. The default group is NIO's singleton.
    public init(configuration: Configuration, eventLoopGroup: (any EventLoopGroup)? = nil) {
        self.configuration = configuration
        self.group = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        self.loops = Array(self.group.makeIterator())
        self.pool = Mutex(
            RedisConnectionPool(
                size: configuration.connectionCount,
                backoff: .init(
                    initial: configuration.initialReconnectDelay, maximum: configuration.maximumReconnectDelay)
            )
        )
    }

    /// Sends one command (name first) and waits at most `timeout` for its reply.
    ///
    /// An error reply (`-ERR ...`) is returned as `RESPValue.error`, not thrown.
    /// - Throws: `RedisClientError` (timed out, no connection, connection closed, protocol error).
    public func send(_ arguments: [[UInt8]], timeout: TimeAmount) async throws -> RESPValue {
        let deadline = NIODeadline.now() + timeout
        switch lease() {
        case .ready(let channel):
            // The connection's handler watches the deadline (one timer per connection).
            let reply = channel.eventLoop.makePromise(of: RESPValue.self)
            write(RedisRequest(arguments: arguments, reply: reply, deadline: deadline, timeout: timeout), to: channel)
            return try await reply.futureResult.get()
        case .pending(let connection):
            // No handler yet to watch the deadline while the connection opens: a timer of its own.
            // A connection that missed a deadline is presumed stuck, as in the handler: close it.
            let reply = connection.eventLoop.makePromise(of: RESPValue.self)
            let timer = connection.eventLoop.scheduleTask(deadline: deadline) {
                reply.fail(RedisClientError.timedOut(after: timeout))
                connection.whenSuccess { $0.close(promise: nil) }
            }
            reply.futureResult.whenComplete { _ in timer.cancel() }
            connection.whenComplete { result in
                switch result {
                case .success(let channel):
                    self.write(
                        RedisRequest(arguments: arguments, reply: reply, deadline: deadline, timeout: timeout),
                        to: channel)
                case .failure(let error):
                    reply.fail(
                        error as? RedisClientError
                            ?? RedisClientError(code: .connectionUnavailable, message: "connect failed: \(error)")
                    )
                }
            }
            return try await reply.futureResult.get()
        }
    }

    /// Hands `request` to the connection's handler; a write that never reaches it fails the reply.
    private func write(_ request: RedisRequest, to channel: any Channel) {
        if channel.eventLoop.inEventLoop && channel.isActive {
            // On the connection's loop and open: the write reaches the handler right now, and the
            // handler owns the reply from there (it fails it itself if it refuses the command), so no
            // write promise is needed.
            channel.writeAndFlush(request, promise: nil)
            return
        }
        channel.writeAndFlush(request).whenFailure { error in
            request.reply.fail(RedisClientError(code: .connectionClosed, message: "write failed: \(error)"))
        }
    }

    /// Sends a command given as text arguments.
    public func send(_ arguments: [String], timeout: TimeAmount) async throws -> RESPValue {
        try await send(arguments.map { Array($0.utf8) }, timeout: timeout)
    }

    /// Closes every connection; later commands fail with `.shutdown`.
    public func shutdown() async {
        let channels = pool.withLock { $0.shutdown() }
        for channel in channels {
            try? await channel.close()
        }
    }

    /// A connection from the pool, or the future of one that is opening (or failed to).
    private enum Lease {
        case ready(any Channel)
        case pending(EventLoopFuture<any Channel>)
    }

    /// A connection from the pool, connecting if the chosen slot has none.
    private func lease() -> Lease {
        // A caller running on one of our loops (a handler placed on the event loop) gets, or opens, the
        // connection on that loop, so its command and reply never cross threads.
        let current = MultiThreadedEventLoopGroup.currentEventLoop.flatMap { loop in
            loops.contains { $0 === loop } ? loop : nil
        }
        let group = self.group
        let action = pool.withLock {
            $0.lease(now: .now(), preferring: current) { (current ?? group.next()).makePromise(of: (any Channel).self) }
        }
        switch action {
        case .use(let channel):
            return .ready(channel)
        case .wait(let future):
            return .pending(future)
        case .fail(let error):
            return .pending(group.next().makeFailedFuture(error))
        case .connect(let slot, let promise):
            connect(slot: slot, on: promise.futureResult.eventLoop).cascade(to: promise)
            return .pending(promise.futureResult)
        }
    }

    /// Connects on `eventLoop`, the loop the waiting callers' promise lives on, to avoid hops.
    private func connect(slot: Int, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisConnectionHandler(parser: RedisReplyParser()))
                }
            }
        return bootstrap.connect(host: configuration.host, port: configuration.port).flatMap { channel in
            let isKept = self.pool.withLock { $0.connected(slot: slot, channel: channel) }
            guard isKept else {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(
                    RedisClientError(code: .shutdown, message: "the Redis client was shut down"))
            }
            channel.closeFuture.whenComplete { _ in
                self.pool.withLock { $0.closed(slot: slot, channel: channel) }
            }
            return channel.eventLoop.makeSucceededFuture(channel)
        }.flatMapErrorThrowing { error in
            self.pool.withLock { $0.connectFailed(slot: slot, now: .now()) }
            throw error
        }
    }
}
