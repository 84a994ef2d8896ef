import NIOCore
import RPCCore
import Testing

private let echo = MethodDescriptor(service: "t.S", method: "Echo", id: MethodDescriptor.id(forFullName: "/t.S/Echo"), kind: .unary)
private let stream = MethodDescriptor(service: "t.S", method: "Stream", id: MethodDescriptor.id(forFullName: "/t.S/Stream"), kind: .bidirectionalStreaming)

@Suite struct ServerConnectionStateMachineTests {
    func makeMachine(_ configure: (inout ConnectionSettings) -> Void = { _ in }) throws -> ServerConnectionStateMachine {
        var settings = ConnectionSettings()
        configure(&settings)
        let router = try MethodRouter([
            ServerMethod(descriptor: echo, handler: .unary { request, _ in request }),
            ServerMethod(descriptor: stream, handler: .streaming { _, _, _ in }),
        ])
        var machine = ServerConnectionStateMachine(router: router, settings: settings, memoryBudget: 1 << 20)
        _ = machine.receive(.preface(major: 1, minor: 0), now: .now())
        _ = machine.receive(.frame(.settings([])), now: .now())
        return machine
    }

    func request(_ callID: UInt32, _ method: MethodDescriptor = echo, endStream: Bool = true) -> FrameDecoder.Event {
        .frame(.request(callID: callID, RequestHead(methodID: method.id), message: ByteBuffer(), endStream: endStream))
    }

    @Test func prefaceIsAnsweredWithSettingsAndTheFirstFrameMustBeSettings() throws {
        let router = try MethodRouter([])
        var machine = ServerConnectionStateMachine(router: router, settings: ConnectionSettings(), memoryBudget: 1024)
        guard case .send(let frames) = machine.receive(.preface(major: 1, minor: 0), now: .now()) else {
            Issue.record("no SETTINGS")
            return
        }
        #expect(frames.first?.type == .settings)
        guard case .close(let goAway?, _) = machine.receive(.frame(.ping(1)), now: .now()) else {
            Issue.record("PING before SETTINGS accepted")
            return
        }
        #expect(goAway.type == .goAway)
    }

    @Test func aRequestStartsACallAndItsCompletionIsTheOneResponse() throws {
        var machine = try makeMachine()
        guard case .start(let call) = machine.receive(request(7), now: .now()) else {
            Issue.record("call not started")
            return
        }
        #expect(machine.openCalls == 1)
        guard case .cancel(let token, let frames) = machine.receive(.frame(.cancel(callID: 7)), now: .now()) else {
            Issue.record("cancel not honoured")
            return
        }
        #expect(token == call.token)
        #expect(frames.count == 1)
        // The handler finishing later sends nothing: exactly one terminal frame.
        guard case .none = machine.complete(call.token, with: .message(ByteBuffer())) else {
            Issue.record("second RESPONSE")
            return
        }
        // The id may be reused; the old token cannot answer the new call.
        guard case .start(let second) = machine.receive(request(7), now: .now()) else {
            Issue.record("reused id refused")
            return
        }
        #expect(second.token != call.token)
        guard case .none = machine.deadlineExceeded(call.token) else {
            Issue.record("stale token answered the new call")
            return
        }
    }

    @Test func limitsRefuseAtOnceAsNotProcessed() throws {
        var machine = try makeMachine { $0.maxConcurrentCalls = 1 }
        _ = machine.receive(request(1), now: .now())
        guard case .send(let frames) = machine.receive(request(3), now: .now()),
            case .response(3, let status, true, nil) = frames.first
        else {
            Issue.record("no refusal")
            return
        }
        #expect(status.code == RPCError.Code.resourceExhausted.rawValue)
        guard case .send(let unknown) = machine.receive(.frame(.request(callID: 5, RequestHead(methodID: 1), message: ByteBuffer(), endStream: true)), now: .now()),
            case .response(5, _, true, nil) = unknown.first
        else {
            Issue.record("unknown method accepted")
            return
        }
    }

