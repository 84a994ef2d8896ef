@testable import CodegenKit
import Testing

@Suite struct MethodIDTests {
    /// FNV-1a 32-bit reference values: "" is the offset basis, "a" is a published test vector.
    @Test func methodIDIsFNV1a32() {
        #expect(ServiceEmitter.methodID("") == 0x811C_9DC5)
        #expect(ServiceEmitter.methodID("a") == 0xE40C_292C)
        #expect(ServiceEmitter.methodID("foobar") == 0xBF9C_F968)
        // The example of docs/PROTOCOL.md §7.
        #expect(ServiceEmitter.methodID("/test.Echo/Unary") == 0xA143_0DFD)
    }
}
