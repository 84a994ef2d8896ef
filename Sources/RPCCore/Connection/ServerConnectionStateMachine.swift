public import NIOCore

/// The server side of one connection as a value: which calls are open, their credit, limits, drain.
///
/// The channel handler feeds it decoded events and the completions of handlers, and executes the
/// ``Action`` it returns; it holds no I/O. Every call gets a ``CallToken`` whose serial is unique for
/// the connection, so a handler that finishes after its call was answered (cancel, deadline) and its
/// id reused can never answer the new call.
public struct ServerConnectionStateMachine: Sendable {
    /// Identifies one call: the client's id plus a connection-unique serial.
    public struct CallToken: Hashable, Sendable {
        public let callID: UInt32
        public let serial: UInt64
    }

    /// A call the handler must start.
    public struct StartedCall: Sendable {
        public let token: CallToken
        public let method: ServerMethod
        public let head: RequestHead
        public let message: ByteBuffer?
        public let isEndStream: Bool
    }

    /// What the channel handler must do.
    public enum Action: Sendable {
        case none
        /// The client's first SETTINGS arrived: the connection is open for calls (start keepalive).
        case handshakeCompleted
        /// Write these frames.
        case send([Frame])
        /// Run a handler for a new call.
        case start(StartedCall)
        /// Hand a client message (or the half-close, `message` nil) to a streaming handler.
        case deliver(CallToken, message: ByteBuffer?, isEndStream: Bool)
        /// Stop the handler of a call whose RESPONSE has been sent (cancel, deadline, error), and send `frames`.
        case cancel(CallToken, send: [Frame])
        /// The call has new send credit: resume its waiting writer.
        case creditAvailable(CallToken)
        /// Send `goAway` if any (a violation), stop every handler in `cancel`, close.
        case close(goAway: Frame?, cancel: [CallToken])
        /// Drain finished: send GOAWAY NO_ERROR and close.
        case closeGracefully
    }

    /// Whether a streaming handler's DATA message may go out, from ``sendMessage(_:size:)``.
    public enum SendDecision: Sendable {
        /// Send it now: one credit was taken.
        case send
        /// No credit: wait for ``Action/creditAvailable(_:)``.
        case wait
        /// The call is over; the message is dropped.
        case callEnded
        /// The message is over the client's MAX_FRAME_SIZE: the call ends with `action` (RESPONSE
        /// RESOURCE_EXHAUSTED, stop the handler), and `error` is what the handler's write throws.
        case tooLarge(Action, error: RPCError)
    }

    /// How a call's handler ended, to turn into its RESPONSE.
    public enum Completion: Sendable {
        case message(ByteBuffer)
        case noMessage
        case error(RPCError)
    }

    enum Phase: Sendable {
        case awaitingPreface, awaitingSettings, active, closed
    }

    enum DrainPhase: Sendable {
        case none, sent, acknowledged
    }

    struct Call: Sendable {
        var serial: UInt64
        var kind: MethodDescriptor.Kind
        var isClientHalfClosed: Bool
        /// DATA messages this side may still send.
        var sendCredit: Int
        /// DATA messages the client may still send.
        var receiveCredit: Int
        /// Messages the handler consumed since the last CREDIT sent.
        var consumedSinceGrant: Int
        /// Bytes of delivered but unconsumed messages, counted against the memory budget.
        var bufferedBytes: Int
    }

    /// The settings this side announces.
    public let localSettings: ConnectionSettings
    /// The settings the client announced.
    public private(set) var peerSettings = ConnectionSettings()
    /// Bytes of request messages held by open calls that the connection may buffer at most.
    public let memoryBudget: Int
    private let router: MethodRouter
    private var phase: Phase = .awaitingPreface
    private var drain: DrainPhase = .none
    private var calls: [UInt32: Call] = [:]
    private var nextSerial: UInt64 = 1
    private var bufferedBytes = 0
    private var lastPing: NIODeadline?
    private var pingStrikes = 0

    public init(router: MethodRouter, settings: ConnectionSettings, memoryBudget: Int) {
        self.router = router
        self.localSettings = settings
        self.memoryBudget = memoryBudget
    }

    /// The number of open calls.
    public var openCalls: Int { calls.count }
    /// Whether the preface or the client's first SETTINGS is still to come.
    public var isAwaitingHandshake: Bool { phase == .awaitingPreface || phase == .awaitingSettings }
    /// Whether a drain has begun.
    public var isDraining: Bool { drain != .none }

    // MARK: Inbound