    @Test func duplicateIDsAndDataAfterEndStreamAreViolations() throws {
        var machine = try makeMachine()
        _ = machine.receive(request(1), now: .now())
        guard case .close(.goAway(.duplicateCallID, _)?, let cancel) = machine.receive(request(1), now: .now()) else {
            Issue.record("duplicate accepted")
            return
        }
        #expect(cancel.count == 1)

        var other = try makeMachine()
        _ = other.receive(request(2, stream, endStream: true), now: .now())
        guard case .close(.goAway(.protocolError, _)?, _) = other.receive(.frame(.data(callID: 2, message: ByteBuffer(), endStream: false)), now: .now()) else {
            Issue.record("DATA after END_STREAM accepted")
            return
        }
    }

    @Test func creditIsEnforcedAndReturnedAsMessagesAreConsumed() throws {
        var machine = try makeMachine { $0.initialCallCredit = 2 }
        guard case .start(let call) = machine.receive(request(1, stream, endStream: false), now: .now()) else {
            Issue.record("not started")
            return
        }
        let data = FrameDecoder.Event.frame(.data(callID: 1, message: ByteBuffer(bytes: [1]), endStream: false))
        guard case .deliver = machine.receive(data, now: .now()), case .deliver = machine.receive(data, now: .now()) else {
            Issue.record("messages within credit refused")
            return
        }
        guard case .send(let credit) = machine.messageConsumed(call.token, size: 1) else {
            Issue.record("no CREDIT after consumption")
            return
        }
        #expect(credit == [.credit(callID: 1, increment: 1)])
        guard case .deliver = machine.receive(data, now: .now()) else {
            Issue.record("message within returned credit refused")
            return
        }
        guard case .close(.goAway(.flowControlError, _)?, _) = machine.receive(data, now: .now()) else {
            Issue.record("message beyond credit accepted")
            return
        }
    }

    @Test func sendCreditBlocksWritersUntilCreditArrives() throws {
        var fresh = try makeMachineWithPeerCredit(1)
        guard case .start(let call) = fresh.receive(request(1, stream, endStream: true), now: .now()) else {
            Issue.record("not started")
            return
        }
        guard case .send = fresh.sendMessage(call.token, size: 1), case .wait = fresh.sendMessage(call.token, size: 1) else {
            Issue.record("the credit of 1 was not enforced")
            return
        }
        guard case .creditAvailable(call.token) = fresh.receive(.frame(.credit(callID: 1, increment: 4)), now: .now()) else {
            Issue.record("writer not released")
            return
        }
        guard case .send = fresh.sendMessage(call.token, size: 1) else {
            Issue.record("credit granted but the message held")
            return
        }
    }

    /// A machine whose client announced `maxFrameSize`, with one call of `method` started.
    func machineWithCall(
        clientMaxFrameSize maxFrameSize: UInt32, _ method: MethodDescriptor = echo
    ) throws -> (ServerConnectionStateMachine, ServerConnectionStateMachine.CallToken) {
        let router = try MethodRouter([
            ServerMethod(descriptor: echo, handler: .unary { request, _ in request }),
            ServerMethod(descriptor: stream, handler: .streaming { _, _, _ in }),
        ])
        var machine = ServerConnectionStateMachine(router: router, settings: ConnectionSettings(), memoryBudget: 1 << 20)
        _ = machine.receive(.preface(major: 1, minor: 0), now: .now())
        guard case .handshakeCompleted = machine.receive(.frame(.settings([ConnectionSettings.Entry(id: 1, value: maxFrameSize)])), now: .now()),
            case .start(let call) = machine.receive(request(1, method, endStream: method.kind == .unary), now: .now())
        else { throw RPCError(code: .internalError, message: "no call started") }
        return (machine, call.token)
    }

