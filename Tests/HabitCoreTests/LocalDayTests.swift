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
