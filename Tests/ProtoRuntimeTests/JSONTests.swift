import CodegenFixtures
import ProtoRuntime
import Testing

@Suite struct JSONTests {
    private func jsonError<Message: ProtoMessage>(_ type: Message.Type, _ json: String) -> ProtoDecodingError.Code? {
        do {
            _ = try Message(jsonString: json)
            return nil
        } catch let error as ProtoDecodingError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test func encodesCanonicalProto3JSON() {
        var value = Scalars()
        value.int32Value = -1
        value.int64Value = 1 << 60
        value.uint64Value = UInt64.max
        value.boolValue = true
        value.doubleValue = 2.0
        value.floatValue = .nan
        value.stringValue = "a\"b\\c\n\u{01}"
        value.bytesValue = [0xFB, 0xFF]
        #expect(
            value.jsonString()
                == #"{"int32Value":-1,"int64Value":"1152921504606846976","uint64Value":"18446744073709551615","boolValue":true,"floatValue":"NaN","doubleValue":2,"stringValue":"a\"b\\c\n\u0001","bytesValue":"+/8="}"#
        )
    }

    @Test func enumsMapsAndOneofsUseProtoNames() {
        var value = Outer()
        value.color = .green
        value.mode = Outer.Mode(rawValue: 9)
        value.boolMap = [true: "t", false: "f"]
        value.namesById = [2: "b", 10: "a"]
        value.payload = .colorPayload(.unspecified)
        #expect(
            value.jsonString()
                == #"{"color":"COLOR_GREEN","mode":9,"colorPayload":"COLOR_UNSPECIFIED","namesById":{"10":"a","2":"b"},"boolMap":{"false":"f","true":"t"}}"#
        )
    }

    @Test func acceptsNumbersOrStringsForIntegersAndNamesOrNumbersForEnums() throws {
        let value = try Scalars(
            jsonString: #"{"int32Value":"-7","int64Value":12,"uint32Value":1e3,"uint64Value":"18446744073709551615","sint64_value":-2.0}"#
        )
        #expect(value.int32Value == -7)
        #expect(value.int64Value == 12)
        #expect(value.uint32Value == 1000)
        #expect(value.uint64Value == UInt64.max)
        #expect(value.sint64Value == -2)
        let outer = try Outer(jsonString: #"{"color":2,"mode":"MODE_SAFE","colorPayload":"COLOR_CRIMSON"}"#)
        #expect(outer.color == .green)
        #expect(outer.mode == .safe)
        #expect(outer.payload == .colorPayload(.red))
    }

    @Test func acceptsOriginalFieldNamesAndCustomJSONNames() throws {
        let value = try UnpackedScalars(jsonString: #"{"int32_values":[1],"legacyName":"x","customName":"y"}"#)
        #expect(value.int32Values == [1])
        #expect(value.legacyName == "x")
        #expect(value.renamed == "y")
        #expect(try UnpackedScalars(jsonString: #"{"renamed":"z"}"#).renamed == "z")
    }

    @Test func floatsAcceptSpecialValuesAsStrings() throws {
        let value = try Scalars(jsonString: #"{"floatValue":"-Infinity","doubleValue":"NaN"}"#)
        #expect(value.floatValue == -.infinity)
        #expect(value.doubleValue.isNaN)
        #expect(try Scalars(jsonString: #"{"doubleValue":"1.5"}"#).doubleValue == 1.5)
        #expect(jsonError(Scalars.self, #"{"doubleValue":"inf"}"#) == .invalidJSON)
        #expect(jsonError(Scalars.self, #"{"floatValue":1e39}"#) == .invalidJSON)
    }

    @Test func bytesAcceptStandardAndURLSafeBase64WithOrWithoutPadding() throws {
        for text in ["+/8=", "-_8=", "+/8", "-_8"] {
            #expect(try Scalars(jsonString: #"{"bytesValue":"\#(text)"}"#).bytesValue == [0xFB, 0xFF])
        }
        #expect(jsonError(Scalars.self, #"{"bytesValue":"a"}"#) == .invalidJSON)
        #expect(jsonError(Scalars.self, #"{"bytesValue":"@@@@"}"#) == .invalidJSON)
    }

    @Test func nullMeansDefault() throws {
        let value = try Outer(jsonString: #"{"inner":null,"color":null,"counts":null,"inners":null,"text":null}"#)
        #expect(value == Outer())
        var optional = try OptionalScalars(jsonString: #"{"int32Value":3}"#)
        #expect(optional.int32Value == 3)
        optional = try OptionalScalars(jsonString: #"{"int32Value":null}"#)
        #expect(optional.int32Value == nil)
    }

    @Test func unknownFieldsAreRejectedUnlessIgnored() throws {
        #expect(jsonError(Scalars.self, #"{"nope":1}"#) == .invalidJSON)
        #expect(try Scalars(jsonString: #"{"nope":{"deep":[1]},"int32Value":1}"#, ignoringUnknownFields: true).int32Value == 1)
        #expect(jsonError(Outer.self, #"{"color":"COLOR_NOPE"}"#) == .invalidJSON)
        #expect(try Outer(jsonString: #"{"color":"COLOR_NOPE"}"#, ignoringUnknownFields: true).color == .unspecified)
    }

    @Test func rejectsOutOfRangeAndMistypedValues() {
        #expect(jsonError(Scalars.self, #"{"int32Value":2147483648}"#) == .invalidJSON)
        #expect(jsonError(Scalars.self, #"{"uint32Value":-1}"#) == .invalidJSON)
        #expect(jsonError(Scalars.self, #"{"int32Value":1.5}"#) == .invalidJSON)
        #expect(jsonError(Scalars.self, #"{"boolValue":"true"}"#) == .invalidJSON)
        #expect(jsonError(Scalars.self, #"{"stringValue":1}"#) == .invalidJSON)
        #expect(jsonError(Outer.self, #"{"inner":[]}"#) == .invalidJSON)
        #expect(jsonError(Outer.self, #"{"namesById":{"x":"a"}}"#) == .invalidJSON)
        #expect(jsonError(Outer.self, #"{"boolMap":{"yes":"a"}}"#) == .invalidJSON)
    }

    @Test func rejectsMalformedJSONWithoutTrapping() {
        for text in ["", "{", "[]", "null", "{\"a\"}", "{\"int32Value\":}", "{\"int32Value\":01}", "{} x", "{\"s\":\"\\x\"}",
            "{\"stringValue\":\"\\ud800\"}", "{\"stringValue\":\"\u{01}\"}", "{\"int32Value\":-}", "tru", "{\"a\":1,}"]
        {
            #expect(jsonError(Scalars.self, text) == .invalidJSON, "\(text)")
        }
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(jsonError(Scalars.self, #"{"x":\#(deep)}"#) == .invalidJSON)
        let deepMessages = String(repeating: #"{"parent":"#, count: 5000) + "{}" + String(repeating: "}", count: 5000)
        #expect(jsonError(TreeNode.self, deepMessages) == .invalidJSON)
    }

    @Test func parsesEscapesAndSurrogatePairs() throws {
        let value = try Scalars(jsonString: #"{"stringValue":"\u00e9\ud83d\ude00\/\t"}"#)
        #expect(value.stringValue == "é\u{1F600}/\t")
    }
}
