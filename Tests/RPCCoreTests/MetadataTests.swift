import RPCCore
import Testing

@Suite struct MetadataTests {
    @Test func keysAreCaseInsensitiveAndRepeatable() {
        var metadata: Metadata = ["Authorization": .text("Bearer a")]
        metadata.add("x-trace", .binary([0, 255]))
        metadata.add("X-Trace", "second")
        #expect(metadata.firstText("authorization") == "Bearer a")
        #expect(metadata.values("x-trace") == [.binary([0, 255]), .text("second")])
        #expect(metadata.firstText("x-trace") == "second")
        metadata.set("x-trace", "only")
        #expect(metadata.values("x-trace") == [.text("only")])
        metadata.removeAll("AUTHORIZATION")
        #expect(metadata.firstText("authorization") == nil)
        #expect(metadata.count == 1)
    }
}

@Suite struct MetadataWireTests {
    @Test func invalidEntriesAreRejectedForSendingAndLeftOutOfStatuses() throws {
        var metadata: Metadata = ["retry-after-ms": .text("100")]
        metadata.add("bad key", "x")
        metadata.add("hrpc-internal", "y")
        #expect(throws: RPCError.self) { try metadata.validateForWire() }
        let status = ResponseStatus(RPCError(code: .unavailable, message: "later", metadata: metadata))
        #expect(Array(status.metadata) == [Metadata.Entry(key: "retry-after-ms", value: .text("100"))])
        try status.metadata.validateForWire()
        let frame = Frame.response(callID: 1, status, isNotProcessed: false, message: nil)
        var bytes = frame.encoded()
        var decoder = FrameDecoder(maxFrameSize: 1 << 20, expectsPreface: false)
        #expect(try decoder.decodeNext(&bytes) == .frame(frame))
    }
}

@Suite struct RPCErrorCodeTests {
    @Test func wireValuesMatchGRPC() {
        #expect(RPCError.Code.cancelled.rawValue == 1)
        #expect(RPCError.Code.resourceExhausted.rawValue == 8)
        #expect(RPCError.Code.unauthenticated.rawValue == 16)
        #expect(RPCError.Code(rawValue: 0) == nil)
        #expect(RPCError.Code(rawValue: 17) == nil)
        let names = (1...16).compactMap { RPCError.Code(rawValue: UInt8($0))?.description }
        #expect(names.count == 16)
        #expect(Set(names).count == 16)
        #expect(RPCError.Code(rawValue: 14)?.description == "UNAVAILABLE")
    }
}
