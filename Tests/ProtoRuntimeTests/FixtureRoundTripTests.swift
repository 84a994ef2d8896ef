import CodegenFixtures
import ProtoRuntime
import RPCCore
import Testing

/// Values exercising every field kind of the golden fixtures, shared by the round-trip tests.
enum FixtureSamples {
    static func scalars() -> Scalars {
        var value = Scalars()
        value.int32Value = -5
        value.int64Value = Int64.min
        value.uint32Value = UInt32.max
        value.uint64Value = UInt64.max
        value.sint32Value = Int32.min
        value.sint64Value = -1
        value.fixed32Value = 0xDEAD_BEEF
        value.fixed64Value = 1 << 63
        value.sfixed32Value = -2
        value.sfixed64Value = Int64.max
        value.boolValue = true
        value.floatValue = 1.5
        value.doubleValue = -0.125
        value.stringValue = "héllo \u{1F600}"
        value.bytesValue = [0, 1, 254, 255]
        return value
    }

    static func outer() -> Outer {
        var inner = Outer.Inner()
        inner.label = "inner"
        inner.mode = .safe
        var leaf = Outer.Inner.Leaf()
        leaf.colors = [.red, .green, .blue, Color(rawValue: 77)]
        inner.leaf = leaf
        var outer = Outer()
        outer.inner = inner
        outer.inners = [inner, Outer.Inner()]
        outer.color = .blue
        outer.mode = .fast
        outer.scalars = scalars()
        outer.payload = .innerPayload(inner)
        outer.counts = ["a": 1, "b": -1, "": 0]
        outer.namesById = [1: "one", -7: ""]
        outer.innersById = [Int64.max: inner]
        outer.colorsById = [3: .green, 4: Color(rawValue: 99)]
        outer.blobs = [9: [1, 2, 3]]
        outer.ratios = [-1: .infinity, 2: 0.5]
        outer.flags = [Int64.min: true, 0: false]
        outer.fixedMap = [7: -1.25]
        outer.fixed64Map = [8: -8]
        outer.sfixedMap = [-9: 9]
        outer.sfixed64Map = [-10: 10]
        outer.boolMap = [true: "yes", false: "no"]
        outer.leaves = ["l": leaf]
        outer.second = .secondText("second")
        return outer
    }
}

@Suite struct FixtureRoundTripTests {
    @Test func scalarsSurviveBinaryAndJSON() throws {
        let value = FixtureSamples.scalars()
        #expect(value.serializedBytes().count == value.serializedSize())
        #expect(try Scalars(serializedBytes: value.serializedBytes()) == value)
        #expect(try Scalars(jsonString: value.jsonString()) == value)
    }

    @Test func optionalScalarsKeepPresenceOfDefaults() throws {
        var value = OptionalScalars()
        value.int32Value = 0
        value.stringValue = ""
        value.boolValue = false
        // Present defaults are sent: two bytes per field (tag + zero or empty length).
        #expect(value.serializedBytes() == [0x08, 0x00, 0x58, 0x00, 0x72, 0x00])
        let decoded = try OptionalScalars(serializedBytes: value.serializedBytes())
        #expect(decoded == value)
        #expect(decoded.int64Value == nil)
        #expect(try OptionalScalars(jsonString: value.jsonString()) == value)
        #expect(value.jsonString() == #"{"int32Value":0,"boolValue":false,"stringValue":""}"#)
    }

    @Test func repeatedScalarsSurviveBinaryAndJSON() throws {
        var value = RepeatedScalars()
        value.int32Values = [1, -1, Int32.max]
        value.int64Values = [Int64.min, 0]
        value.uint32Values = [0, UInt32.max]
        value.uint64Values = [UInt64.max]
        value.sint32Values = [-1, 1]
        value.sint64Values = [Int64.min]
        value.fixed32Values = [1, 2]
        value.fixed64Values = [3]
        value.sfixed32Values = [-4]
        value.sfixed64Values = [-5, 5]
        value.boolValues = [true, false, true]
        value.floatValues = [0.5, -.infinity]
        value.doubleValues = [1e300, -0.0]
        value.stringValues = ["", "x"]
        value.bytesValues = [[], [1]]
        #expect(try RepeatedScalars(serializedBytes: value.serializedBytes()) == value)
        #expect(try RepeatedScalars(jsonString: value.jsonString()) == value)
    }

