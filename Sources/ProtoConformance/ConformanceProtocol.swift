import ProtoRuntime

// The protocol between `habit-proto-conformance` and Tests/Interop/swift_codec.py.
//
// Every frame is a 4-byte big-endian length followed by that many bytes of body.
// Request body:  operation (1 byte) | name length (2 bytes, big-endian) | full message name (UTF-8) | payload
// Response body: status (1 byte) | payload (the re-encoded message, or a UTF-8 error message)

/// What the tool does with a payload: which encoding it decodes and which it writes back.
enum ConformanceOperation: UInt8 {
    case binaryToBinary = 1
    case binaryToJSON = 2
    case jsonToBinary = 3
    case jsonToJSON = 4
    case jsonIgnoringUnknownToBinary = 5
}

/// How a request was answered.
enum ConformanceStatus: UInt8 {
    /// The payload decoded; the answer is its re-encoding.
    case ok = 0
    /// The payload is not a valid encoding of the message; the answer is the error.
    case decodeFailed = 1
    /// The request itself is broken (unknown operation or message name).
    case badRequest = 2
    /// Decoding the binary re-encoding gave a different value: the codec is not self-consistent.
    case roundTripUnstable = 3
}

/// Answers conformance requests for a fixed set of message types.
struct ConformanceCodec {
    private let typesByName: [String: any ProtoMessage.Type]

    init(types: [any ProtoMessage.Type]) {
        typesByName = Dictionary(types.map { ($0.protoMessageName, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The status and payload answering one request body.
    func answer(_ body: ArraySlice<UInt8>) -> (ConformanceStatus, [UInt8]) {
        guard body.count >= 3, let operation = ConformanceOperation(rawValue: body[body.startIndex]) else {
            return (.badRequest, Array("unknown operation or short request".utf8))
        }
        let nameLength = Int(body[body.startIndex + 1]) << 8 | Int(body[body.startIndex + 2])
        let nameStart = body.startIndex + 3
        guard body.endIndex - nameStart >= nameLength,
            let name = String(validating: body[nameStart..<nameStart + nameLength], as: UTF8.self),
            let type = typesByName[name]
        else {
            return (.badRequest, Array("unknown message type".utf8))
        }
        let payload = body[(nameStart + nameLength)...]
        do {
            return try perform(operation, type: type, payload: payload)
        } catch {
            return (.decodeFailed, Array("\(error)".utf8))
        }
    }

    private func perform(
        _ operation: ConformanceOperation,
        type: any ProtoMessage.Type,
        payload: ArraySlice<UInt8>
    ) throws -> (ConformanceStatus, [UInt8]) {
        let message: any ProtoMessage
        switch operation {
        case .binaryToBinary, .binaryToJSON:
            message = try payload.withUnsafeBytes { try type.init(serializedBytes: $0) }
        case .jsonToBinary, .jsonToJSON, .jsonIgnoringUnknownToBinary:
            guard let text = String(validating: payload, as: UTF8.self) else {
                return (.decodeFailed, Array("JSON input is not UTF-8".utf8))
            }
            message = try type.init(
                jsonString: text,
                ignoringUnknownFields: operation == .jsonIgnoringUnknownToBinary
            )
        }
        guard Self.roundTripIsStable(message) else {
            return (.roundTripUnstable, Array("decode(encode(m)) != m for \(message)".utf8))
        }
        switch operation {
        case .binaryToBinary, .jsonToBinary, .jsonIgnoringUnknownToBinary:
            return (.ok, message.serializedBytes())
        case .binaryToJSON, .jsonToJSON:
            return (.ok, Array(message.jsonString().utf8))
        }
    }

    /// Whether decoding the message's own binary encoding gives the message back.
    ///
    /// A NaN double makes a message unequal to itself under `==`, so equal binary encodings count
    /// too; with a map as well (entries encode in dictionary order) equal JSON, whose map keys are
    /// sorted. The fuzzer (Tests/Fuzz) applies the same rule.
    private static func roundTripIsStable<Message: ProtoMessage>(_ message: Message) -> Bool {
        let encoded = message.serializedBytes()
        guard let again = try? Message(serializedBytes: encoded) else { return false }
        return again == message || again.serializedBytes() == encoded
            || (again.serializedSize() == encoded.count && again.jsonString() == message.jsonString())
    }
}
