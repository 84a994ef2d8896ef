import HabitAPI
import ProtoRuntime
import SwiftProtobuf

/// One logical message built as both implementations' types, so both sides measure the same values.
struct CodecPair<H: ProtoMessage, S: SwiftProtobuf.Message> {
    let habit: H
    let swiftProtobuf: S
}

/// The benchmarked values: a CompleteHabit call and a 100-entry ListCompletions page with every field filled.
enum CodecFixture {
    /// The completion entries of a page: realistic UUIDs, dates, notes on two thirds, client data on a quarter.
    struct Entry {
        let id: String
        let habitId: String
        let year: Int32, month: Int32, day: Int32
        let skipped: Bool
        let note: String
        let idempotencyKey: String
        let createTimeUnixMillis: Int64
        let xp: Int64, coinsCenti: Int64
        let clientData: [UInt8]

        init(index: Int) {
            id = uuid(0x1000 + index)
            habitId = uuid(0x2000 + index % 5)
            year = 2026
            month = Int32(1 + index / 28)
            day = Int32(1 + index % 28)
            skipped = index % 10 == 9
            note = index % 3 == 2 ? "" : "Morning run along the river, \(index % 7 + 3) km, felt good"
            idempotencyKey = uuid(0x3000 + index)
            createTimeUnixMillis = 1_767_225_600_000 + Int64(index) * 86_400_000 + 27_000_000
            xp = skipped ? 0 : 10 + Int64(index % 4) * 5
            coinsCenti = skipped ? 0 : 250 + Int64(index % 4) * 50
            clientData = index % 4 == 0 ? (0..<32).map { UInt8(truncatingIfNeeded: $0 * 37 + index) } : []
        }

        var habitDate: HabitAPI.LocalDate {
            var date = HabitAPI.LocalDate()
            date.year = year
            date.month = month
            date.day = day
            return date
        }

        var swiftProtobufDate: Habit_V1_LocalDate {
            .with { $0.year = year; $0.month = month; $0.day = day }
        }

        var habit: HabitAPI.Completion {
            var value = HabitAPI.Completion()
            value.id = id
            value.habitId = habitId
            value.localDate = habitDate
            value.kind = skipped ? .skipped : .done
            value.note = note
            value.idempotencyKey = idempotencyKey
            value.createTimeUnixMillis = createTimeUnixMillis
            var award = HabitAPI.Award()
            award.xp = xp
            award.coinsCenti = coinsCenti
            value.award = award
            value.clientData = clientData
            return value
        }

        var swiftProtobuf: Habit_V1_Completion {
            var value = Habit_V1_Completion()
            value.id = id
            value.habitID = habitId
            value.localDate = swiftProtobufDate
            value.kind = skipped ? .skipped : .done
            value.note = note
            value.idempotencyKey = idempotencyKey
            value.createTimeUnixMillis = createTimeUnixMillis
            value.award = .with { $0.xp = xp; $0.coinsCenti = coinsCenti }
            value.clientData = .init(clientData)
            return value
        }
    }

    static let completeHabitRequest: CodecPair<HabitAPI.CompleteHabitRequest, Habit_V1_CompleteHabitRequest> = {
        let entry = Entry(index: 0)
        var habit = HabitAPI.CompleteHabitRequest()
        habit.habitId = entry.habitId
        habit.idempotencyKey = entry.idempotencyKey
        habit.localDate = entry.habitDate
        habit.note = entry.note
        habit.clientData = entry.clientData
        var swiftProtobuf = Habit_V1_CompleteHabitRequest()
        swiftProtobuf.habitID = entry.habitId
        swiftProtobuf.idempotencyKey = entry.idempotencyKey
        swiftProtobuf.localDate = entry.swiftProtobufDate
        swiftProtobuf.note = entry.note
        swiftProtobuf.clientData = .init(entry.clientData)
        return CodecPair(habit: habit, swiftProtobuf: swiftProtobuf)
    }()

    static let listCompletionsPage: CodecPair<HabitAPI.ListCompletionsResponse, Habit_V1_ListCompletionsResponse> = {
        let entries = (0..<100).map(Entry.init(index:))
        var habit = HabitAPI.ListCompletionsResponse()
        habit.completions = entries.map(\.habit)
        var swiftProtobuf = Habit_V1_ListCompletionsResponse()
        swiftProtobuf.completions = entries.map(\.swiftProtobuf)
        return CodecPair(habit: habit, swiftProtobuf: swiftProtobuf)
    }()

    /// Why the pair disagrees (each side's bytes decoded by the other must equal the other's value), or nil.
    static func mismatch<H, S>(_ pair: CodecPair<H, S>, name: String) -> String? {
        let habitBytes = pair.habit.serializedBytes()
        guard let swiftProtobufBytes: [UInt8] = try? pair.swiftProtobuf.serializedBytes() else {
            return "\(name): swift-protobuf failed to encode"
        }
        guard (try? H(serializedBytes: swiftProtobufBytes)) == pair.habit else {
            return "\(name): habit-codegen decodes swift-protobuf's bytes to a different value"
        }
        guard let decoded = try? S(serializedBytes: habitBytes), decoded.isEqualTo(message: pair.swiftProtobuf) else {
            return "\(name): swift-protobuf decodes habit-codegen's bytes to a different value"
        }
        return nil
    }
}

/// A fixed, well-formed lowercase UUID string whose last group encodes `number`.
private func uuid(_ number: Int) -> String {
    let hex = String(number, radix: 16)
    return "6f1c2a7e-4b3d-4e8a-9c51-" + String(repeating: "0", count: 12 - hex.count) + hex
}
