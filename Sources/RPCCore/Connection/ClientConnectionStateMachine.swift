public import NIOCore

/// The client side of one connection as a value: call ids, credit, drain, and what each frame means.
///
/// A call stays in the table until its RESPONSE arrives, even after the caller gave up on it
/// (deadline, cancellation), so its id is never reused early (docs/PROTOCOL.md §4).
public struct ClientConnectionStateMachine: Sendable {
    /// What the connection handler must do.
    public enum Action: Sendable, Equatable {
        case none
        /// The server's SETTINGS arrived: the connection is ready for calls.
        case ready
        /// Write these frames.
        case send([Frame])
        /// The call ended with this RESPONSE (for a caller still waiting, if any).
        case complete(callID: UInt32, Result<ByteBuffer?, RPCError>)
        /// Fail the caller's call with the error and send CANCEL; the id stays reserved until its RESPONSE.
        case failAndCancel(callID: UInt32, RPCError)
        /// A streaming message for the call.
        case deliver(callID: UInt32, message: ByteBuffer)
        /// The call has send credit again: resume its writer.
        case creditAvailable(callID: UInt32)
        /// The server asked to drain: stop using this connection for new calls (DRAIN_ACK is in `send`).
        case draining([Frame])
        /// The connection is finished: fail every call in `failing` with `error`, then close.
        case close(error: RPCError, goAway: Frame?, failing: [UInt32])
    }

    /// Whether new calls may open.
    public enum Availability: Sendable, Equatable {
        case connecting, ready, full, draining, closed
    }

    struct Call: Sendable {
        var sendCredit: Int
        var receiveCredit: Int
        var consumedSinceGrant: Int
        var isAbandoned = false
    }

    enum Phase: Sendable {
        case awaitingSettings, active, draining, closed
    }

    /// The settings this side announces.
    public let localSettings: ConnectionSettings
    /// The server's settings.
    public private(set) var peerSettings = ConnectionSettings()
    private var phase: Phase = .awaitingSettings
    private var calls: [UInt32: Call] = [:]
    private var lastCallID: UInt32 = 0

    public init(settings: ConnectionSettings) {
        var settings = settings
        settings.maxConcurrentCalls = 0
        self.localSettings = settings
    }

    /// The frames a client sends first: its SETTINGS (the preface is raw bytes, ``FrameDecoder/preface``).
    public var openingFrames: [Frame] { [.settings(localSettings.entries)] }

    /// Calls whose RESPONSE has not arrived, abandoned ones included.
    public var openCalls: Int { calls.count }

    /// Whether a new call may open now.
    public var availability: Availability {
        switch phase {
        case .awaitingSettings: .connecting
        case .draining: .draining
        case .closed: .closed
        case .active: calls.count < Int(peerSettings.maxConcurrentCalls) ? .ready : .full
        }
    }

    /// Reserves a call id for a new call, or nil unless ``availability`` is `.ready`.
    public mutating func openCall() -> UInt32? {
        guard availability == .ready else { return nil }
        repeat {
            lastCallID = lastCallID == UInt32.max ? 1 : lastCallID + 1
        } while calls[lastCallID] != nil
        calls[lastCallID] = Call(sendCredit: Int(peerSettings.initialCallCredit),
                                 receiveCredit: Int(localSettings.initialCallCredit), consumedSinceGrant: 0)
        return lastCallID
    }

    /// The caller gave up on the call (deadline or cancellation): CANCEL to send; the id stays reserved
    /// until the RESPONSE arrives.
    public mutating func abandon(_ callID: UInt32) -> Action {
        guard var call = calls[callID], !call.isAbandoned else { return .none }
        call.isAbandoned = true
        calls[callID] = call
        return .send([.cancel(callID: callID)])
    }

    /// Takes one send credit for a DATA message: true if it may go now, false if the writer must wait,
    /// nil if the call is over.
    public mutating func takeSendCredit(_ callID: UInt32) -> Bool? {
        guard var call = calls[callID], !call.isAbandoned else { return nil }
        guard call.sendCredit > 0 else { return false }
        call.sendCredit -= 1
        calls[callID] = call
        return true
    }

    /// The caller read one streaming message: a CREDIT to send once half the initial credit is used.
    public mutating func messageConsumed(_ callID: UInt32) -> Action {
        guard var call = calls[callID] else { return .none }
        call.consumedSinceGrant += 1
        guard call.consumedSinceGrant >= max(1, Int(localSettings.initialCallCredit) / 2) else {
            calls[callID] = call
            return .none
        }
        let increment = call.consumedSinceGrant
        call.receiveCredit += increment
        call.consumedSinceGrant = 0
        calls[callID] = call
        return .send([.credit(callID: callID, increment: UInt32(increment))])
    }