    @Test func aResponseOverTheClientsMaxFrameSizeBecomesResourceExhaustedNamingBothSizes() throws {
        // A RESPONSE's length is 3 bytes of meta plus the message.
        var (machine, token) = try machineWithCall(clientMaxFrameSize: 16_384)
        let fits = ByteBuffer(repeating: 1, count: 16_381)
        guard case .send([.response(callID: 1, .ok, isNotProcessed: false, message: fits)]) = machine.complete(token, with: .message(fits)) else {
            Issue.record("a RESPONSE of exactly the client's max was not sent as it is")
            return
        }
        (machine, token) = try machineWithCall(clientMaxFrameSize: 16_384)
        guard case .send(let frames) = machine.complete(token, with: .message(ByteBuffer(repeating: 1, count: 16_382))) else {
            Issue.record("no RESPONSE")
            return
        }
        let expected = ResponseStatus(code: 8, message: "RESPONSE frame of 16385 bytes exceeds the client's max 16384")
        #expect(frames == [.response(callID: 1, expected, isNotProcessed: false, message: nil)])
        #expect(machine.openCalls == 0)
    }

    @Test func anErrorResponseOverTheClientsMaxFrameSizeIsReplacedKeepingNotProcessed() throws {
        let started = try machineWithCall(clientMaxFrameSize: 16_384)
        var machine = started.0
        let token = started.1
        let error = RPCError(code: .unauthenticated, message: String(repeating: "m", count: 20_000), isNotProcessed: true)
        guard case .send(let frames) = machine.complete(token, with: .error(error)) else {
            Issue.record("no RESPONSE")
            return
        }
        let expected = ResponseStatus(code: 8, message: "RESPONSE frame of 20003 bytes exceeds the client's max 16384")
        #expect(frames == [.response(callID: 1, expected, isNotProcessed: true, message: nil)])
    }

    @Test func aStreamMessageOverTheClientsMaxFrameSizeEndsTheCall() throws {
        let started = try machineWithCall(clientMaxFrameSize: 16_384, stream)
        var machine = started.0
        let token = started.1
        guard case .send = machine.sendMessage(token, size: 16_384) else {
            Issue.record("a DATA message of exactly the client's max was held")
            return
        }
        guard case .tooLarge(.cancel(token, let frames), let error) = machine.sendMessage(token, size: 16_385) else {
            Issue.record("an oversized DATA message did not end the call")
            return
        }
        let text = "DATA frame of 16385 bytes exceeds the client's max 16384"
        #expect(error == RPCError(code: .resourceExhausted, message: text))
        #expect(frames == [.response(callID: 1, ResponseStatus(code: 8, message: text), isNotProcessed: false, message: nil)])
        #expect(machine.openCalls == 0)
        guard case .callEnded = machine.sendMessage(token, size: 1), case .none = machine.complete(token, with: .noMessage) else {
            Issue.record("the ended call still sends")
            return
        }
    }

    func makeMachineWithPeerCredit(_ credit: UInt32) throws -> ServerConnectionStateMachine {
        let router = try MethodRouter([ServerMethod(descriptor: stream, handler: .streaming { _, _, _ in })])
        var machine = ServerConnectionStateMachine(router: router, settings: ConnectionSettings(), memoryBudget: 1 << 20)
        _ = machine.receive(.preface(major: 1, minor: 0), now: .now())
        _ = machine.receive(.frame(.settings([ConnectionSettings.Entry(id: 3, value: credit)])), now: .now())
        return machine
    }

    @Test func drainIsAHandshake() throws {
        var machine = try makeMachine()
        guard case .start(let call) = machine.receive(request(1), now: .now()) else {
            Issue.record("not started")
            return
        }
        guard case .send([.drain]) = machine.startDrain() else {
            Issue.record("no DRAIN")
            return
        }
        // Before DRAIN_ACK, requests are still served.
        guard case .start(let second) = machine.receive(request(3), now: .now()) else {
            Issue.record("request before DRAIN_ACK refused")
            return
        }
        _ = machine.receive(.frame(.drainAck), now: .now())
        guard case .send(let refused) = machine.receive(request(5), now: .now()),
            case .response(5, let status, true, nil) = refused.first
        else {
            Issue.record("request after DRAIN_ACK accepted")
            return
        }
        #expect(status.code == RPCError.Code.unavailable.rawValue)
        _ = machine.complete(call.token, with: .message(ByteBuffer()))
        guard case .send(let last) = machine.complete(second.token, with: .message(ByteBuffer())) else {
            Issue.record("no final frames")
            return
        }
        #expect(last.last == .goAway(.noError, message: "drained"))
    }