    @Test func nestedMapsOneofsAndOpenEnumsSurvive() throws {
        let value = FixtureSamples.outer()
        #expect(value.serializedBytes().count == value.serializedSize())
        let decoded = try Outer(serializedBytes: value.serializedBytes())
        #expect(decoded == value)
        #expect(decoded.colorsById[4] == .unrecognized(99))
        #expect(decoded.inner?.leaf?.colors.last?.rawValue == 77)
        #expect(try Outer(jsonString: value.jsonString()) == value)
    }

    @Test func everyOneofCaseSurvives() throws {
        let cases: [Outer.Payload] = [
            .text(""), .number(-1), .innerPayload(Outer.Inner()), .colorPayload(.unspecified), .raw([]), .ratio(0),
        ]
        for payload in cases {
            var value = Outer()
            value.payload = payload
            // A oneof member is present even when it holds its type's default.
            #expect(value.serializedSize() > 0)
            #expect(try Outer(serializedBytes: value.serializedBytes()).payload == payload)
            #expect(try Outer(jsonString: value.jsonString()).payload == payload)
        }
    }

    @Test func recursiveMessagesNestAndRoundTrip() throws {
        var root = TreeNode()
        root.name = "root"
        var node = root
        // Each level reaches the one below through all four recursive fields; four levels keep the
        // tree (4^4 leaves) small.
        for depth in 0..<4 {
            var parent = TreeNode()
            parent.name = "level \(depth)"
            parent.parent = node
            parent.children = [node]
            parent.link = .next(node)
            parent.named = ["n": node]
            node = parent
        }
        var chain = TreeNode()
        for depth in 0..<90 {
            var parent = TreeNode()
            parent.name = String(depth)
            parent.parent = chain
            chain = parent
        }
        #expect(try TreeNode(serializedBytes: chain.serializedBytes()) == chain)
        #expect(try TreeNode(serializedBytes: node.serializedBytes()) == node)
        #expect(try TreeNode(jsonString: node.jsonString()) == node)
    }

    @Test func unknownFieldsSurviveARoundTripByteForByte() throws {
        // Outer's full encoding read as Empty: every field is unknown and must come back unchanged.
        let original = FixtureSamples.outer().serializedBytes()
        let empty = try Empty(serializedBytes: original)
        #expect(empty.unknownFields.bytes == original)
        #expect(empty.serializedBytes() == original)
        #expect(try Outer(serializedBytes: empty.serializedBytes()) == FixtureSamples.outer())
    }

    @Test func serviceDescriptorsCarryFNVIDsAndKinds() {
        #expect(EchoService.Method.echo.fullName == "/fixtures.v1.EchoService/Echo")
        #expect(EchoService.Method.echo.kind == .unary)
        #expect(EchoService.Method.expand.kind == .serverStreaming)
        #expect(EchoService.Method.collect.kind == .clientStreaming)
        #expect(EchoService.Method.chat.kind == .bidirectionalStreaming)
        var hash: UInt32 = 0x811C_9DC5
        for byte in "/fixtures.v1.EchoService/Echo".utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        #expect(EchoService.Method.echo.id == hash)
        #expect(CodegenFixturesRegistry.methods.count == 5)
        #expect(CodegenFixturesRegistry.messageTypes.count == 11)
        let names = CodegenFixturesRegistry.messageTypes.map { $0.protoMessageName }
        #expect(names == names.sorted())
        #expect(names.contains("fixtures.v1.Outer.Inner.Leaf"))
    }
}
