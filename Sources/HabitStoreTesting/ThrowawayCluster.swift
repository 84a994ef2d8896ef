public import Foundation
import LoopbackTesting
public import HabitStoreSQL

/// A PostgreSQL cluster in a temporary directory on a free loopback port, owned by the `postgres` user
/// (PostgreSQL refuses root), driven with the binaries in `PG_BIN` that make test exports.
public struct ThrowawayCluster: Sendable {
    /// The temporary directory holding the data directory and the socket.
    public let directory: URL
    /// Where the PostgreSQL binaries are.
    public let bin: String
    /// The loopback port the cluster listens on.
    public let port: Int

    /// The cluster's `postgres` database as the superuser (trust authentication, no password).
    public var location: StoreConfiguration.PostgresLocation {
        StoreConfiguration.PostgresLocation(
            host: "127.0.0.1", port: port, username: "postgres", password: nil, database: "postgres")
    }

    /// Creates the cluster with initdb and starts it.
    public static func start() async throws -> ThrowawayCluster {
        guard let bin = ProcessInfo.processInfo.environment["PG_BIN"], !bin.isEmpty else {
            throw StoreTestFailure(description: "PG_BIN is not set: run the tests through make test")
        }
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("habit-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = ThrowawayCluster(directory: directory, bin: bin, port: try LoopbackPort.freeForRestartableServer())
        try await ChildProcess.run(["/bin/chown", "postgres:", directory.path])
        try await ChildProcess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "\(bin)/initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        try await cluster.start()
        return cluster
    }

    private var data: String { directory.appendingPathComponent("data").path }

    /// Starts (or restarts) the server, waiting until it accepts connections.
    public func start() async throws {
        try await pgctl([
            "-l", directory.appendingPathComponent("data/server.log").path, "-w", "-t", "60",
            "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path)", "start",
        ])
    }

    /// Stops the server (fast shutdown), waiting until it is down.
    public func stop() async throws {
        try await pgctl(["-m", "fast", "-w", "stop"])
    }

    /// Stops the server if running and deletes the cluster.
    public func remove() async {
        try? await pgctl(["-m", "immediate", "stop"])
        try? FileManager.default.removeItem(at: directory)
    }

    private func pgctl(_ arguments: [String]) async throws {
        try await ChildProcess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "\(bin)/pg_ctl", "-D", data] + arguments)
    }

}