    @Test func tooManyPingsIsGoAway() throws {
        var machine = try makeMachine()
        let now = NIODeadline.now()
        for _ in 0..<3 { _ = machine.receive(.frame(.ping(1)), now: now) }
        guard case .close(.goAway(.tooManyPings, _)?, _) = machine.receive(.frame(.ping(1)), now: now) else {
            Issue.record("ping flood accepted")
            return
        }
    }
    /// Completes one started call with `error` on a machine whose client announced `maxMetadataSize`.
    func response(to error: RPCError, clientMaxMetadataSize: UInt32) throws -> Frame? {
        let router = try MethodRouter([ServerMethod(descriptor: echo, handler: .unary { request, _ in request })])
        var machine = ServerConnectionStateMachine(router: router, settings: ConnectionSettings(), memoryBudget: 1 << 20)
        _ = machine.receive(.preface(major: 1, minor: 0), now: .now())
        _ = machine.receive(.frame(.settings([ConnectionSettings.Entry(id: 4, value: clientMaxMetadataSize)])), now: .now())
        guard case .start(let call) = machine.receive(request(1), now: .now()),
            case .send(let frames) = machine.complete(call.token, with: .error(error))
        else { return nil }
        return frames.first
    }

    @Test func trailingMetadataTheClientCannotAcceptIsLeftOut() throws {
        let metadata: Metadata = ["quota-class": .text("write")]
        let error = RPCError(code: .resourceExhausted, message: "over quota", isNotProcessed: true, metadata: metadata)
        let fits = try response(to: error, clientMaxMetadataSize: UInt32(metadata.wireSize))
        #expect(fits == .response(callID: 1, ResponseStatus(code: 8, message: "over quota", metadata: metadata), isNotProcessed: true, message: nil))
        let tooBig = try response(to: error, clientMaxMetadataSize: UInt32(metadata.wireSize - 1))
        #expect(tooBig == .response(callID: 1, ResponseStatus(code: 8, message: "over quota"), isNotProcessed: true, message: nil))
    }

    @Test func aLongStatusMessageAndMetadataStillEncodeAValidResponse() throws {
        let metadata: Metadata = ["k": .text(String(repeating: "v", count: 60_000))]
        let error = RPCError(code: .internalError, message: String(repeating: "m", count: 70_000), metadata: metadata)
        let frame = try #require(try response(to: error, clientMaxMetadataSize: UInt32.max))
        var buffer = frame.encoded()
        var decoder = FrameDecoder(maxFrameSize: ConnectionSettings().maxFrameSize, expectsPreface: false)
        guard case .frame(.response(_, let status, _, nil)) = try decoder.decodeNext(&buffer) else {
            Issue.record("the RESPONSE does not decode")
            return
        }
        #expect(status.message.utf8.count == ResponseStatus.maxMessageBytes)
        #expect(status.metadata.isEmpty)
        #expect(buffer.readableBytes == 0)
    }
}

@Suite struct ClientConnectionStateMachineTests {
    func makeReady(maxCalls: UInt32 = 2) -> ClientConnectionStateMachine {
        var machine = ClientConnectionStateMachine(settings: ConnectionSettings())
        #expect(machine.availability == .connecting)
        #expect(machine.receive(.frame(.settings([ConnectionSettings.Entry(id: 2, value: maxCalls)]))) == .ready)
        return machine
    }

