import NIOCore
import RPCClient
import RPCCore
import RPCEchoService
import RPCServer
import Testing

/// Every kind of bad input named in the spec gets its clear error and a close, and never a crash.
@Suite struct MalformedInputTests {
    @Test func anHTTPRequestGetsAnHTTP400AndAClose() async throws {
        try await withEchoServer { address, _, _ in
            let reply = try await rawExchange(address, Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            let text = String(decoding: reply, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            #expect(text.contains("HabitRPC"))
        }
    }

    @Test func aTLSClientHelloGetsAProtocolVersionAlert() async throws {
        try await withEchoServer { address, _, _ in
            let reply = try await rawExchange(address, [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03])
            #expect(reply == [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
        }
    }

    @Test func garbageGetsGoAwayProtocolError() async throws {
        try await withEchoServer { address, _, _ in
            let reply = try await rawExchange(address, [0x00, 0x01, 0x02, 0x03, 0xFF, 0xFE])
            #expect(try frames(in: reply) == [.goAway(.protocolError, message: "bad preface: not a HabitRPC client")])
        }
    }

    @Test func anotherMajorVersionGetsSettingsThenUnsupportedVersion() async throws {
        try await withEchoServer { address, _, _ in
            let reply = try frames(in: try await rawExchange(address, [0x48, 0x52, 0x50, 0x43, 0x02, 0x00, 0x00, 0x00]))
            #expect(reply.count == 2)
            #expect(reply.first?.type == .settings)
            #expect(reply.last == .goAway(.unsupportedVersion, message: "client speaks 2.0, server speaks 1.0"))
        }
    }

    @Test func aFirstFrameOtherThanSettingsIsAViolation() async throws {
        try await withEchoServer { address, _, _ in
            let reply = try frames(in: try await rawExchange(address, FrameDecoder.preface + Frame.ping(1).bytes))
            #expect(reply.last?.type == .goAway)
            if case .goAway(let error, let message)? = reply.last {
                #expect(error == .protocolError)
                #expect(message.contains("SETTINGS"))
            }
        }
    }

    @Test func anOversizedRequestIsSkippedAndRefusedNamingBothSizes() async throws {
        try await withEchoServer(configure: { $0.settings.maxFrameSize = 16_384 }) { address, _, _ in
            let session = try await RawSession.open(address)
            let big = Frame.request(callID: 1, RequestHead(methodID: EchoService.unary.id), message: ByteBuffer(repeating: 7, count: 20_000), endStream: true)
            let small = Frame.request(callID: 2, RequestHead(methodID: EchoService.unary.id), message: payload(9), endStream: true)
            try await session.send(clientOpening() + big.bytes + small.bytes)
            let received = try await session.waitForFrames { $0.count { $0.type == .response } == 2 }
            let responses = received.filter { $0.type == .response }
            #expect(responses.first == .response(
                callID: 1, ResponseStatus(code: RPCError.Code.resourceExhausted.rawValue, message: "frame of 20014 bytes exceeds max 16384"),
                isNotProcessed: true, message: nil))
            #expect(responses.last == .response(callID: 2, .ok, isNotProcessed: false, message: payload(9)))
            #expect(!session.isClosed)
            await session.close()
        }
    }

    @Test func anOversizedConnectionFrameIsGoAwayFrameTooLarge() async throws {
        try await withEchoServer(configure: { $0.settings.maxFrameSize = 16_384 }) { address, _, _ in
            var header = ByteBuffer()
            header.writeMultipleIntegers(UInt32(1 << 30), UInt32(0), FrameType.settings.rawValue, UInt8(0), UInt16(0))
            let reply = try frames(in: try await rawExchange(address, FrameDecoder.preface + Array(header.readableBytesView)))
            #expect(reply.last == .goAway(.frameTooLarge, message: "SETTINGS frame of 1073741824 bytes exceeds max 16384"))
        }
    }

    @Test func anUnknownFrameTypeIsAViolationButAnExtensionIsSkipped() async throws {
        try await withEchoServer { address, _, _ in
            var unknown = ByteBuffer()
            unknown.writeMultipleIntegers(UInt32(0), UInt32(1), UInt8(0x07), UInt8(0), UInt16(0))
            let reply = try frames(in: try await rawExchange(address, clientOpening() + Array(unknown.readableBytesView)))
            #expect(reply.last == .goAway(.protocolError, message: "unknown frame type 0x7"))

            var extensionFrame = ByteBuffer()
            extensionFrame.writeMultipleIntegers(UInt32(3), UInt32(0), UInt8(0x80), UInt8(0), UInt16(0))
            extensionFrame.writeBytes([1, 2, 3])
            let request = Frame.request(callID: 5, RequestHead(methodID: EchoService.unary.id), message: payload(1), endStream: true)
            let answered = try await rawExchangeUntil(address, clientOpening() + Array(extensionFrame.readableBytesView) + request.bytes, responses: 1)
            #expect(answered.last == .response(callID: 5, .ok, isNotProcessed: false, message: payload(1)))
        }
    }