    /// Feeds one decoded event.
    public mutating func receive(_ event: FrameDecoder.Event, now: NIODeadline) -> Action {
        switch (phase, event) {
        case (.closed, _):
            return .none
        case (.awaitingPreface, .preface):
            phase = .awaitingSettings
            return .send([.settings(localSettings.entries)])
        case (.awaitingSettings, .frame(.settings(let entries))):
            peerSettings.apply(entries, isFirst: true)
            phase = .active
            return .handshakeCompleted
        case (.awaitingSettings, _), (.awaitingPreface, _):
            return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "the first frame must be SETTINGS"))
        case (.active, .preface):
            return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "preface sent twice"))
        case (.active, .ignored):
            return .none
        case (.active, .oversized(let callID, let type, let length)):
            return receiveOversized(callID: callID, type: type, length: length)
        case (.active, .frame(let frame)):
            return receive(frame, now: now)
        }
    }

    private mutating func receive(_ frame: Frame, now: NIODeadline) -> Action {
        switch frame {
        case .request(let callID, let head, let message, let endStream):
            return receiveRequest(callID: callID, head: head, message: message, isEndStream: endStream)
        case .data(let callID, let message, let endStream):
            return receiveData(callID: callID, message: message, isEndStream: endStream)
        case .cancel(let callID):
            guard let call = calls.removeValue(forKey: callID) else { return .none }
            return finishRemoved(callID, call, send: [response(callID, RPCError(code: .cancelled, message: "cancelled by the client"))])
        case .credit(let callID, let increment):
            guard var call = calls[callID] else { return .none }
            let total = call.sendCredit + Int(increment)
            guard total <= Int(ConnectionSettings.maximumWindow) else {
                return violation(ProtocolViolation(.flowControl, .flowControlError, "credit for call \(callID) above 2^31-1"))
            }
            let wasBlocked = call.sendCredit == 0
            call.sendCredit = total
            calls[callID] = call
            return wasBlocked ? .creditAvailable(CallToken(callID: callID, serial: call.serial)) : .none
        case .settings(let entries):
            peerSettings.apply(entries, isFirst: false)
            return .none
        case .ping(let data):
            if let lastPing, now - lastPing < .milliseconds(Int64(localSettings.minPingIntervalMilliseconds)) {
                pingStrikes += 1
                if pingStrikes > 2 {
                    return violation(ProtocolViolation(.tooManyPings, .tooManyPings, "too many pings: more than one per \(localSettings.minPingIntervalMilliseconds) ms"))
                }
            }
            lastPing = now
            return .send([.pong(data)])
        case .pong:
            return .none
        case .drainAck:
            guard drain == .sent else {
                return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "DRAIN_ACK without DRAIN"))
            }
            drain = .acknowledged
            return closeIfDrained()
        case .goAway:
            return closeForPeerGoAway()
        case .response, .drain:
            return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "\(frame.type) sent by a client"))
        }
    }

    private mutating func receiveRequest(callID: UInt32, head: RequestHead, message: ByteBuffer?, isEndStream: Bool) -> Action {
        guard calls[callID] == nil else {
            return violation(ProtocolViolation(.duplicateCallID, .duplicateCallID, "REQUEST for call \(callID), which is open"))
        }
        func refuse(_ code: RPCError.Code, _ text: String) -> Action {
            .send([response(callID, RPCError(code: code, message: text, isNotProcessed: true))])
        }
        if drain == .acknowledged {
            return refuse(.unavailable, "connection is draining: open new calls on another connection")
        }
        if calls.count >= Int(localSettings.maxConcurrentCalls) {
            return refuse(.resourceExhausted, "too many concurrent calls: limit is \(localSettings.maxConcurrentCalls) per connection")
        }
        if head.metadataSize > Int(localSettings.maxMetadataSize) {
            return refuse(.resourceExhausted, "metadata of \(head.metadataSize) bytes exceeds max \(localSettings.maxMetadataSize)")
        }
        let size = message?.readableBytes ?? 0
        if bufferedBytes + size > memoryBudget {
            return refuse(.resourceExhausted, "connection memory budget of \(memoryBudget) bytes is in use")
        }
        guard let method = router.method(id: head.methodID, name: head.methodName) else {
            return refuse(.unimplemented, "unknown method id 0x\(String(head.methodID, radix: 16, uppercase: true)) name \"\(head.methodName)\"")
        }
        let kind = method.descriptor.kind
        if kind == .unary, message == nil || !isEndStream {
            return refuse(.invalidArgument, "a unary REQUEST must carry one message and END_STREAM")
        }
        let serial = nextSerial
        nextSerial += 1
        bufferedBytes += size
        calls[callID] = Call(
            serial: serial, kind: kind, isClientHalfClosed: isEndStream,
            sendCredit: Int(peerSettings.initialCallCredit), receiveCredit: Int(localSettings.initialCallCredit),
            consumedSinceGrant: 0, bufferedBytes: size)
        return .start(StartedCall(token: CallToken(callID: callID, serial: serial), method: method, head: head,
                                  message: message, isEndStream: isEndStream))
    }

    private mutating func receiveData(callID: UInt32, message: ByteBuffer?, isEndStream: Bool) -> Action {
        guard var call = calls[callID] else { return .none }
        guard !call.isClientHalfClosed else {
            return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "DATA on call \(callID) after END_STREAM"))
        }
        if let message {
            guard call.receiveCredit > 0 else {
                return violation(ProtocolViolation(.flowControl, .flowControlError, "DATA on call \(callID) beyond its credit"))
            }
            guard bufferedBytes + message.readableBytes <= memoryBudget else {
                return violation(ProtocolViolation(.flowControl, .resourceLimit, "connection memory budget of \(memoryBudget) bytes exceeded"))
            }
            call.receiveCredit -= 1
            call.bufferedBytes += message.readableBytes
            bufferedBytes += message.readableBytes
        }
        call.isClientHalfClosed = isEndStream
        calls[callID] = call
        return .deliver(CallToken(callID: callID, serial: call.serial), message: message, isEndStream: isEndStream)
    }

    private mutating func receiveOversized(callID: UInt32, type: FrameType, length: UInt32) -> Action {
        let text = "frame of \(length) bytes exceeds max \(localSettings.maxFrameSize)"
        switch type {
        case .request:
            guard calls[callID] == nil else {
                return violation(ProtocolViolation(.duplicateCallID, .duplicateCallID, "REQUEST for call \(callID), which is open"))
            }
            return .send([response(callID, RPCError(code: .resourceExhausted, message: text, isNotProcessed: true))])
        case .data:
            guard let call = calls.removeValue(forKey: callID) else { return .none }
            return finishRemoved(callID, call, send: [response(callID, RPCError(code: .resourceExhausted, message: text))])
        default:
            return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "\(type) sent by a client"))
        }
    }

    // MARK: Handler side

    /// The handler of `token` consumed one delivered message of `size` bytes: returns a CREDIT to
    /// send once half the initial credit has been consumed.
    public mutating func messageConsumed(_ token: CallToken, size: Int) -> Action {
        guard var call = calls[token.callID], call.serial == token.serial else { return .none }
        call.bufferedBytes -= size
        bufferedBytes -= size
        call.consumedSinceGrant += 1
        var action = Action.none
        if call.consumedSinceGrant >= max(1, Int(localSettings.initialCallCredit) / 2), !call.isClientHalfClosed {
            action = .send([.credit(callID: token.callID, increment: UInt32(call.consumedSinceGrant))])
            call.receiveCredit += call.consumedSinceGrant
            call.consumedSinceGrant = 0
        }
        calls[token.callID] = call
        return action
    }

    /// Decides whether the handler of `token` may send a DATA message of `size` bytes now, and takes
    /// one send credit if so. A message over the client's MAX_FRAME_SIZE is never sent: the call ends
    /// with RESOURCE_EXHAUSTED instead (docs/PROTOCOL.md §5.3).
    public mutating func sendMessage(_ token: CallToken, size: Int) -> SendDecision {
        guard var call = calls[token.callID], call.serial == token.serial else { return .callEnded }
        // A DATA frame's `length` is its message: the one compare that keeps oversized frames off the wire.
        guard size <= Int(peerSettings.maxFrameSize) else {
            calls[token.callID] = nil
            let error = RPCError(code: .resourceExhausted, message: oversizedMessage(.data, length: size))
            return .tooLarge(finishRemoved(token.callID, call, send: [response(token.callID, error)]), error: error)
        }
        guard call.sendCredit > 0 else { return .wait }
        call.sendCredit -= 1
        calls[token.callID] = call
        return .send
    }

    /// The handler of `token` ended: the RESPONSE to send, unless the call was already answered.
    public mutating func complete(_ token: CallToken, with completion: Completion) -> Action {
        guard let call = calls[token.callID], call.serial == token.serial else { return .none }
        calls[token.callID] = nil
        bufferedBytes -= call.bufferedBytes
        let frame: Frame = switch completion {
        case .message(let message): fitted(.response(callID: token.callID, .ok, isNotProcessed: false, message: message))
        case .noMessage: .response(callID: token.callID, .ok, isNotProcessed: false, message: nil)
        case .error(let error): response(token.callID, error)
        }
        return withDrainCheck(.send([frame]))
    }

    /// The deadline of `token` passed: answer DEADLINE_EXCEEDED and stop its handler.
    public mutating func deadlineExceeded(_ token: CallToken) -> Action {
        guard let call = calls[token.callID], call.serial == token.serial else { return .none }
        calls[token.callID] = nil
        return finishRemoved(token.callID, call, send: [response(token.callID, RPCError(code: .deadlineExceeded, message: "deadline exceeded"))])
    }

    // MARK: Connection lifecycle

    /// Begins a graceful drain: DRAIN to send, or nothing if one is under way or the handshake is not done.
    public mutating func startDrain() -> Action {
        guard phase == .active, drain == .none else { return .none }
        drain = .sent
        return .send([.drain])
    }

    /// The grace period ended: answer every open call UNAVAILABLE, stop the handlers, and close.
    public mutating func forceClose(reason: String) -> (frames: [Frame], cancel: [CallToken]) {
        let open = calls
        calls.removeAll()
        bufferedBytes = 0
        phase = .closed
        let error = RPCError(code: .unavailable, message: reason)
        return (open.map { response($0.key, error) } + [.goAway(.noError, message: reason)],
                open.map { CallToken(callID: $0.key, serial: $0.value.serial) })
    }

    /// The connection closed: the tokens whose handlers must be cancelled.
    public mutating func closed() -> [CallToken] {
        phase = .closed
        defer { calls.removeAll() }
        return calls.map { CallToken(callID: $0.key, serial: $0.value.serial) }
    }

    private mutating func finishRemoved(_ callID: UInt32, _ call: Call, send frames: [Frame]) -> Action {
        bufferedBytes -= call.bufferedBytes
        return withDrainCheck(.cancel(CallToken(callID: callID, serial: call.serial), send: frames))
    }

    private mutating func withDrainCheck(_ action: Action) -> Action {
        guard drain == .acknowledged, calls.isEmpty else { return action }
        switch action {
        case .send(let frames):
            phase = .closed
            return .send(frames + [.goAway(.noError, message: "drained")])
        case .cancel(let token, let frames):
            phase = .closed
            return .cancel(token, send: frames + [.goAway(.noError, message: "drained")])
        default:
            return action
        }
    }

    private mutating func closeIfDrained() -> Action {
        guard calls.isEmpty else { return .none }
        phase = .closed
        return .closeGracefully
    }

    private mutating func closeForPeerGoAway() -> Action {
        .close(goAway: nil, cancel: closed())
    }

    private mutating func violation(_ violation: ProtocolViolation) -> Action {
        .close(goAway: .goAway(violation.goAwayError, message: violation.message), cancel: closed())
    }

    /// The RESPONSE for `error`. Its trailing metadata is left out when the client could not accept it:
    /// over the client's MAX_METADATA_SIZE, or too large for the 16-bit `meta_len` beside the status message.
    private func response(_ callID: UInt32, _ error: RPCError) -> Frame {
        var status = ResponseStatus(error)
        let room = Int(UInt16.max) - 3 - min(status.message.utf8.count, ResponseStatus.maxMessageBytes)
        if status.metadata.wireSize > min(Int(peerSettings.maxMetadataSize), room) {
            status.metadata = [:]
        }
        return fitted(.response(callID: callID, status, isNotProcessed: error.isNotProcessed, message: nil))
    }

    /// `response` itself, or, when its `length` is over the client's MAX_FRAME_SIZE, RESOURCE_EXHAUSTED
    /// naming both sizes in its place (NOT_PROCESSED kept), which always fits (docs/PROTOCOL.md §5.2).
    private func fitted(_ response: Frame) -> Frame {
        let length = response.length
        guard length > Int(peerSettings.maxFrameSize), case .response(let callID, _, let isNotProcessed, _) = response else {
            return response
        }
        let status = ResponseStatus(code: RPCError.Code.resourceExhausted.rawValue,
                                    message: oversizedMessage(.response, length: length))
        return .response(callID: callID, status, isNotProcessed: isNotProcessed, message: nil)
    }

    /// The status message of a call ended because its next frame would exceed the client's MAX_FRAME_SIZE.
    private func oversizedMessage(_ type: FrameType, length: Int) -> String {
        "\(type) frame of \(length) bytes exceeds the client's max \(peerSettings.maxFrameSize)"
    }
}