    @Test func callIDsStayReservedUntilTheResponseEvenWhenAbandoned() {
        var machine = makeReady()
        let first = machine.openCall()
        let second = machine.openCall()
        #expect(first == 1 && second == 2)
        #expect(machine.availability == .full)
        #expect(machine.openCall() == nil)
        #expect(machine.abandon(1) == .send([.cancel(callID: 1)]))
        #expect(machine.availability == .full, "an abandoned call keeps its id until its RESPONSE")
        _ = machine.receive(.frame(.response(callID: 1, ResponseStatus(code: 1), isNotProcessed: false, message: nil)))
        #expect(machine.openCall() == 3)
    }

    @Test func responsesCompleteCallsWithTheirStatus() {
        var machine = makeReady()
        let id = machine.openCall() ?? 0
        let action = machine.receive(.frame(.response(callID: id, ResponseStatus(code: 14, message: "draining"), isNotProcessed: true, message: nil)))
        #expect(action == .complete(callID: id, .failure(RPCError(code: .unavailable, message: "draining", isNotProcessed: true))))
        #expect(machine.receive(.frame(.response(callID: id, .ok, isNotProcessed: false, message: nil))) == .none, "unknown ids are ignored")
    }

    @Test func pingIsAnsweredAndDrainIsAcknowledged() {
        var machine = makeReady()
        #expect(machine.receive(.frame(.ping(42))) == .send([.pong(42)]))
        #expect(machine.receive(.frame(.drain)) == .draining([.drainAck]))
        #expect(machine.availability == .draining)
        #expect(machine.openCall() == nil)
    }

    @Test func aGoAwayInsteadOfSettingsClosesWithItsReason() {
        var machine = ClientConnectionStateMachine(settings: ConnectionSettings())
        let action = machine.receive(.frame(.goAway(.resourceLimit, message: "too many connections")))
        guard case .close(let error, nil, let failing) = action else {
            Issue.record("GOAWAY as the first frame was not accepted: \(action)")
            return
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("RESOURCE_LIMIT") && error.message.contains("too many connections"))
        #expect(failing.isEmpty)
        #expect(machine.availability == .closed)
    }

    @Test func trailingMetadataOverTheClientsCapFailsThatCallOnly() throws {
        var settings = ConnectionSettings()
        settings.maxMetadataSize = 20
        var machine = ClientConnectionStateMachine(settings: settings)
        _ = machine.receive(.frame(.settings([])))
        // 4 + 3 + 13 = 20 bytes: at the cap. The reserved entry the decoder drops still counts: 4 + 6 + 0.
        let atCap = Frame.response(callID: 1, ResponseStatus(code: 0, metadata: ["k-1": .text("0123456789abc")]),
                                   isNotProcessed: false, message: ByteBuffer())
        var overCap = Frame.response(callID: 2, ResponseStatus(code: 0, metadata: ["k-1": .text("0123456789abc"), "hrpc-x": .text("")]),
                                     isNotProcessed: false, message: ByteBuffer()).encoded()
        var decoder = FrameDecoder(maxFrameSize: settings.maxFrameSize, expectsPreface: false)
        let received = try #require(try decoder.decodeNext(&overCap))
        guard case .frame(.response(_, let status, _, _)) = received else {
            Issue.record("not a RESPONSE: \(received)")
            return
        }
        #expect(status.metadata.count == 1 && status.metadataSize == 30)

        #expect(machine.openCall() == 1)
        #expect(machine.openCall() == 2)
        #expect(machine.receive(.frame(atCap)) == .complete(callID: 1, .success(ByteBuffer())))
        #expect(machine.receive(received) == .complete(
            callID: 2, .failure(RPCError(code: .resourceExhausted, message: "trailing metadata of 30 bytes exceeds max 20"))))
        #expect(machine.availability == .ready, "the connection stays")
    }

    @Test func aRequestFromTheServerIsAViolation() {
        var machine = makeReady()
        guard case .close(_, .goAway(.protocolError, _)?, _) = machine.receive(.frame(.cancel(callID: 1))) else {
            Issue.record("CANCEL from a server accepted")
            return
        }
        #expect(machine.availability == .closed)
    }
}
