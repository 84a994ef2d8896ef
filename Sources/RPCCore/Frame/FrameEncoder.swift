public import NIOCore

extension Frame {
    /// Appends the frame's bytes: the exact size is computed first and reserved once.
    ///
    /// Metadata must have passed ``Metadata/validateForWire()`` and fit `meta_len`; a status message
    /// longer than ``ResponseStatus/maxMessageBytes`` is cut to that length.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .request(let callID, let head, let message, let endStream):
            let nameLength = min(head.methodName.utf8.count, Int(UInt16.max))
            let metaLength = Self.requestMetaLength(head, nameLength: nameLength)
            var flags: FrameFlags = endStream ? .endStream : []
            if message == nil { flags.insert(.noMessage) }
            Self.writeHeader(into: &buffer, callID: callID, type: .request, flags: flags, metaLength: metaLength,
                             payloadLength: message?.readableBytes ?? 0)
            buffer.writeMultipleIntegers(head.methodID, head.timeoutMicroseconds, UInt16(nameLength))
            buffer.writeBytes(head.methodName.utf8.prefix(nameLength))
            head.metadata.write(to: &buffer)
            if let message { buffer.writeImmutableBuffer(message) }
        case .response(let callID, let status, let isNotProcessed, let message):
            let text = status.message.utf8.prefix(ResponseStatus.maxMessageBytes)
            var flags: FrameFlags = isNotProcessed ? .notProcessed : []
            if message == nil { flags.insert(.noMessage) }
            Self.writeHeader(into: &buffer, callID: callID, type: .response, flags: flags,
                             metaLength: Self.responseMetaLength(status, messageLength: text.count),
                             payloadLength: message?.readableBytes ?? 0)
            buffer.writeMultipleIntegers(status.code, UInt16(text.count))
            buffer.writeBytes(text)
            status.metadata.write(to: &buffer)
            if let message { buffer.writeImmutableBuffer(message) }
        case .data(let callID, let message, let endStream):
            var flags: FrameFlags = endStream ? .endStream : []
            if message == nil { flags.insert(.noMessage) }
            Self.writeHeader(into: &buffer, callID: callID, type: .data, flags: flags, metaLength: 0,
                             payloadLength: message?.readableBytes ?? 0)
            if let message { buffer.writeImmutableBuffer(message) }
        case .cancel(let callID):
            Self.writeHeader(into: &buffer, callID: callID, type: .cancel, flags: [], metaLength: 0, payloadLength: 0)
        case .credit(let callID, let increment):
            Self.writeHeader(into: &buffer, callID: callID, type: .credit, flags: [], metaLength: 4, payloadLength: 0)
            buffer.writeInteger(increment)
        case .settings(let entries):
            Self.writeHeader(into: &buffer, callID: 0, type: .settings, flags: [], metaLength: 6 * entries.count, payloadLength: 0)
            for entry in entries { buffer.writeMultipleIntegers(entry.id, entry.value) }
        case .ping(let data), .pong(let data):
            Self.writeHeader(into: &buffer, callID: 0, type: type, flags: [], metaLength: 0, payloadLength: 8)
            buffer.writeInteger(data)
        case .drain, .drainAck:
            Self.writeHeader(into: &buffer, callID: 0, type: type, flags: [], metaLength: 0, payloadLength: 0)
        case .goAway(let error, let message):
            let text = message.utf8.prefix(Self.maxGoAwayMessageBytes)
            Self.writeHeader(into: &buffer, callID: 0, type: .goAway, flags: [], metaLength: 4 + text.count, payloadLength: 0)
            buffer.writeInteger(error.rawValue)
            buffer.writeBytes(text)
        }
    }

    /// The frame's bytes in a new buffer.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: FrameDecoder.headerSize + 64)
        encode(into: &buffer)
        return buffer
    }

    /// The header's `length` as ``encode(into:)`` writes it: meta plus payload bytes, what the receiver
    /// checks against its MAX_FRAME_SIZE. Computed without encoding; for a RESPONSE or DATA, a few
    /// additions.
    public var length: Int {
        switch self {
        case .request(_, let head, let message, _):
            Self.requestMetaLength(head, nameLength: min(head.methodName.utf8.count, Int(UInt16.max)))
                + (message?.readableBytes ?? 0)
        case .response(_, let status, _, let message):
            Self.responseMetaLength(status, messageLength: min(status.message.utf8.count, ResponseStatus.maxMessageBytes))
                + (message?.readableBytes ?? 0)
        case .data(_, let message, _): message?.readableBytes ?? 0
        case .credit: 4
        case .settings(let entries): 6 * entries.count
        case .ping, .pong: 8
        case .goAway(_, let message): 4 + min(message.utf8.count, Self.maxGoAwayMessageBytes)
        case .cancel, .drain, .drainAck: 0
        }
    }

    /// The longest GOAWAY message in UTF-8 bytes: what `meta_len` leaves beside the error.
    private static let maxGoAwayMessageBytes = Int(UInt16.max) - 4

    private static func requestMetaLength(_ head: RequestHead, nameLength: Int) -> Int {
        14 + nameLength + head.metadata.wireSize
    }

    private static func responseMetaLength(_ status: ResponseStatus, messageLength: Int) -> Int {
        3 + messageLength + status.metadata.wireSize
    }

    private static func writeHeader(
        into buffer: inout ByteBuffer, callID: UInt32, type: FrameType, flags: FrameFlags, metaLength: Int, payloadLength: Int
    ) {
        let length = metaLength + payloadLength
        buffer.reserveCapacity(minimumWritableBytes: FrameDecoder.headerSize + length)
        buffer.writeMultipleIntegers(UInt32(truncatingIfNeeded: length), callID, type.rawValue, flags.rawValue,
                                     UInt16(truncatingIfNeeded: metaLength))
    }
}
