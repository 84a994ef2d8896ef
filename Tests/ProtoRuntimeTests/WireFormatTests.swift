import CodegenFixtures
import ProtoRuntime
import Testing

/// Known byte vectors, most from the protobuf encoding guide.
@Suite struct WireFormatTests {
    @Test func varint150IsTheGuideExample() throws {
        var value = Scalars()
        value.int32Value = 150
        #expect(value.serializedBytes() == [0x08, 0x96, 0x01])
        #expect(try Scalars(serializedBytes: [0x08, 0x96, 0x01]).int32Value == 150)
    }

    @Test func negativeInt32TakesTenBytes() throws {
        var value = Scalars()
        value.int32Value = -1
        let expected: [UInt8] = [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        #expect(value.serializedBytes() == expected)
        #expect(try Scalars(serializedBytes: expected).int32Value == -1)
    }

    @Test func zigzagMapsSignedToUnsigned() throws {
        #expect(ProtoZigZag.encode(Int32(0)) == 0)
        #expect(ProtoZigZag.encode(Int32(-1)) == 1)
        #expect(ProtoZigZag.encode(Int32(1)) == 2)
        #expect(ProtoZigZag.encode(Int32(-2)) == 3)
        #expect(ProtoZigZag.encode(Int32.max) == 0xFFFF_FFFE)
        #expect(ProtoZigZag.encode(Int32.min) == 0xFFFF_FFFF)
        #expect(ProtoZigZag.encode(Int64.min) == UInt64.max)
        #expect(ProtoZigZag.decode(UInt64.max) == Int64.min)
        var value = Scalars()
        value.sint32Value = -2
        value.sint64Value = -64
        #expect(value.serializedBytes() == [0x28, 0x03, 0x30, 0x7F])
    }

    @Test func packedRepeatedIsOneLengthDelimitedField() throws {
        var value = RepeatedScalars()
        value.int32Values = [3, 270, 86942]
        let expected: [UInt8] = [0x0A, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05]
        #expect(value.serializedBytes() == expected)
        #expect(try RepeatedScalars(serializedBytes: expected).int32Values == [3, 270, 86942])
    }

    @Test func decoderAcceptsUnpackedEncodingOfPackedFieldsAndViceVersa() throws {
        // int32_values unpacked (tag 0x08 per element) into a packed field.
        #expect(try RepeatedScalars(serializedBytes: [0x08, 0x03, 0x08, 0x8E, 0x02]).int32Values == [3, 270])
        // int32_values packed into a [packed = false] field.
        #expect(try UnpackedScalars(serializedBytes: [0x0A, 0x02, 0x03, 0x04]).int32Values == [3, 4])
        // Mixed: both forms accumulate in order.
        #expect(try RepeatedScalars(serializedBytes: [0x08, 0x01, 0x0A, 0x01, 0x02, 0x08, 0x03]).int32Values == [1, 2, 3])
    }

    @Test func unpackedFieldsEncodeOneTagPerElement() {
        var value = UnpackedScalars()
        value.int32Values = [1, 2]
        value.fixed32Values = [5]
        value.boolValues = [true, false]
        #expect(value.serializedBytes() == [0x08, 0x01, 0x08, 0x02, 0x1D, 0x05, 0x00, 0x00, 0x00, 0x28, 0x01, 0x28, 0x00])
    }

    @Test func fixedWidthAndFloatingValuesAreLittleEndian() {
        var value = Scalars()
        value.fixed32Value = 0x0403_0201
        value.sfixed64Value = -2
        value.doubleValue = 1.0
        value.floatValue = -0.0
        #expect(
            value.serializedBytes() == [
                0x3D, 0x01, 0x02, 0x03, 0x04,
                0x51, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                // -0.0 differs from the default by its bit pattern, so it is sent.
                0x65, 0x00, 0x00, 0x00, 0x80,
                0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F,
            ]
        )
    }

    @Test func stringsAndNestedMessagesAreLengthDelimited() throws {
        var value = Scalars()
        value.stringValue = "testing"
        #expect(value.serializedBytes() == [0x72, 0x07] + Array("testing".utf8))
        var outer = Outer()
        outer.scalars = value
        #expect(outer.serializedBytes() == [0x2A, 0x09, 0x72, 0x07] + Array("testing".utf8))
    }

    @Test func defaultsAreNotSent() {
        #expect(Scalars().serializedBytes().isEmpty)
        #expect(Outer().serializedSize() == 0)
    }

    @Test func repeatedOccurrencesOfAMessageFieldMerge() throws {
        // Outer.inner (field 1) twice: label from the first, mode from the second.
        let bytes: [UInt8] = [0x0A, 0x03, 0x0A, 0x01, 0x61, 0x0A, 0x02, 0x10, 0x02]
        let decoded = try Outer(serializedBytes: bytes)
        #expect(decoded.inner?.label == "a")
        #expect(decoded.inner?.mode == .safe)
    }

    @Test func lastOneofMemberWins() throws {
        // text = "a" (field 6) then number = 5 (field 7).
        let decoded = try Outer(serializedBytes: [0x32, 0x01, 0x61, 0x38, 0x05])
        #expect(decoded.payload == .number(5))
    }

    @Test func unknownEnumNumbersArePreserved() throws {
        let decoded = try Outer(serializedBytes: [0x18, 0x07])
        #expect(decoded.color == .unrecognized(7))
        #expect(decoded.serializedBytes() == [0x18, 0x07])
        #expect(Color(rawValue: -3) == .blue)
        #expect(Color.crimson == .red)
        #expect(Color(protoName: "COLOR_CRIMSON") == .red)
        #expect(Color.red.protoName == "COLOR_RED")
    }

    @Test func sizeHelpersMatchTheEncoding() {
        #expect(ProtoSize.varint(0) == 1)
        #expect(ProtoSize.varint(127) == 1)
        #expect(ProtoSize.varint(128) == 2)
        #expect(ProtoSize.varint(UInt64.max) == 10)
        #expect(ProtoSize.int32(-1) == 10)
        #expect(ProtoSize.sint32(-1) == 1)
    }
}
