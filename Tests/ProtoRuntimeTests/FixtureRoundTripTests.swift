import CodegenFixtures
import ProtoRuntime
import Testing

@Suite struct FixtureRoundTripTests {
    static func sample() -> Thing {
        var thing = Thing()
        thing.id = "héllo"
        thing.count = -5
        thing.values = [1, -1, Int64.max, Int64.min]
        thing.status = .on
        thing.kind = .text("t")
        thing.flag = false
        thing.data = [0, 255]
        thing.names = ["a", ""]
        thing.ratio = 0.25
        var child = Thing()
        child.count = 7
        thing.children = ["x": child, "": Thing()]
        thing.parent = child
        return thing
    }

    @Test func binaryRoundTripPreservesEveryField() throws {
        let thing = Self.sample()
        let bytes = thing.serializedBytes()
        #expect(bytes.count == thing.serializedSize())
        #expect(try Thing(serializedBytes: bytes) == thing)
    }

    @Test func jsonRoundTripPreservesEveryField() throws {
        let thing = Self.sample()
        let json = thing.jsonString()
        #expect(try Thing(jsonString: json) == thing)
    }
}