    @Test func aDuplicateCallIDIsGoAwayDuplicateCallID() async throws {
        try await withEchoServer { address, _, _ in
            let slow = Frame.request(callID: 9, RequestHead(methodID: EchoService.slow.id), message: payload(5_000), endStream: true)
            let reply = try frames(in: try await rawExchange(address, clientOpening() + slow.bytes + slow.bytes))
            #expect(reply.last == .goAway(.duplicateCallID, message: "REQUEST for call 9, which is open"))
        }
    }

    @Test func aSilentConnectionIsClosedAtTheHandshakeTimeout() async throws {
        try await withEchoServer(configure: { $0.handshakeTimeout = .milliseconds(500) }) { address, _, _ in
            let session = try await RawSession.open(address)
            try? await session.send(Array(FrameDecoder.preface.prefix(5)))
            let reply = try frames(in: try await session.waitForClose())
            #expect(reply.last?.type == .goAway)
            await session.close()
        }
    }

    @Test func connectionsOverTheLimitAreRefused() async throws {
        try await withEchoServer(configure: { $0.maxConnections = 1 }) { address, _, _ in
            let first = try await ClientConnection.connect(to: address)
            let reply = try frames(in: try await rawExchange(address, clientOpening()))
            #expect(reply == [.goAway(.resourceLimit, message: "too many connections: limit is 1")])
            let response = try await first.unary(EchoService.unary, request: payload(3), options: CallOptions())
            #expect(value(response) == 3)
            await first.close()
        }
    }

    @Test func anIdleConnectionIsDrained() async throws {
        try await withEchoServer(configure: { $0.settings.idleTimeoutMilliseconds = 1000 }) { address, _, _ in
            let session = try await RawSession.open(address)
            try await session.send(clientOpening())
            let received = try await session.waitForFrames { $0.contains(.drain) }
            #expect(received.contains(.drain))
            try await session.send(Frame.drainAck.bytes)
            let all = try frames(in: try await session.waitForClose())
            #expect(all.last == .goAway(.noError, message: "drained"))
            await session.close()
        }
    }

    @Test func malformedMetaIsAViolationNamingTheField() async throws {
        try await withEchoServer { address, _, _ in
            var bad = ByteBuffer()
            bad.writeMultipleIntegers(UInt32(4), UInt32(1), FrameType.credit.rawValue, UInt8(0), UInt16(4))
            bad.writeInteger(UInt32(0))
            let reply = try frames(in: try await rawExchange(address, clientOpening() + Array(bad.readableBytesView)))
            #expect(reply.last == .goAway(.protocolError, message: "CREDIT increment 0"))
        }
    }

    @Test func aPeerThatStopsAnsweringIsPingedThenClosed() async throws {
        try await withEchoServer(configure: {
            $0.settings.keepaliveTimeMilliseconds = 200
            $0.keepaliveTimeout = .milliseconds(300)
        }) { address, _, _ in
            let session = try await RawSession.open(address)
            try await session.send(clientOpening())
            let all = try frames(in: try await session.waitForClose())
            #expect(all.contains { $0.type == .ping })
            #expect(all.last?.type == .goAway)
            if case .goAway(let error, _)? = all.last { #expect(error == .timeout) }
            await session.close()
        }
    }

    @Test func requestsOverTheMemoryBudgetAreRefusedAsNotProcessed() async throws {
        try await withEchoServer(configure: { $0.memoryBudgetPerConnection = 1_000 }) { address, _, _ in
            var held = payload(2_000)
            held.writeRepeatingByte(1, count: 700)
            let first = Frame.request(callID: 1, RequestHead(methodID: EchoService.slow.id), message: held, endStream: true)
            let second = Frame.request(callID: 3, RequestHead(methodID: EchoService.slow.id), message: held, endStream: true)
            let received = try await rawExchangeUntil(address, clientOpening() + first.bytes + second.bytes, responses: 2)
            let responses = received.filter { $0.type == .response }
            guard case .response(3, let status, true, nil)? = responses.first else {
                Issue.record("the second call was not refused first: \(responses)")
                return
            }
            #expect(status.code == RPCError.Code.resourceExhausted.rawValue)
            #expect(status.message.contains("1000"))
            #expect(responses.last == .response(callID: 1, .ok, isNotProcessed: false, message: held))
        }
    }
}
