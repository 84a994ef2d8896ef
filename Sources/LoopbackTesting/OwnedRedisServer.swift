public import Foundation

/// A redis-server process a test owns on a loopback port, so it can kill it and start it again on the same port
/// (take the port from ``LoopbackPort/freeForRestartableServer()``). Not persistent: a restart starts empty.
public final class OwnedRedisServer {
    /// Why redis-server cannot be started.
    public struct Missing: Error, CustomStringConvertible {
        public let description = "redis-server is not on PATH (scripts/deps.d installs it; make test runs it)"
    }

    /// The loopback port it listens on.
    public let port: Int
    private var process: Process?

    /// A server for `port`, not started yet.
    public init(port: Int) { self.port = port }

    /// Starts redis-server on 127.0.0.1 (it accepts commands a moment later: poll with PING).
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.arguments = [
            "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no",
            "--dir", FileManager.default.temporaryDirectory.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// SIGKILL: no goodbye to the clients.
    public func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    private static func executable() throws -> String {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for directory in paths + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Missing()
    }
}
