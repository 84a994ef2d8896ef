import NIOCore
import RPCCore
import Testing

/// Virtual time: `milliseconds` after an arbitrary origin.
private func at(_ milliseconds: Int64) -> NIODeadline {
    .uptimeNanoseconds(1_000_000_000 + UInt64(milliseconds) * 1_000_000)
}

/// The PING data the machine sends at `milliseconds`.
private func pingData(_ milliseconds: Int64) -> UInt64 {
    at(milliseconds).uptimeNanoseconds
}

@Suite struct KeepaliveStateMachineTests {
    /// A keepalive of `time` ms with a 10 s timeout, opened at 0 and started.
    func started(time: UInt32, peerMinPingInterval: UInt32 = 0) -> KeepaliveStateMachine {
        var keepalive = KeepaliveStateMachine(keepaliveTimeMilliseconds: time, timeout: .seconds(10), now: at(0))
        #expect(keepalive.start(peerMinPingIntervalMilliseconds: peerMinPingInterval) == .check(at: at(Int64(time))))
        return keepalive
    }

    @Test func zeroMeansNeverPing() {
        var keepalive = KeepaliveStateMachine(keepaliveTimeMilliseconds: 0, timeout: .seconds(10), now: at(0))
        #expect(keepalive.start(peerMinPingIntervalMilliseconds: 0) == .none)
        #expect(keepalive.timerFired(now: at(3_600_000)) == .none)
    }

    @Test func nothingHappensBeforeTheHandshake() {
        var keepalive = KeepaliveStateMachine(keepaliveTimeMilliseconds: 1_000, timeout: .seconds(10), now: at(0))
        #expect(keepalive.timerFired(now: at(60_000)) == .none)
    }

    @Test func silencePingsAndSilenceAfterThePingTimesOut() {
        var keepalive = started(time: 1_000)
        #expect(keepalive.timerFired(now: at(1_000)) == .ping(pingData(1_000), checkAt: at(2_000)))
        // Nothing arrived: wait for the rest of the timeout.
        #expect(keepalive.timerFired(now: at(2_000)) == .check(at: at(11_000)))
        #expect(keepalive.timerFired(now: at(5_000)) == .check(at: at(11_000)))
        #expect(keepalive.timerFired(now: at(11_000)) == .timedOut(message: "keepalive timeout: nothing received for 11000 ms after a PING"))
        #expect(keepalive.timerFired(now: at(30_000)) == .none, "over after the timeout")
    }

    @Test func anythingReceivedRestartsTheSilence() {
        var keepalive = started(time: 1_000)
        keepalive.received(at: at(700))
        #expect(keepalive.timerFired(now: at(1_000)) == .check(at: at(1_700)))
        #expect(keepalive.timerFired(now: at(1_700)) == .ping(pingData(1_700), checkAt: at(2_700)))
        // The answer (or any other bytes) arrives: the next PING waits for another full silence.
        keepalive.received(at: at(1_750))
        #expect(keepalive.timerFired(now: at(2_700)) == .check(at: at(2_750)))
        #expect(keepalive.timerFired(now: at(2_750)) == .ping(pingData(2_750), checkAt: at(3_750)))
        #expect(keepalive.lastReceived == at(1_750))
    }

    @Test func pingsAreSpacedByThePeersMinimumIntervalFromTheAnswer() {
        // KEEPALIVE_TIME 100 ms against a peer that allows one PING per 5 s.
        var keepalive = started(time: 100, peerMinPingInterval: 5_000)
        #expect(keepalive.timerFired(now: at(100)) == .ping(pingData(100), checkAt: at(5_100)), "the first PING has no predecessor")
        keepalive.received(at: at(130))
        #expect(keepalive.timerFired(now: at(5_100)) == .check(at: at(5_130)), "5 s after the answer, not after the PING")
        #expect(keepalive.timerFired(now: at(5_130)) == .ping(pingData(5_130), checkAt: at(10_130)))
        keepalive.received(at: at(5_140))
        #expect(keepalive.timerFired(now: at(5_300)) == .check(at: at(10_140)), "not 100 ms after the answer but 5 s")
        #expect(keepalive.timerFired(now: at(10_140)) == .ping(pingData(10_140), checkAt: at(15_140)))
    }

    @Test func aKeepaliveTimeLongerThanThePeersMinimumWins() {
        var keepalive = started(time: 30_000, peerMinPingInterval: 5_000)
        #expect(keepalive.timerFired(now: at(30_000)) == .ping(pingData(30_000), checkAt: at(40_000)))
        keepalive.received(at: at(30_010))
        #expect(keepalive.timerFired(now: at(40_000)) == .check(at: at(60_010)))
    }

    @Test func startingTwiceDoesNotArmASecondTimer() {
        var keepalive = started(time: 1_000)
        #expect(keepalive.start(peerMinPingIntervalMilliseconds: 0) == .none)
    }
}
