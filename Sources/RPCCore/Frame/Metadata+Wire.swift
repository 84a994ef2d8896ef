import NIOCore

extension Metadata {
    /// The encoded size of the entries (docs/PROTOCOL.md §5.6), checked against MAX_METADATA_SIZE.
    public var wireSize: Int {
        reduce(0) { $0 + 4 + $1.key.utf8.count + $1.value.wireCount }
    }

    /// Throws INVALID_ARGUMENT if an entry cannot be sent: a key that is empty, longer than 255 bytes,
    /// not lower-case ASCII `a-z0-9-_.`, or reserved (`hrpc-`), or a value longer than 65535 bytes.
    public func validateForWire() throws(RPCError) {
        for entry in self {
            let key = entry.key.utf8
            guard !key.isEmpty, key.count <= 255, key.allSatisfy(Metadata.isKeyByte) else {
                throw RPCError(code: .invalidArgument, message: "metadata key \"\(entry.key)\" is not 1-255 of a-z 0-9 - _ .")
            }
            guard !entry.key.hasPrefix(Metadata.reservedPrefix) else {
                throw RPCError(code: .invalidArgument, message: "metadata key \"\(entry.key)\" uses the reserved prefix hrpc-")
            }
            guard entry.value.wireCount <= Int(UInt16.max) else {
                throw RPCError(code: .invalidArgument, message: "metadata value of \"\(entry.key)\" is over 65535 bytes")
            }
        }
    }

    /// The entries that ``validateForWire()`` accepts, so trailing metadata from a handler can never
    /// produce a frame the peer rejects.
    public var wireSafe: Metadata {
        var safe = Metadata()
        for entry in self where (try? Metadata([entry]).validateForWire()) != nil {
            safe.add(entry.key, entry.value)
        }
        return safe
    }

    private init(_ entries: [Entry]) {
        self.init()
        for entry in entries { add(entry.key, entry.value) }
    }

    /// Keys with this prefix belong to the protocol; receivers drop the ones they do not know.
    public static let reservedPrefix = "hrpc-"

    static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    /// Writes every entry; the caller has validated them.
    func write(to buffer: inout ByteBuffer) {
        for entry in self {
            switch entry.value {
            case .text(let text):
                buffer.writeMultipleIntegers(UInt8(0), UInt8(entry.key.utf8.count), UInt16(text.utf8.count))
                buffer.writeString(entry.key)
                buffer.writeString(text)
            case .binary(let bytes):
                buffer.writeMultipleIntegers(UInt8(1), UInt8(entry.key.utf8.count), UInt16(bytes.count))
                buffer.writeString(entry.key)
                buffer.writeBytes(bytes)
            }
        }
    }

    /// Reads entries until `buffer` is empty; reserved keys are dropped.
    static func read(from buffer: inout ByteBuffer) throws(ProtocolViolation) -> Metadata {
        var metadata = Metadata()
        while buffer.readableBytes > 0 {
            guard let (kind, keyLength, valueLength) = buffer.readMultipleIntegers(as: (UInt8, UInt8, UInt16).self),
                let keyBytes = buffer.readSlice(length: Int(keyLength)),
                let valueBytes = buffer.readSlice(length: Int(valueLength))
            else {
                throw ProtocolViolation(.badMetadata, .protocolError, "metadata entry runs past the end of meta")
            }
            guard keyLength > 0, keyBytes.readableBytesView.allSatisfy(isKeyByte) else {
                throw ProtocolViolation(.badMetadata, .protocolError, "metadata key is empty or not a-z 0-9 - _ .")
            }
            let key = String(decoding: keyBytes.readableBytesView, as: UTF8.self)
            let value: Value
            switch kind {
            case 0:
                guard let text = String(validating: valueBytes.readableBytesView, as: UTF8.self) else {
                    throw ProtocolViolation(.badMetadata, .protocolError, "metadata \"\(key)\": text value is not UTF-8")
                }
                value = .text(text)
            case 1:
                value = .binary(Array(valueBytes.readableBytesView))
            default:
                throw ProtocolViolation(.badMetadata, .protocolError, "metadata \"\(key)\": unknown value kind \(kind)")
            }
            if key.hasPrefix(reservedPrefix) { continue }
            metadata.add(key, value)
        }
        return metadata
    }
}

extension Metadata.Value {
    /// The number of value bytes on the wire.
    var wireCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }
}
