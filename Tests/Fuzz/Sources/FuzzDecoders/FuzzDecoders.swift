import HabitAPI
import ProtoRuntime

/// libFuzzer's entry point: decodes the input as one of the generated messages.
///
/// The first byte picks the message type (`byte >> 1`, modulo the number of types, over
/// `HabitAPIRegistry.messageTypes`) and the encoding (low bit: 0 binary, 1 JSON); the rest is the
/// payload. A decoder may reject the payload, but must not trap; whatever it accepts must re-encode
/// to something that decodes to the same message. A broken round trip traps on purpose, which is
/// how libFuzzer learns of it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let types = HabitAPIRegistry.messageTypes
    let type = types[Int(data[0] >> 1) % types.count]
    let payload = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    if data[0] & 1 == 0 {
        checkBinary(type, payload)
    } else {
        checkJSON(type, payload)
    }
    return 0
}

/// Decodes binary input; an accepted message must survive encode and decode unchanged.
private func checkBinary<Message: ProtoMessage>(_ type: Message.Type, _ payload: UnsafeRawBufferPointer) {
    guard let message = try? Message(serializedBytes: payload) else { return }
    requireStableRoundTrip(message, through: "binary")
}

/// Decodes JSON input; an accepted message must survive its own JSON and binary encodings unchanged.
private func checkJSON<Message: ProtoMessage>(_ type: Message.Type, _ payload: UnsafeRawBufferPointer) {
    guard let text = String(validating: payload, as: UTF8.self),
        let message = try? Message(jsonString: text)
    else { return }
    let json = message.jsonString()
    guard let again = try? Message(jsonString: json) else {
        fatalError("\(Message.protoMessageName): its own JSON \(json) does not decode")
    }
    requireEqual(again, message, through: "JSON")
    requireStableRoundTrip(message, through: "JSON then binary")
}

private func requireStableRoundTrip<Message: ProtoMessage>(_ message: Message, through path: String) {
    guard let again = try? Message(serializedBytes: message.serializedBytes()) else {
        fatalError("\(Message.protoMessageName) via \(path): its own encoding does not decode: \(message)")
    }
    requireEqual(again, message, through: path)
}

/// Traps unless the two messages are equal.
///
/// A NaN double makes a message unequal to itself under `==`, so equal binary encodings count too;
/// with a map as well (entries encode in dictionary order) equal JSON, whose map keys are sorted.
private func requireEqual<Message: ProtoMessage>(_ again: Message, _ message: Message, through path: String) {
    guard again == message || again.serializedBytes() == message.serializedBytes()
        || (again.serializedSize() == message.serializedSize() && again.jsonString() == message.jsonString())
    else {
        fatalError("\(Message.protoMessageName) via \(path): round trip changed \(message) into \(again)")
    }
}
