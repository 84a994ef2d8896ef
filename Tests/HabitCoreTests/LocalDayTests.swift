import Foundation
import HabitCore
import Testing

@Suite struct LocalDayTests {
    @Test func civilDateRoundTripsAndKnowsWeekdays() throws {
        let epoch = try #require(LocalDay(year: 1970, month: 1, day: 1))
        #expect(epoch.daysSince1970 == 0)
        #expect(epoch.weekday == .thursday)
        let leap = try #require(LocalDay(iso8601: "2024-02-29"))
        #expect(leap.description == "2024-02-29")
        #expect(leap.adding(days: 1).description == "2024-03-01")
        #expect(leap.weekday == .thursday)
        #expect(leap.startOfWeek.description == "2024-02-26")
        #expect(LocalDay(iso8601: "2023-02-29") == nil)
        #expect(LocalDay(iso8601: "2024-1-01") == nil)
        #expect(LocalDay(iso8601: "+024-01-01") == nil)
        let old = try #require(LocalDay(year: 1900, month: 3, day: 1))
        #expect(old.description == "1900-03-01")
        #expect(old.daysSince1970 < 0)
        for days in stride(from: -719_162, through: 2_932_896, by: 997) {
            let day = LocalDay(daysSince1970: Int32(days))
            let (y, m, d) = day.components
            #expect(LocalDay(year: y, month: m, day: d) == day)
        }
    }
}

@Suite struct StoredDataTests {
    @Test func extremeDaysSaturateInsteadOfTrapping() {
        let last = LocalDay(daysSince1970: .max)
        #expect(last.adding(days: 1) == last)
        #expect(LocalDay(daysSince1970: .min).adding(days: -7) == LocalDay(daysSince1970: .min))
        #expect(last.days(until: LocalDay(daysSince1970: .min)) == Int(Int32.min) - Int(Int32.max))
    }

    @Test func corruptScheduleHistoryIsRefusedOnDecode() throws {
        let empty = Data(#"{"changes":[]}"#.utf8)
        #expect(throws: HabitError.self) { try JSONDecoder().decode(ScheduleHistory.self, from: empty) }
        var history = ScheduleHistory(.daily, from: LocalDay(daysSince1970: 10))
        history.change(to: .timesPerWeek(2), from: LocalDay(daysSince1970: 20))
        let decoded = try JSONDecoder().decode(ScheduleHistory.self, from: JSONEncoder().encode(history))
        #expect(decoded == history)
        let unsorted = try JSONEncoder().encode(Array(history.changes.reversed()))
        let wrapped = Data(#"{"changes":"#.utf8) + unsorted + Data("}".utf8)
        #expect(throws: HabitError.self) { try JSONDecoder().decode(ScheduleHistory.self, from: wrapped) }
    }
}
