import Foundation
import NIOCore
import RPCCore
import Testing

/// The golden bytes of docs/protocol-vectors.json, decoded and re-encoded by the Swift codec.
@Suite struct ProtocolVectorTests {
    struct Vector: Sendable, CustomStringConvertible {
        let name: String
        let fields: [String: any Sendable]
        var description: String { name }
        var bytes: [UInt8] { hexBytes(fields["hex"] as? String ?? "") }
        var isValid: Bool { fields["valid"] as? Bool ?? false }
        var isIncomplete: Bool { fields["incomplete"] as? Bool ?? false }
        var maxFrameSize: UInt32 { UInt32(fields["max_frame_size"] as? Int ?? 4_194_304) }
    }

    static let document: [String: any Sendable] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/protocol-vectors.json")
        guard let data = try? Data(contentsOf: url),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: any Sendable]
        else { return [:] }
        return object
    }()

    static let vectors: [Vector] = ((document["vectors"] as? [[String: any Sendable]]) ?? []).map {
        Vector(name: $0["name"] as? String ?? "?", fields: $0)
    }

    @Test func theVectorFileIsThereAndCoversEveryFrameType() {
        let types = Set(Self.vectors.compactMap { ($0.fields["frame"] as? [String: any Sendable])?["type"] as? String })
        #expect(Self.vectors.count >= 60)
        for type in ["REQUEST", "RESPONSE", "DATA", "CANCEL", "CREDIT", "SETTINGS", "PING", "PONG", "DRAIN", "DRAIN_ACK", "GOAWAY"] {
            #expect(types.contains(type), "no valid vector for \(type)")
        }
    }

    @Test func methodIDsAreFNV1a() throws {
        let ids = try #require(Self.document["method_ids"] as? [[String: any Sendable]])
        #expect(ids.count >= 3)
        for entry in ids {
            let name = try #require(entry["name"] as? String)
            let id = try #require(entry["id"] as? Int)
            #expect(MethodDescriptor.id(forFullName: name) == UInt32(id), "\(name)")
        }
    }

    @Test(arguments: vectors)
    func decodesAsTheSpecSays(_ vector: Vector) throws {
        var buffer = ByteBuffer(bytes: vector.bytes)
        let isPreface = vector.fields["kind"] as? String == "preface"
        var decoder = FrameDecoder(maxFrameSize: vector.maxFrameSize, expectsPreface: isPreface)
        if vector.isIncomplete {
            #expect(try decoder.decodeNext(&buffer) == nil)
            #expect(buffer.readableBytes == vector.bytes.count, "a short read consumes nothing")
            return
        }
        guard vector.isValid else {
            let expected = try #require(vector.fields["error"] as? String)
            #expect {
                _ = try decoder.decodeNext(&buffer)
            } throws: { error in
                (error as? ProtocolViolation)?.kind.name == expected
            }
            return
        }
        let event = try #require(try decoder.decodeNext(&buffer))
        if isPreface {
            #expect(event == .preface(major: UInt8(vector.fields["major"] as? Int ?? -1), minor: UInt8(vector.fields["minor"] as? Int ?? -1)))
            return
        }
        let expected = try #require(vector.fields["frame"] as? [String: any Sendable])
        #expect(canonical(describe(event, flags: vector.bytes[9])) == canonical(expected))
        #expect(buffer.readableBytes == 0)
        if case .frame(let frame) = event, vector.bytes[9] & 0xF8 == 0 {
            #expect(Array(frame.encoded().readableBytesView) == vector.bytes, "re-encoding gives the same bytes")
            #expect(frame.length == vector.bytes.count - FrameDecoder.headerSize, "the computed length is the header's")
        }
    }

    @Test func everySplitOfTheValidFramesDecodesTheSame() throws {
        let frames = Self.vectors.filter {
            $0.isValid && !$0.isIncomplete && $0.fields["kind"] as? String == "frame" && $0.maxFrameSize == 4_194_304
        }
        let stream = frames.flatMap(\.bytes)
        let whole = try decodeAll([stream])
        #expect(whole.count == frames.count)
        for split in 1..<stream.count {
            #expect(try decodeAll([Array(stream[..<split]), Array(stream[split...])]) == whole)
        }
        #expect(try decodeAll(stream.map { [$0] }) == whole, "one byte at a time")
    }

    private func decodeAll(_ chunks: [[UInt8]]) throws -> [FrameDecoder.Event] {
        var decoder = FrameDecoder(maxFrameSize: 4_194_304, expectsPreface: false)
        var cumulation = ByteBuffer()
        var events: [FrameDecoder.Event] = []
        for chunk in chunks {
            cumulation.writeBytes(chunk)
            while let event = try decoder.decodeNext(&cumulation) { events.append(event) }
            cumulation.discardReadBytes()
        }
        return events
    }
}

