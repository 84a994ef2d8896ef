import HabitAPI
import ProtoRuntime
import RPCCore
import Testing

/// The generated API of the real schemas: every message round-trips and every method id is the
/// FNV-1a hash of its full name, unique across services.
@Suite struct HabitAPITests {
    private func roundTrip<Message: ProtoMessage>(_: Message.Type) throws -> Bool {
        let empty = Message()
        let fromBinary = try Message(serializedBytes: empty.serializedBytes())
        let fromJSON = try Message(jsonString: empty.jsonString())
        return fromBinary == empty && fromJSON == empty && empty.jsonString() == "{}"
    }

    @Test func everyRegisteredMessageRoundTrips() throws {
        #expect(!HabitAPIRegistry.messageTypes.isEmpty)
        for type in HabitAPIRegistry.messageTypes {
            #expect(try roundTrip(type), "\(type.protoMessageName)")
            #expect(type.protoMessageName.hasPrefix("habit.v1."))
        }
    }

    @Test func methodIDsAreFNV1aOfTheFullNameAndUnique() {
        let descriptors = HabitAPIRegistry.methods.map(\.descriptor)
        #expect(descriptors.count >= 20)
        for descriptor in descriptors {
            var hash: UInt32 = 0x811C_9DC5
            for byte in descriptor.fullName.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
            #expect(descriptor.id == hash, "\(descriptor.fullName)")
        }
        #expect(Set(descriptors.map(\.id)).count == descriptors.count)
    }

    @Test func completeHabitRequestRoundTripsWithPresence() throws {
        var request = CompleteHabitRequest()
        request.habitId = "h1"
        request.idempotencyKey = "k1"
        var date = LocalDate()
        date.year = 2026
        date.month = 11
        date.day = 21
        request.localDate = date
        request.note = ""
        let decoded = try CompleteHabitRequest(serializedBytes: request.serializedBytes())
        #expect(decoded == request)
        #expect(decoded.note == "")
        #expect(try CompleteHabitRequest(jsonString: request.jsonString()) == request)
        #expect(request.jsonString().contains(#""habitId":"h1""#))
    }

    @Test func streamingKindsMatchTheSchema() {
        #expect(CompletionService.Method.listCompletions.kind == .serverStreaming)
        #expect(CompletionService.Method.importCompletions.kind == .clientStreaming)
        #expect(CompletionService.Method.syncCompletions.kind == .bidirectionalStreaming)
        #expect(HabitService.Method.createHabit.kind == .unary)
        #expect(HabitService.Method.createHabit.fullName == "/habit.v1.HabitService/CreateHabit")
    }
}
