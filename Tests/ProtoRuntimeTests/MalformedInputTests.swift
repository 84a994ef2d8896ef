import CodegenFixtures
import ProtoRuntime
import Testing

/// Every class of hostile input throws the right ``ProtoDecodingError`` code instead of trapping.
@Suite struct MalformedInputTests {
    private func code<Message: ProtoMessage>(_ type: Message.Type, _ bytes: [UInt8]) -> ProtoDecodingError.Code? {
        do {
            _ = try Message(serializedBytes: bytes)
            return nil
        } catch let error as ProtoDecodingError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test func truncatedInput() {
        #expect(code(Scalars.self, [0x08]) == .truncated)
        #expect(code(Scalars.self, [0x08, 0x96]) == .truncated)
        #expect(code(Scalars.self, [0x3D, 0x01, 0x02]) == .truncated)
        #expect(code(Scalars.self, [0x41, 0x01]) == .truncated)
        // A packed fixed32 payload that is not a multiple of four.
        #expect(code(RepeatedScalars.self, [0x3A, 0x03, 0x01, 0x02, 0x03]) == .truncated)
        // A packed varint payload that ends mid-varint.
        #expect(code(RepeatedScalars.self, [0x0A, 0x01, 0x96]) == .truncated)
    }

    @Test func overlongVarints() {
        let elevenBytes: [UInt8] = [0x08] + Array(repeating: 0xFF, count: 10) + [0x01]
        #expect(code(Scalars.self, elevenBytes) == .malformedVarint)
        // Ten bytes whose last carries more than the 64th bit.
        let overflow: [UInt8] = [0x08] + Array(repeating: 0xFF, count: 9) + [0x02]
        #expect(code(Scalars.self, overflow) == .malformedVarint)
    }

    @Test func wrongWireTypes() {
        // int32_value (field 1) sent as fixed32.
        #expect(code(Scalars.self, [0x0D, 0, 0, 0, 0]) == .invalidWireType)
        // string_value (field 14) sent as a varint.
        #expect(code(Scalars.self, [0x70, 0x01]) == .invalidWireType)
        // A nested message sent as a varint.
        #expect(code(Outer.self, [0x08, 0x01]) == .invalidWireType)
        // Wire types 6 and 7 do not exist, even for unknown fields.
        #expect(code(Empty.self, [0x0E]) == .invalidWireType)
        #expect(code(Empty.self, [0x0F]) == .invalidWireType)
    }

    @Test func groupsAreRejected() {
        #expect(code(Empty.self, [0x0B, 0x0C]) == .invalidWireType)
        #expect(code(Empty.self, [0x0C]) == .invalidWireType)
    }

    @Test func lengthsPastTheEnd() {
        #expect(code(Scalars.self, [0x72, 0x05, 0x61]) == .lengthOutOfBounds)
        #expect(code(Outer.self, [0x0A, 0x7F]) == .lengthOutOfBounds)
        // A length larger than any buffer must not be trusted for allocation.
        #expect(code(Scalars.self, [0x7A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) == .lengthOutOfBounds)
        #expect(code(Empty.self, [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) == .lengthOutOfBounds)
        // A nested message whose inner field runs past the nested length, though not past the input.
        #expect(code(Outer.self, [0x0A, 0x02, 0x0A, 0x05, 0x61, 0x61, 0x61, 0x61, 0x61]) == .lengthOutOfBounds)
    }

    @Test func invalidUTF8InStrings() throws {
        #expect(code(Scalars.self, [0x72, 0x02, 0xC3, 0x28]) == .invalidUTF8)
        #expect(code(Scalars.self, [0x72, 0x01, 0xFF]) == .invalidUTF8)
        // Overlong encoding, a UTF-16 surrogate, a code point above U+10FFFF, a truncated sequence.
        #expect(code(Scalars.self, [0x72, 0x02, 0xC0, 0xAF]) == .invalidUTF8)
        #expect(code(Scalars.self, [0x72, 0x03, 0xE0, 0x80, 0xAF]) == .invalidUTF8)
        #expect(code(Scalars.self, [0x72, 0x03, 0xED, 0xA0, 0x80]) == .invalidUTF8)
        #expect(code(Scalars.self, [0x72, 0x04, 0xF4, 0x90, 0x80, 0x80]) == .invalidUTF8)
        #expect(code(Scalars.self, [0x72, 0x04, 0xF0, 0x90, 0x80, 0x41]) == .invalidUTF8)
        // Long ASCII runs take the eight-byte path; a bad byte after them is still found.
        #expect(code(Scalars.self, [0x72, 0x11] + Array(repeating: 0x61, count: 16) + [0x80]) == .invalidUTF8)
        let text = String(repeating: "ab", count: 20) + "é€\u{1F600}\u{10FFFF}"
        #expect(try Scalars(serializedBytes: [0x72, UInt8(text.utf8.count)] + Array(text.utf8)).stringValue == text)
        // Bytes fields take anything.
        #expect(code(Scalars.self, [0x7A, 0x01, 0xFF]) == nil)
    }

    @Test func nestingDeeperThanTheLimit() {
        func nested(_ depth: Int) -> [UInt8] {
            // TreeNode.parent (field 2) nested `depth` times.
            var bytes: [UInt8] = []
            for _ in 0..<depth {
                var prefix: [UInt8] = [0x12]
                var length = UInt64(bytes.count)
                while length >= 0x80 {
                    prefix.append(UInt8(length & 0x7F) | 0x80)
                    length >>= 7
                }
                prefix.append(UInt8(length))
                bytes = prefix + bytes
            }
            return bytes
        }
        #expect(code(TreeNode.self, nested(100)) == nil)
        #expect(code(TreeNode.self, nested(101)) == .recursionLimitExceeded)
        #expect(code(TreeNode.self, nested(5000)) == .recursionLimitExceeded)
    }

    @Test func fieldNumberZeroAndOutOfRangeTags() {
        #expect(code(Empty.self, [0x00, 0x00]) == .invalidFieldNumber)
        #expect(code(Empty.self, [0x02, 0x00]) == .invalidFieldNumber)
        // A tag above 2^32 - 1.
        #expect(code(Empty.self, [0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00]) == .invalidFieldNumber)
    }

    @Test func everyPrefixOfAValidMessageFailsCleanlyOrDecodes() {
        let bytes = FixtureSamples.outer().serializedBytes()
        for end in 0..<bytes.count {
            // Must not trap; most prefixes are errors, a few end on a field boundary.
            _ = code(Outer.self, Array(bytes[..<end]))
        }
        #expect(code(Outer.self, bytes) == nil)
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<64, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if code(Outer.self, bytes) != nil { failures += 1 }
            _ = code(TreeNode.self, bytes)
            _ = code(RepeatedScalars.self, bytes)
        }
        #expect(failures > 0)
    }
}