private func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
        bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return bytes
}

private func hex(_ buffer: ByteBuffer?) -> any Sendable {
    guard let buffer else { return NSNull() }
    return buffer.readableBytesView.map { String(format: "%02x", $0) }.joined()
}

private func describe(_ metadata: Metadata) -> [[String: any Sendable]] {
    metadata.map { entry in
        switch entry.value {
        case .text(let text): ["key": entry.key, "text": text]
        case .binary(let bytes): ["key": entry.key, "binary": bytes.map { String(format: "%02x", $0) }.joined()]
        }
    }
}

/// The vector-file form of a decoded event.
private func describe(_ event: FrameDecoder.Event, flags: UInt8) -> [String: any Sendable] {
    switch event {
    case .preface(let major, let minor):
        return ["major": Int(major), "minor": Int(minor)]
    case .ignored:
        return ["type": "IGNORED", "call_id": 0, "flags": Int(flags)]
    case .oversized(let callID, let type, let length):
        return ["type": "OVERSIZED", "call_id": Int(callID), "frame_type": type.description, "length": Int(length)]
    case .frame(let frame):
        var fields: [String: any Sendable] = ["type": frame.type.description, "flags": Int(flags)]
        switch frame {
        case .request(let callID, let head, let message, _):
            fields["call_id"] = Int(callID)
            fields["method_id"] = Int(head.methodID)
            fields["name"] = head.methodName
            fields["timeout_us"] = Int(head.timeoutMicroseconds)
            fields["metadata"] = describe(head.metadata)
            fields["message"] = hex(message)
        case .response(let callID, let status, let isNotProcessed, let message):
            fields["call_id"] = Int(callID)
            fields["code"] = Int(status.code)
            fields["status_message"] = status.message
            fields["not_processed"] = isNotProcessed
            fields["metadata"] = describe(status.metadata)
            fields["message"] = hex(message)
        case .data(let callID, let message, let endStream):
            fields["call_id"] = Int(callID)
            fields["end_stream"] = endStream
            fields["message"] = hex(message)
        case .cancel(let callID):
            fields["call_id"] = Int(callID)
        case .credit(let callID, let increment):
            fields["call_id"] = Int(callID)
            fields["increment"] = Int(increment)
        case .settings(let entries):
            fields["call_id"] = 0
            fields["settings"] = entries.map { [Int($0.id), Int($0.value)] }
        case .ping(let data), .pong(let data):
            fields["call_id"] = 0
            var buffer = ByteBuffer()
            buffer.writeInteger(data)
            fields["data"] = hex(buffer)
        case .drain, .drainAck:
            fields["call_id"] = 0
        case .goAway(let error, let message):
            fields["call_id"] = 0
            fields["error"] = Int(error.rawValue)
            fields["message"] = message
        }
        return fields
    }
}

/// Sorted-key JSON text, so two field dictionaries compare regardless of order and number boxing.
private func canonical(_ object: [String: any Sendable]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "unencodable" }
    return String(decoding: data, as: UTF8.self)
}
