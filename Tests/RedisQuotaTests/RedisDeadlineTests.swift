import NIOCore
import NIOEmbedded
import Testing

@testable import RedisQuota

/// One deadline timer per connection: the rules, the handler on virtual time, and a real Redis
/// holding replies behind a blocked command.
@Suite("Redis command deadlines")
struct RedisDeadlineTests {
    private static let ping = [Array("PING".utf8)]

    private func command(on loop: any EventLoop, deadline: NIODeadline) -> RedisPendingCommands.Command {
        .init(reply: loop.makePromise(), deadline: deadline, timeout: .seconds(1))
    }

    @Test func theTimerIsArmedOnlyForAnEarlierDeadline() {
        let loop = EmbeddedEventLoop()
        var pending = RedisPendingCommands()
        let commands = ([200, 300, 100, 150] as [UInt64]).map { command(on: loop, deadline: .uptimeNanoseconds($0)) }
        #expect(pending.append(commands[0]) == .uptimeNanoseconds(200))
        #expect(pending.append(commands[1]) == nil, "the armed timer fires first")
        #expect(pending.append(commands[2]) == .uptimeNanoseconds(100), "an earlier deadline re-arms")
        #expect(pending.append(commands[3]) == nil)
        #expect(pending.timerDeadline == .uptimeNanoseconds(100))
        for command in pending.removeAll() { command.reply.succeed(.null) }
        #expect(pending.timerDeadline == nil)
    }

    @Test func aFiredTimerReArmsForTheEarliestCommandLeftOrFindsAMissedDeadline() {
        let loop = EmbeddedEventLoop()
        var pending = RedisPendingCommands()
        for deadline: UInt64 in [100, 300, 200] {
            _ = pending.append(command(on: loop, deadline: .uptimeNanoseconds(deadline)))
        }
        pending.popFirst()?.reply.succeed(.null)
        #expect(pending.timerFired(now: .uptimeNanoseconds(100)) == .rearm(.uptimeNanoseconds(200)))
        #expect(pending.timerDeadline == .uptimeNanoseconds(200))
        #expect(pending.timerFired(now: .uptimeNanoseconds(200)) == .deadlineMissed)
        for command in pending.removeAll() { command.reply.succeed(.null) }
        #expect(pending.timerFired(now: .uptimeNanoseconds(300)) == .idle)
    }

    /// A connected channel, so `isActive` says whether the handler closed it.
    private func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RedisConnectionHandler(parser: RedisReplyParser()))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        return channel
    }

    /// Sends PING with a deadline `after` from the channel's virtual now.
    private func ping(_ channel: EmbeddedChannel, after: TimeAmount) -> EventLoopFuture<RESPValue> {
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        let deadline = channel.embeddedEventLoop.now + after
        channel.writeAndFlush(
            RedisRequest(arguments: Self.ping, reply: reply, deadline: deadline, timeout: after), promise: nil)
        return reply.futureResult
    }

    /// How a future completed, nil while it is pending: never `wait()` on an embedded future, which
    /// blocks forever if nothing completes it.
    private func outcome(of future: EventLoopFuture<RESPValue>) -> Result<RESPValue, any Error>? {
        var outcome: Result<RESPValue, any Error>?
        future.assumeIsolated().whenComplete { outcome = $0 }
        return outcome
    }

    private func reply(of future: EventLoopFuture<RESPValue>) -> RESPValue? {
        guard case .success(let reply) = outcome(of: future) else { return nil }
        return reply
    }

    private func error(of future: EventLoopFuture<RESPValue>) -> RedisClientError.Code? {
        guard case .failure(let error) = outcome(of: future) else { return nil }
        return (error as? RedisClientError)?.code
    }

    @Test func answeredCommandsNeverTimeOutWhileTheTimerReArms() throws {
        let channel = try makeChannel()
        let first = ping(channel, after: .milliseconds(50))
        let second = ping(channel, after: .milliseconds(100))
        channel.embeddedEventLoop.run()
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        #expect(reply(of: first) == .simpleString("PONG"))
        // The timer armed for the first command fires, finds the second still in time, and re-arms.
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(60))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        #expect(reply(of: second) == .simpleString("PONG"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let third = ping(channel, after: .milliseconds(50))
        channel.embeddedEventLoop.run()
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        #expect(reply(of: third) == .simpleString("PONG"))
        #expect(channel.isActive)
        while try channel.readOutbound(as: ByteBuffer.self) != nil {}
        #expect(try channel.finish().isClean)
    }

    @Test func aMissedDeadlineTimesOutThatCommandAndClosesTheConnection() throws {
        let channel = try makeChannel()
        let head = ping(channel, after: .milliseconds(100))
        let shortest = ping(channel, after: .milliseconds(50))
        let last = ping(channel, after: .seconds(1))
        channel.embeddedEventLoop.run()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(60))
        #expect(error(of: shortest) == .timedOut, "a deadline behind a later one is still kept")
        #expect(error(of: head) == .connectionClosed)
        #expect(error(of: last) == .connectionClosed)
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test func commandsWhoseDeadlinesPassTogetherAllTimeOut() throws {
        let channel = try makeChannel()
        let first = ping(channel, after: .milliseconds(50))
        let second = ping(channel, after: .milliseconds(50))
        channel.embeddedEventLoop.run()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(50))
        #expect(error(of: first) == .timedOut && error(of: second) == .timedOut)
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}

