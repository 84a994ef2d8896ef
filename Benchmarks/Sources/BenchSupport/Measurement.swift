#if canImport(Glibc)
import Glibc
#endif

/// CPU time this process has used (user + system), in seconds.
public func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// What one client run measured: round trips finished inside the measured window, and every call made.
public struct LoadTally: Sendable {
    /// Latencies in nanoseconds of the calls that started after the warm-up and finished inside the window.
    public var latencies: [UInt64] = []
    /// Every call that completed, warm-up included.
    public var completed = 0
    /// Calls that failed.
    public var errors = 0

    /// Nothing measured yet, or a run's figures.
    public init(latencies: [UInt64] = [], completed: Int = 0, errors: Int = 0) {
        self.latencies = latencies
        self.completed = completed
        self.errors = errors
    }

    /// Adds another run's figures to these.
    public mutating func merge(_ other: LoadTally) {
        latencies += other.latencies
        completed += other.completed
        errors += other.errors
    }
}

/// Value at quantile `q` of `sorted` nanosecond latencies, in microseconds.
public func percentileMicroseconds(_ sorted: [UInt64], _ q: Double) -> Double {
    sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1000
}

/// Prints the one RESULT line a driver script parses.
public func report(_ name: String, method: String, conns: Int, inflight: Int, seconds: Double, tally: LoadTally, cpu: Double) {
    let sorted = tally.latencies.sorted()
    let rate = Double(sorted.count) / seconds
    let cpuPerCall = tally.completed == 0 ? 0 : cpu / Double(tally.completed) * 1e6
    print("RESULT \(name) method=\(method) conns=\(conns) inflight=\(inflight) calls=\(sorted.count) rate_per_s=\(Int(rate)) "
        + "p50_us=\(percentileMicroseconds(sorted, 0.5)) p99_us=\(percentileMicroseconds(sorted, 0.99)) "
        + "errors=\(tally.errors) total_incl_warmup=\(tally.completed) "
        + "client_cpu_us_per_call=\((cpuPerCall * 100).rounded() / 100)")
}

/// Runs `inflight` callers until `warmup + seconds` have passed; caller `slot` makes its calls with
/// `call(slot)`, so it can pick its connection and user. A call counts when it finishes inside the window.
public func closedLoop(
    inflight: Int, warmup: Duration, seconds: Duration,
    executor: @Sendable (Int) -> (any TaskExecutor)? = { _ in nil },
    call: @escaping @Sendable (Int) async throws -> Void
) async -> LoadTally {
    let clock = ContinuousClock()
    let warmupEnd = clock.now + warmup
    let end = warmupEnd + seconds
    return await withTaskGroup(of: LoadTally.self) { group in
        for slot in 0..<inflight {
            group.addTask(executorPreference: executor(slot)) {
                var tally = LoadTally()
                while clock.now < end {
                    let start = clock.now
                    do {
                        try await call(slot)
                    } catch {
                        tally.errors += 1
                        continue
                    }
                    let finished = clock.now
                    tally.completed += 1
                    if start >= warmupEnd && finished <= end {
                        let elapsed = (finished - start).components
                        tally.latencies.append(
                            UInt64(elapsed.seconds) * 1_000_000_000 + UInt64(elapsed.attoseconds / 1_000_000_000))
                    }
                }
                return tally
            }
        }
        var all = LoadTally()
        for await tally in group { all.merge(tally) }
        return all
    }
}

/// Resident memory of process `pid` in KiB (VmRSS), or nil if it cannot be read.
public func residentKiB(pid: Int32) -> Int? {
    guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") {
            return Int(text.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
    }
    return nil
}

/// A client run as given on the command line: `PORT CONNS INFLIGHT SECONDS [noop|character]` after the mode.
public struct ClientRun: Sendable {
    public let port: Int
    public let conns: Int
    public let inflight: Int
    public let method: BenchMethod
    /// The warm-up before the measured window.
    public let warmup = Duration.seconds(2)
    /// The measured window.
    public let window: Duration
    let seconds: Int

    /// Parses the arguments after the mode; nil when the method is not one of ``BenchMethod``.
    public init?(_ arguments: [String]) {
        func integer(_ index: Int, _ fallback: Int) -> Int {
            index < arguments.count ? Int(arguments[index]) ?? fallback : fallback
        }
        guard let method = BenchMethod(rawValue: arguments.count > 4 ? arguments[4] : "noop") else { return nil }
        self.port = integer(0, 0)
        self.conns = max(1, integer(1, 1))
        self.inflight = max(1, integer(2, 1))
        self.seconds = max(1, integer(3, 10))
        self.window = .seconds(seconds)
        self.method = method
    }

    /// Runs `load` and prints its RESULT line under `name`, with this process's CPU per call.
    public func measure(_ name: String, methodLabel: String? = nil, _ load: (ClientRun) async throws -> LoadTally) async rethrows {
        let cpuStart = cpuSeconds()
        let tally = try await load(self)
        report(name, method: methodLabel ?? method.rawValue, conns: conns, inflight: inflight, seconds: Double(seconds),
               tally: tally, cpu: cpuSeconds() - cpuStart)
    }
}