    /// Feeds one decoded event from the server.
    public mutating func receive(_ event: FrameDecoder.Event) -> Action {
        guard phase != .closed else { return .none }
        switch event {
        case .preface:
            return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "a server sends no preface"))
        case .ignored:
            return .none
        case .oversized(let callID, let type, let length):
            guard type == .response || type == .data else {
                return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "\(type) sent by a server"))
            }
            let error = RPCError(code: .resourceExhausted, message: "frame of \(length) bytes exceeds max \(localSettings.maxFrameSize)")
            guard calls[callID] != nil else { return .none }
            if type == .response {
                calls[callID] = nil
                return .complete(callID: callID, .failure(error))
            }
            guard case .send = abandon(callID) else { return .none }
            return .failAndCancel(callID: callID, error)
        case .frame(let frame):
            if phase == .awaitingSettings {
                // A server refusing the connection (bad preface, connection limit, timeout) sends only GOAWAY.
                if case .goAway = frame { return receive(frame) }
                guard case .settings(let entries) = frame else {
                    return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "the first frame must be SETTINGS"))
                }
                peerSettings.apply(entries, isFirst: true)
                phase = .active
                return .ready
            }
            return receive(frame)
        }
    }

    private mutating func receive(_ frame: Frame) -> Action {
        switch frame {
        case .response(let callID, let status, let isNotProcessed, let message):
            guard let call = calls.removeValue(forKey: callID) else { return .none }
            if call.isAbandoned { return .complete(callID: callID, .failure(RPCError(code: .cancelled, message: "abandoned"))) }
            // Over this side's cap the call fails, not the connection; the server did process it (§5.6).
            guard status.metadataSize <= Int(localSettings.maxMetadataSize) else {
                let text = "trailing metadata of \(status.metadataSize) bytes exceeds max \(localSettings.maxMetadataSize)"
                return .complete(callID: callID, .failure(RPCError(code: .resourceExhausted, message: text)))
            }
            if let error = status.error(isNotProcessed: isNotProcessed) { return .complete(callID: callID, .failure(error)) }
            return .complete(callID: callID, .success(message))
        case .data(let callID, let message, _):
            guard var call = calls[callID] else { return .none }
            guard let message else {
                return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "server DATA without a message on call \(callID)"))
            }
            guard call.receiveCredit > 0 else {
                return violation(ProtocolViolation(.flowControl, .flowControlError, "DATA on call \(callID) beyond its credit"))
            }
            call.receiveCredit -= 1
            calls[callID] = call
            return call.isAbandoned ? .none : .deliver(callID: callID, message: message)
        case .credit(let callID, let increment):
            guard var call = calls[callID] else { return .none }
            guard call.sendCredit + Int(increment) <= Int(ConnectionSettings.maximumWindow) else {
                return violation(ProtocolViolation(.flowControl, .flowControlError, "credit for call \(callID) above 2^31-1"))
            }
            let wasBlocked = call.sendCredit == 0
            call.sendCredit += Int(increment)
            calls[callID] = call
            return wasBlocked ? .creditAvailable(callID: callID) : .none
        case .settings(let entries):
            peerSettings.apply(entries, isFirst: false)
            return .none
        case .ping(let data):
            return .send([.pong(data)])
        case .pong:
            return .none
        case .drain:
            if phase == .active { phase = .draining }
            return .draining([.drainAck])
        case .goAway(let error, let message):
            let failing = Array(calls.keys)
            calls.removeAll()
            phase = .closed
            return .close(error: RPCError(code: .unavailable, message: "server closed the connection: \(error) \(message)"),
                          goAway: nil, failing: failing)
        case .request, .cancel, .drainAck:
            return violation(ProtocolViolation(.unexpectedFrame, .protocolError, "\(frame.type) sent by a server"))
        }
    }

    /// The connection closed underneath: every call fails with UNAVAILABLE.
    public mutating func closed() -> [UInt32] {
        phase = .closed
        defer { calls.removeAll() }
        return Array(calls.keys)
    }

    private mutating func violation(_ violation: ProtocolViolation) -> Action {
        let failing = closed()
        return .close(error: RPCError(code: .unavailable, message: "protocol error from server: \(violation.message)"),
                      goAway: .goAway(violation.goAwayError, message: violation.message), failing: failing)
    }
}