/// Against the real redis-server that `make test` starts: BLPOP on a key nobody pushes to holds every
/// later reply on its connection, so several commands are in flight with no reply coming.
@Suite("Redis command deadlines on a real Redis", .enabled(if: TestRedis.isEnabled))
struct RedisDeadlineIntegrationTests {
    private static let long = TimeAmount.seconds(60)

    /// A client with one connection, so every command shares it, and that connection's Redis client id.
    private func singleConnectionClient() async throws -> (RedisClient, Int64) {
        let client = try TestRedis.client { $0.connectionCount = 1 }
        guard case .integer(let id) = try await client.send(["CLIENT", "ID"], timeout: Self.long) else {
            Issue.record("CLIENT ID did not answer an integer")
            throw RedisClientError(code: .unexpectedReply, message: "CLIENT ID")
        }
        return (client, id)
    }

    /// Polls (bounded) until connection `id` is blocked with at least `queuedBytes` of later commands
    /// waiting behind it in Redis's query buffer.
    private func waitUntilBlocked(id: Int64, queuedBytes: Int, probe: RedisClient) async throws {
        for _ in 0..<500 {
            let info = try await probe.send(["CLIENT", "LIST", "ID", String(id)], timeout: Self.long).text ?? ""
            let fields = Dictionary(
                info.split(whereSeparator: \.isWhitespace).compactMap { field -> (String, String)? in
                    let parts = field.split(separator: "=", maxSplits: 1)
                    return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
                }, uniquingKeysWith: { first, _ in first })
            if fields["cmd"] == "blpop", let queued = fields["qbuf"].flatMap(Int.init), queued >= queuedBytes { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("connection \(id) never blocked with \(queuedBytes) bytes queued")
    }

    private func outcome(_ send: @escaping @Sendable () async throws -> RESPValue) -> Task<
        Result<RESPValue, RedisClientError>, Never
    > {
        Task {
            do {
                return .success(try await send())
            } catch let error as RedisClientError {
                return .failure(error)
            } catch {
                return .failure(RedisClientError(code: .unexpectedReply, message: "\(error)"))
            }
        }
    }

    private static let pingBytes = "*1\r\n$4\r\nPING\r\n".utf8.count

    @Test func heldRepliesArriveInOrderOnceTheBlockEnds() async throws {
        let (client, id) = try await singleConnectionClient()
        let probe = try TestRedis.client()
        let key = TestRedis.uniquePrefix() + ":held"
        let blocked = outcome { try await client.send(["BLPOP", key, "0"], timeout: Self.long) }
        try await waitUntilBlocked(id: id, queuedBytes: 0, probe: probe)
        let pings = (0..<3).map { _ in outcome { try await client.send(["PING"], timeout: Self.long) } }
        try await waitUntilBlocked(id: id, queuedBytes: 3 * Self.pingBytes, probe: probe)
        #expect(try await probe.send(["RPUSH", key, "v"], timeout: Self.long) == .integer(1))
        #expect(try await blocked.value.get() == .array([.bulkString(Array(key.utf8)), .bulkString([118])]))
        for ping in pings { #expect(try await ping.value.get() == .simpleString("PONG")) }
        await client.shutdown()
        await probe.shutdown()
    }

    @Test func aShortDeadlineBehindABlockedCommandTimesOutAndTheConnectionIsReplaced() async throws {
        let (client, id) = try await singleConnectionClient()
        let probe = try TestRedis.client()
        let key = TestRedis.uniquePrefix() + ":never"
        let blocked = outcome { try await client.send(["BLPOP", key, "0"], timeout: Self.long) }
        try await waitUntilBlocked(id: id, queuedBytes: 0, probe: probe)
        let patient = outcome { try await client.send(["PING"], timeout: Self.long) }
        let impatient = outcome { try await client.send(["PING"], timeout: .milliseconds(200)) }
        #expect(await impatient.value.error?.code == .timedOut)
        // The connection that missed a deadline closed: the commands still on it fail with it.
        #expect(await blocked.value.error?.code == .connectionClosed)
        #expect(await patient.value.error?.code == .connectionClosed)
        var reply: RESPValue?
        for _ in 0..<5 where reply == nil {
            // Until the closed connection has left the pool, a send may still meet it.
            reply = try? await client.send(["PING"], timeout: Self.long)
        }
        #expect(reply == .simpleString("PONG"))
        await client.shutdown()
        await probe.shutdown()
    }
}

extension Result {
    fileprivate var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
