import Foundation
import HabitCore
import HabitPostgres
import HabitStoreSQL
import HabitStoreTesting
import Testing

/// PostgreSQL stopped and started again while calls flow, on a throwaway cluster of the test's own (the shared
/// test server must stay up for the other suites).
@Suite struct PostgresOutageTests {
    @Test func callsFailUnavailableDuringAnOutageAndSucceedAfterwardsWithNoManualStep() async throws {
        let cluster = try await ThrowawayCluster.start()
        do {
            try await exerciseOutage(cluster)
        } catch {
            await cluster.remove()
            throw error
        }
        await cluster.remove()
    }

    private func exerciseOutage(_ cluster: ThrowawayCluster) async throws {
        let user = try UserID("outage-\(UUID().uuidString)")
        let record = UserRecord(
            id: user, settings: UserSettings(displayName: "O", timeZoneID: "UTC", dayStartMinutes: 0),
            character: CharacterState(xp: 0, centiCoins: 0, hpTenths: 500, highestLevel: 1, deaths: 0),
            nextOrdinal: 1, lastClosedDay: LocalDay(daysSince1970: 20_000),
            nextRolloverAt: Date(timeIntervalSince1970: 1_728_000_000), createdAt: Date(timeIntervalSince1970: 1_727_900_000))

        try await ScratchPostgres.withStore(cluster.location, configure: { $0.callTimeout = .seconds(2) }) { store in
            try await store.withUserTransaction(user) { try await $0.saveUser(record) }

            try await cluster.stop()
            // Several calls at once: each fails on its own deadline or connection error, none hangs the others.
            let codes = await withTaskGroup(of: HabitError.Code?.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        do {
                            _ = try await store.withUserTransaction(user) { try await $0.loadUser() }
                            return nil
                        } catch let error as HabitError {
                            return error.code
                        } catch {
                            return .internalError
                        }
                    }
                }
                return await group.reduce(into: [HabitError.Code?]()) { $0.append($1) }
            }
            #expect(codes == [.unavailable, .unavailable, .unavailable, .unavailable])

            try await cluster.start()
            var loaded: UserRecord?
            // The pool reconnects by itself; calls are retried here as a client would, until the first succeeds.
            for _ in 0..<120 where loaded == nil {
                do {
                    loaded = try await store.withUserTransaction(user) { try await $0.loadUser() }
                } catch let error as HabitError where error.code == .unavailable {
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            #expect(loaded == record)
        }
    }
}

/// A PostgreSQL cluster in a temporary directory on a free loopback port, owned by the `postgres` user
/// (PostgreSQL refuses root), driven with the binaries in `PG_BIN` that make test exports.
struct ThrowawayCluster: Sendable {
    let directory: URL
    let bin: String
    let port: Int

    var location: StoreConfiguration.PostgresLocation {
        StoreConfiguration.PostgresLocation(
            host: "127.0.0.1", port: port, username: "postgres", password: nil, database: "postgres")
    }

    static func start() async throws -> ThrowawayCluster {
        guard let bin = ProcessInfo.processInfo.environment["PG_BIN"], !bin.isEmpty else {
            throw StoreTestFailure(description: "PG_BIN is not set: run the tests through make test")
        }
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("habit-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = ThrowawayCluster(directory: directory, bin: bin, port: try freePort())
        try await ChildProcess.run(["/bin/chown", "postgres:", directory.path])
        try await ChildProcess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "\(bin)/initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        try await cluster.start()
        return cluster
    }

    private var data: String { directory.appendingPathComponent("data").path }

    func start() async throws {
        try await pgctl([
            "-l", directory.appendingPathComponent("data/server.log").path, "-w", "-t", "60",
            "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path)", "start",
        ])
    }

    func stop() async throws {
        try await pgctl(["-m", "fast", "-w", "stop"])
    }

    func remove() async {
        try? await pgctl(["-m", "immediate", "stop"])
        try? FileManager.default.removeItem(at: directory)
    }

    private func pgctl(_ arguments: [String]) async throws {
        try await ChildProcess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "\(bin)/pg_ctl", "-D", data] + arguments)
    }

    private static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw StoreTestFailure(description: "socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw StoreTestFailure(description: "cannot bind a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
