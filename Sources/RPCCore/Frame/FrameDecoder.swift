public import NIOCore

/// Turns bytes into frames: the preface first (on the server side), then 12-byte headers and bodies.
///
/// The header's `length` is checked against ``maxFrameSize`` before anything is buffered, so an
/// oversized frame never causes an allocation: a call frame (REQUEST, DATA, RESPONSE) over the limit is
/// reported as ``Event/oversized(callID:type:length:)`` and its bytes are discarded as they arrive;
/// any other oversized frame is a ``ProtocolViolation``. On a short read nothing is consumed.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    /// What the decoder produced.
    public enum Event: Sendable, Hashable {
        /// A valid preface with the client's version.
        case preface(major: UInt8, minor: UInt8)
        /// A whole frame.
        case frame(Frame)
        /// A call frame over the size limit whose body is being skipped.
        case oversized(callID: UInt32, type: FrameType, length: UInt32)
        /// An extension frame (type ≥ 0x80) that was skipped.
        case ignored(type: UInt8)
    }

    public typealias InboundOut = Event

    /// The 8 bytes a version 1.0 client sends first.
    public static let preface: [UInt8] = [0x48, 0x52, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00]
    /// The size of every frame header.
    public static let headerSize = 12

    /// The largest `length` accepted (this side's MAX_FRAME_SIZE).
    public var maxFrameSize: UInt32
    private var expectsPreface: Bool
    private var bytesToSkip: Int = 0

    /// A decoder for the server side (`expectsPreface`) or the client side.
    public init(maxFrameSize: UInt32, expectsPreface: Bool) {
        self.maxFrameSize = maxFrameSize
        self.expectsPreface = expectsPreface
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Event? {
        try decodeNext(&buffer)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Event? {
        try decodeNext(&buffer)
    }

    /// The next event, nil if more bytes are needed.
    public mutating func decodeNext(_ buffer: inout ByteBuffer) throws(ProtocolViolation) -> Event? {
        if expectsPreface { return try decodePreface(&buffer) }
        while bytesToSkip > 0 {
            let count = min(bytesToSkip, buffer.readableBytes)
            guard count > 0 else { return nil }
            buffer.moveReaderIndex(forwardBy: count)
            bytesToSkip -= count
        }
        let start = buffer.readerIndex
        guard let (length, callID, rawType, rawFlags, metaLength) = buffer.getMultipleIntegers(
            at: start, as: (UInt32, UInt32, UInt8, UInt8, UInt16).self)
        else { return nil }

        guard let type = FrameType(rawValue: rawType) else {
            guard rawType & FrameType.ignorableBit != 0 else {
                throw ProtocolViolation(.unknownFrameType, .protocolError, "unknown frame type 0x\(String(rawType, radix: 16))")
            }
            skip(Self.headerSize + Int(length), in: &buffer)
            return .ignored(type: rawType)
        }
        guard type.isCallScoped == (callID != 0) else {
            throw ProtocolViolation(.badCallID, .protocolError, "\(type) frame with call id \(callID)")
        }
        if length > maxFrameSize {
            guard type == .request || type == .data || type == .response else {
                throw ProtocolViolation(.frameTooLarge, .frameTooLarge, "\(type) frame of \(length) bytes exceeds max \(maxFrameSize)")
            }
            skip(Self.headerSize + Int(length), in: &buffer)
            return .oversized(callID: callID, type: type, length: length)
        }
        guard Int(metaLength) <= Int(length) else {
            throw ProtocolViolation(.metaExceedsLength, .protocolError, "meta_len \(metaLength) exceeds length \(length)")
        }
        guard buffer.readableBytes >= Self.headerSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: Self.headerSize)
        guard var meta = buffer.readSlice(length: Int(metaLength)),
            let payload = buffer.readSlice(length: Int(length) - Int(metaLength))
        else { return nil }
        let frame = try Self.parse(type, callID: callID, flags: FrameFlags(rawValue: rawFlags), meta: &meta, payload: payload)
        return .frame(frame)
    }

    private mutating func skip(_ count: Int, in buffer: inout ByteBuffer) {
        let now = min(count, buffer.readableBytes)
        buffer.moveReaderIndex(forwardBy: now)
        bytesToSkip = count - now
    }

    private mutating func decodePreface(_ buffer: inout ByteBuffer) throws(ProtocolViolation) -> Event? {
        let available = buffer.readableBytesView.prefix(Self.preface.count)
        for (offset, byte) in available.prefix(4).enumerated() where byte != Self.preface[offset] {
            throw Self.classifyForeignPreface(Array(available))
        }
        guard available.count == Self.preface.count else { return nil }
        let major = available[available.startIndex + 4]
        let minor = available[available.startIndex + 5]
        guard major == 1 else {
            throw ProtocolViolation(.unsupportedVersion, .unsupportedVersion, "client speaks \(major).\(minor), server speaks 1.0")
        }
        buffer.moveReaderIndex(forwardBy: Self.preface.count)
        expectsPreface = false
        return .preface(major: major, minor: minor)
    }

    /// Names what a peer that is not a HabitRPC client probably is, from its first bytes.
    private static func classifyForeignPreface(_ bytes: [UInt8]) -> ProtocolViolation {
        if bytes.first == 0x16 {
            return ProtocolViolation(.badPrefaceTLS, .protocolError, "bad preface: TLS handshake on a plaintext HabitRPC port")
        }
        let isLetter = { (byte: UInt8) in (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }
        let head = bytes.prefix(4)
        if head.count == 4, head.prefix(3).allSatisfy(isLetter), isLetter(head[3]) || head[3] == UInt8(ascii: " ") {
            return ProtocolViolation(.badPrefaceHTTP, .protocolError, "bad preface: HTTP request on a HabitRPC port")
        }
        return ProtocolViolation(.badPreface, .protocolError, "bad preface: not a HabitRPC client")
    }

    /// Checks a frame body against the layout of its type.
    static func parse(
        _ type: FrameType, callID: UInt32, flags: FrameFlags, meta: inout ByteBuffer, payload: ByteBuffer
    ) throws(ProtocolViolation) -> Frame {
        let message = try messagePayload(type, flags: flags, payload: payload)
        switch type {
        case .request:
            guard let (methodID, timeout, nameLength) = meta.readMultipleIntegers(as: (UInt32, UInt64, UInt16).self),
                let nameBytes = meta.readSlice(length: Int(nameLength))
            else { throw malformed(type, "method_id, timeout_us, name") }
            guard let name = String(validating: nameBytes.readableBytesView, as: UTF8.self) else {
                throw malformed(type, "method name is not UTF-8")
            }
            let metadataSize = meta.readableBytes
            var head = RequestHead(methodID: methodID, methodName: name, timeoutMicroseconds: timeout,
                                   metadata: try Metadata.read(from: &meta))
            head.metadataSize = metadataSize
            return .request(callID: callID, head, message: message, endStream: flags.contains(.endStream))
        case .response:
            guard let (code, messageLength) = meta.readMultipleIntegers(as: (UInt8, UInt16).self),
                let text = meta.readSlice(length: Int(messageLength))
            else { throw malformed(type, "code, status message") }
            if code != 0 && message != nil {
                throw ProtocolViolation(.messageOnError, .protocolError, "RESPONSE with status \(code) carries a message")
            }
            let metadataSize = meta.readableBytes
            var status = ResponseStatus(code: code, message: String(decoding: text.readableBytesView, as: UTF8.self),
                                        metadata: try Metadata.read(from: &meta))
            status.metadataSize = metadataSize
            return .response(callID: callID, status, isNotProcessed: flags.contains(.notProcessed), message: message)
        case .data:
            try expectEmptyMeta(type, meta)
            if message == nil && !flags.contains(.endStream) {
                throw ProtocolViolation(.missingMessage, .protocolError, "DATA with NO_MESSAGE but without END_STREAM")
            }
            return .data(callID: callID, message: message, endStream: flags.contains(.endStream))
        case .cancel:
            try expectEmpty(type, meta, payload)
            return .cancel(callID: callID)
        case .credit:
            guard meta.readableBytes == 4, payload.readableBytes == 0, let increment = meta.readInteger(as: UInt32.self) else {
                throw malformed(type, "meta must be a 4-byte increment and payload empty")
            }
            guard increment > 0 else { throw ProtocolViolation(.zeroCredit, .protocolError, "CREDIT increment 0") }
            return .credit(callID: callID, increment: increment)
        case .settings:
            guard meta.readableBytes % 6 == 0, payload.readableBytes == 0 else {
                throw ProtocolViolation(.badSettings, .protocolError, "SETTINGS meta of \(meta.readableBytes) bytes is not a multiple of 6")
            }
            var entries: [ConnectionSettings.Entry] = []
            entries.reserveCapacity(meta.readableBytes / 6)
            while let (id, value) = meta.readMultipleIntegers(as: (UInt16, UInt32).self) {
                let entry = ConnectionSettings.Entry(id: id, value: value)
                try ConnectionSettings.validate(entry)
                entries.append(entry)
            }
            return .settings(entries)
        case .ping, .pong:
            var payload = payload
            guard meta.readableBytes == 0, payload.readableBytes == 8, let data = payload.readInteger(as: UInt64.self) else {
                throw ProtocolViolation(.badPing, .protocolError, "\(type) must carry exactly 8 payload bytes and no meta")
            }
            return type == .ping ? .ping(data) : .pong(data)
        case .drain:
            try expectEmpty(type, meta, payload)
            return .drain
        case .drainAck:
            try expectEmpty(type, meta, payload)
            return .drainAck
        case .goAway:
            guard payload.readableBytes == 0, let error = meta.readInteger(as: UInt32.self) else {
                throw malformed(type, "meta must start with a 4-byte error and payload be empty")
            }
            return .goAway(GoAwayError(rawValue: error), message: String(decoding: meta.readableBytesView, as: UTF8.self))
        }
    }

    private static func messagePayload(_ type: FrameType, flags: FrameFlags, payload: ByteBuffer) throws(ProtocolViolation) -> ByteBuffer? {
        switch type {
        case .request, .response, .data:
            if flags.contains(.noMessage) {
                guard payload.readableBytes == 0 else { throw malformed(type, "NO_MESSAGE set but payload is not empty") }
                return nil
            }
            return payload
        default:
            return nil
        }
    }

    private static func expectEmptyMeta(_ type: FrameType, _ meta: ByteBuffer) throws(ProtocolViolation) {
        guard meta.readableBytes == 0 else { throw malformed(type, "meta must be empty") }
    }

    private static func expectEmpty(_ type: FrameType, _ meta: ByteBuffer, _ payload: ByteBuffer) throws(ProtocolViolation) {
        guard meta.readableBytes == 0, payload.readableBytes == 0 else { throw malformed(type, "meta and payload must be empty") }
    }

    private static func malformed(_ type: FrameType, _ detail: String) -> ProtocolViolation {
        ProtocolViolation(.malformedMeta, .protocolError, "malformed \(type): \(detail)")
    }
}
