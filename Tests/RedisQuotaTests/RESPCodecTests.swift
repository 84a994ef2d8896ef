import NIOCore
import NIOEmbedded
import Testing

@testable import RedisQuota

@Suite("RESP via hiredis")
struct RESPCodecTests {
    /// Every reply type, nested arrays, an empty bulk and binary bytes in one stream.
    static let stream = Array(
        "+OK\r\n-ERR bad thing\r\n:-42\r\n$5\r\nhe\0\r\n\r\n$-1\r\n*3\r\n:1\r\n*1\r\n$0\r\n\r\n$1\r\nx\r\n*-1\r\n*0\r\n"
            .utf8)
    static let expected: [RESPValue] = [
        .simpleString("OK"),
        .error("ERR bad thing"),
        .integer(-42),
        .bulkString([104, 101, 0, 13, 10]),
        .null,
        .array([.integer(1), .array([.bulkString([])]), .bulkString([120])]),
        .null,
        .array([]),
    ]

    private func parse(_ chunks: [ArraySlice<UInt8>]) throws -> [RESPValue] {
        let parser = try RedisReplyParser()
        var values: [RESPValue] = []
        for chunk in chunks {
            try parser.feed(ByteBuffer(bytes: chunk))
            while let value = try parser.next() { values.append(value) }
        }
        return values
    }

    @Test func parsesTheStreamSplitAtEveryByte() throws {
        let bytes = Self.stream
        for split in 0...bytes.count {
            #expect(try parse([bytes[..<split], bytes[split...]]) == Self.expected, "split at \(split)")
        }
    }

    @Test func parsesTheStreamFedOneByteAtATime() throws {
        #expect(try parse(Self.stream.indices.map { Self.stream[$0...$0] }) == Self.expected)
    }

    @Test func needsMoreBytesForAPartialReply() throws {
        let parser = try RedisReplyParser()
        try parser.feed(ByteBuffer(string: "$10\r\nabc"))
        #expect(try parser.next() == nil)
    }

    @Test func garbageIsAProtocolErrorAndPoisonsTheParser() throws {
        let parser = try RedisReplyParser()
        try parser.feed(ByteBuffer(string: "hello world\r\n"))
        let error = #expect(throws: RedisClientError.self) { try parser.next() }
        #expect(error?.code == .protocolError)
        #expect(throws: RedisClientError.self) { try parser.feed(ByteBuffer(string: "+OK\r\n")) }
    }

    @Test func nestingDeeperThanHiredisSupportsIsAnError() throws {
        let parser = try RedisReplyParser()
        try parser.feed(ByteBuffer(string: String(repeating: "*1\r\n", count: 9) + ":1\r\n"))
        #expect(throws: RedisClientError.self) { try parser.next() }
    }

    @Test func encodesBinarySafeMultiBulk() throws {
        var buffer = ByteBuffer()
        try RedisCommandEncoder.encode([Array("SET".utf8), [0, 13, 10, 255], []], into: &buffer)
        let expected: [UInt8] =
            Array("*3\r\n$3\r\nSET\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n$0\r\n\r\n".utf8)
        #expect(Array(buffer.readableBytesView) == expected)
    }

    @Test func refusesAnEmptyCommand() {
        var buffer = ByteBuffer()
        #expect(throws: RedisClientError.self) { try RedisCommandEncoder.encode([], into: &buffer) }
    }
}

@Suite("Redis connection handler")
struct RedisConnectionHandlerTests {
    private func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RedisConnectionHandler(parser: RedisReplyParser()))
        return channel
    }

    /// A command with no deadline in sight: these tests are about replies, not timeouts.
    private func request(_ arguments: [String], _ reply: EventLoopPromise<RESPValue>) -> RedisRequest {
        RedisRequest(
            arguments: arguments.map { Array($0.utf8) }, reply: reply, deadline: .distantFuture, timeout: .hours(1))
    }

    @Test func pipelinedRepliesCompleteCommandsInOrder() throws {
        let channel = try makeChannel()
        let first = channel.eventLoop.makePromise(of: RESPValue.self)
        let second = channel.eventLoop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(request(["PING"], first), promise: nil)
        channel.writeAndFlush(request(["GET", "k"], second), promise: nil)
        // Both flushes wait for the end of the tick, so the two commands leave in one socket write.
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n$1"))
        try channel.writeInbound(ByteBuffer(string: "\r\nv\r\n"))
        #expect(try first.futureResult.wait() == .simpleString("PONG"))
        #expect(try second.futureResult.wait() == .bulkString([118]))
        #expect(try channel.finish().isClean)
    }

    @Test func aReplyWithNoCommandClosesTheConnection() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test func garbageFailsWaitingCommandsAndRefusesNewOnes() throws {
        let channel = try makeChannel()
        let waiting = channel.eventLoop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(request(["PING"], waiting), promise: nil)
        channel.embeddedEventLoop.run()
        try channel.writeInbound(ByteBuffer(string: "?garbage\r\n"))
        #expect(throws: RedisClientError.self) { try waiting.futureResult.wait() }
        #expect(!channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
