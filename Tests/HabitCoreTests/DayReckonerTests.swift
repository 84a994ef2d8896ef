import Foundation
import HabitCore
import Testing

@Suite struct DayReckonerTests {
    private func day(_ zone: String, _ start: Int = 0, _ instant: String) throws -> String {
        try DayReckoner(timeZoneID: zone, dayStartMinutes: start).localDay(of: Harness.instant(instant)).description
    }

    @Test func localDayFollowsZoneNotUTC() throws {
        // Pitfall 5.
        #expect(try day("America/Los_Angeles", 0, "2024-01-15T07:30:00Z") == "2024-01-14")
        #expect(try day("America/Los_Angeles", 240, "2024-01-15T10:00:00Z") == "2024-01-14")  // 02:00 PST
        #expect(try day("America/Los_Angeles", 240, "2024-01-15T12:00:00Z") == "2024-01-15")  // 04:00 PST
        #expect(try day("America/Los_Angeles", 240, "2024-01-15T11:59:59Z") == "2024-01-14")  // 03:59:59
        #expect(try day("Pacific/Kiritimati", 0, "2024-01-15T10:30:00Z") == "2024-01-16")
        #expect(try day("Pacific/Pago_Pago", 0, "2024-01-15T10:30:00Z") == "2024-01-14")
    }

    @Test func dstDaysAreOneDayEach() throws {
        // Pitfall 6: the 23-hour and the 25-hour day are one day each.
        #expect(try day("America/New_York", 0, "2024-03-09T17:00:00Z") == "2024-03-09")
        #expect(try day("America/New_York", 0, "2024-03-10T16:00:00Z") == "2024-03-10")
        #expect(try day("America/New_York", 0, "2024-03-11T16:00:00Z") == "2024-03-11")
        #expect(try day("America/New_York", 0, "2024-11-03T04:30:00Z") == "2024-11-03")  // 00:30 EDT
        #expect(try day("America/New_York", 0, "2024-11-04T04:30:00Z") == "2024-11-03")  // 23:30 EST
        // Day start inside the spring-forward gap: the day begins at 03:00 EDT.
        let gap = try DayReckoner(timeZoneID: "America/New_York", dayStartMinutes: 150)
        #expect(
            gap.start(of: try #require(LocalDay(iso8601: "2024-03-10")))
                == (try Harness.instant("2024-03-10T07:00:00Z")))
        #expect(try day("America/New_York", 150, "2024-03-10T06:59:00Z") == "2024-03-09")  // 01:59 EST
        #expect(try day("America/New_York", 150, "2024-03-10T07:00:00Z") == "2024-03-10")  // 03:00 EDT
        // Day start inside the fall-back overlap: the first 01:30 starts the day; the second does not undo it.
        let overlap = try DayReckoner(timeZoneID: "America/New_York", dayStartMinutes: 90)
        #expect(
            overlap.start(of: try #require(LocalDay(iso8601: "2024-11-03")))
                == (try Harness.instant("2024-11-03T05:30:00Z")))
        #expect(try day("America/New_York", 90, "2024-11-03T05:29:59Z") == "2024-11-02")
        #expect(try day("America/New_York", 90, "2024-11-03T06:00:00Z") == "2024-11-03")  // 01:00 EST, second pass
    }

    @Test(arguments: [
        "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "UTC",
    ])
    func daysPartitionTimeWithoutGoingBack(zone: String) throws {
        // Every 101 minutes through 2024, for several day starts: the instant lies inside its day, days never go
        // back and never skip.
        for start in [0, 150] {
            let reckoner = try DayReckoner(timeZoneID: zone, dayStartMinutes: start)
            var t = try Harness.instant("2024-01-01T00:00:00Z")
            var previous = reckoner.localDay(of: t)
            var failures: [String] = []
            for _ in 0..<(366 * 24 * 60 / 101) {
                t = t.addingTimeInterval(101 * 60)
                let day = reckoner.localDay(of: t)
                let isInside = reckoner.start(of: day) <= t && t < reckoner.start(of: day.adding(days: 1))
                if !isInside || !(day == previous || day == previous.adding(days: 1)) {
                    failures.append("\(t) -> \(day) after \(previous)")
                }
                previous = day
            }
            #expect(failures.isEmpty, "\(zone) day start \(start): \(failures.prefix(5))")
        }
    }

    @Test func refusesUnknownZonesAndBadDayStarts() {
        #expect(throws: HabitError.self) { try DayReckoner(timeZoneID: "Mars/Olympus_Mons", dayStartMinutes: 0) }
        #expect(throws: HabitError.self) { try DayReckoner(timeZoneID: "", dayStartMinutes: 0) }
        #expect(throws: HabitError.self) { try DayReckoner(timeZoneID: "UTC", dayStartMinutes: 1440) }
        #expect(throws: HabitError.self) { try DayReckoner(timeZoneID: "UTC", dayStartMinutes: -1) }
    }
}

@Suite struct LevelCurveTests {
    @Test func habiticaToNextLevelTable() {
        #expect((1...11).map(LevelCurve.toNextLevel) == [25, 50, 75, 100, 150, 210, 220, 240, 250, 260, 280])
        #expect((2...10).map(LevelCurve.xpAtStart) == [25, 75, 150, 250, 400, 610, 830, 1070, 1320])
        #expect(LevelCurve.progress(xp: 0) == (1, 0, 25))
        #expect(LevelCurve.progress(xp: 40) == (2, 15, 35))
        #expect(LevelCurve.progress(xp: 1320) == (10, 0, 260))
        #expect(LevelCurve.progress(xp: -5) == (1, 0, 25))
    }

    @Test func rewardFormula() {
        let rules = HabitRules()
        #expect(rules.completionAward(difficulty: .easy, streakBefore: 0) == Award(xp: 10, centiCoins: 100))
        #expect(rules.completionAward(difficulty: .easy, streakBefore: 2) == Award(xp: 10, centiCoins: 102))
        #expect(rules.completionAward(difficulty: .hard, streakBefore: 0) == Award(xp: 20, centiCoins: 200))
        #expect(rules.completionAward(difficulty: .trivial, streakBefore: 5) == Award(xp: 1, centiCoins: 10))
        #expect(rules.completionAward(difficulty: .medium, streakBefore: 1000) == Award(xp: 15, centiCoins: 300))
        #expect(rules.missedDamage(difficulty: .hard) == 40)
        #expect(rules.missedDamage(difficulty: .trivial) == 2)
    }
}
