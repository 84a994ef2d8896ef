import LoadGenerator
import Testing

@Suite("Method mix spec")
struct MethodMixTests {
    static let available = ["GetCharacter", "CompleteHabit", "ListHabits", "ListLedger"]

    @Test("a valid spec keeps order and weights, and draws follow the weights exactly")
    func parsesAndDraws() throws {
        let mix = try MethodMix(parsing: " GetCharacter=70, CompleteHabit = 25,ListHabits=5 ", available: Self.available)
        #expect(mix.entries.map(\.method) == ["GetCharacter", "CompleteHabit", "ListHabits"])
        #expect(mix.entries.map(\.weight) == [70, 25, 5])
        #expect(mix.totalWeight == 100)
        var counts = [0, 0, 0]
        for draw in 0..<UInt64(mix.totalWeight) { counts[mix.entryIndex(forDraw: draw)] += 1 }
        #expect(counts == [70, 25, 5])
        #expect(mix.entryIndex(forDraw: 69) == 0)
        #expect(mix.entryIndex(forDraw: 70) == 1)
        #expect(mix.entryIndex(forDraw: 95) == 2)
        #expect(mix.entryIndex(forDraw: 100) == 0)
    }

    @Test("a single method takes every call")
    func singleMethod() throws {
        let mix = try MethodMix(parsing: "ListLedger=3", available: Self.available)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 { #expect(mix.pick(using: &generator) == 0) }
    }

    @Test(
        "bad specs are rejected with a message naming the entry and the rule",
        arguments: [
            ("", "the mix is empty; give Method=weight pairs, e.g. GetCharacter=100"),
            ("   ", "the mix is empty; give Method=weight pairs, e.g. GetCharacter=100"),
            ("GetCharacter=70,,ListHabits=5", "entry 2 of the mix is empty"),
            ("GetCharacter=70,", "entry 2 of the mix is empty"),
            ("GetCharacter", #"entry "GetCharacter" has no "=weight" (write GetCharacter=10)"#),
            ("=5", #"entry "=5" has no method name"#),
            ("Nope=5", #"unknown method "Nope"; the mix accepts GetCharacter, CompleteHabit, ListHabits, ListLedger"#),
            ("GetCharacter=5,GetCharacter=6", #"method "GetCharacter" appears more than once in the mix"#),
            ("GetCharacter=0", #"weight of "GetCharacter" must be a whole number from 1 to 1000000, got "0""#),
            ("GetCharacter=-3", #"weight of "GetCharacter" must be a whole number from 1 to 1000000, got "-3""#),
            ("GetCharacter=2.5", #"weight of "GetCharacter" must be a whole number from 1 to 1000000, got "2.5""#),
            ("GetCharacter=", #"weight of "GetCharacter" must be a whole number from 1 to 1000000, got """#),
            ("GetCharacter=99999999999999999999", #"weight of "GetCharacter" must be a whole number from 1 to 1000000, got "99999999999999999999""#),
        ])
    func rejects(spec: String, message: String) {
        #expect(throws: MixSpecError.self) { try MethodMix(parsing: spec, available: Self.available) }
        do {
            _ = try MethodMix(parsing: spec, available: Self.available)
        } catch {
            #expect(error.message == message)
            #expect(error.description == "invalid --mix: \(message)")
        }
    }
}

@Suite("Load plan validation")
struct LoadPlanTests {
    @Test("out-of-range options name the option")
    func rejectsBadOptions() {
        func message(_ build: () throws -> LoadPlan) -> String? {
            do {
                _ = try build()
                return nil
            } catch {
                return (error as? LoadPlanError)?.message ?? "unexpected \(error)"
            }
        }
        #expect(
            message {
                try LoadPlan(shape: .closedLoop(connections: 0, inFlightPerConnection: 1), stop: .calls(1), warmup: .zero,
                             drainTimeout: .seconds(1))
            } == "--connections must be from 1 to 10000, got 0")
        #expect(
            message {
                try LoadPlan(shape: .closedLoop(connections: 10_000, inFlightPerConnection: 100_000), stop: .calls(1),
                             warmup: .zero, drainTimeout: .seconds(1))
            } == "--connections x --in-flight must be at most 100000, got 1000000000")
        #expect(
            message {
                try LoadPlan(shape: .openLoop(connections: 1, callsPerSecond: .nan, maxInFlight: 1), stop: .calls(1),
                             warmup: .zero, drainTimeout: .seconds(1))
            } == "--rate must be a number of calls per second from above 0 to 10000000, got nan")
        #expect(
            message {
                try LoadPlan(shape: .closedLoop(connections: 1, inFlightPerConnection: 1), stop: .after(.zero),
                             warmup: .zero, drainTimeout: .seconds(1))
            } == "--duration must be positive")
        #expect(
            message {
                try LoadPlan(shape: .closedLoop(connections: 1, inFlightPerConnection: 1), stop: .calls(5),
                             warmup: .seconds(-1), drainTimeout: .seconds(1))
            } == "--warmup must not be negative")
        #expect(
            message {
                try LoadPlan(shape: .closedLoop(connections: 2, inFlightPerConnection: 3), stop: .calls(5),
                             warmup: .zero, drainTimeout: .seconds(1))
            } == nil)
    }
}
