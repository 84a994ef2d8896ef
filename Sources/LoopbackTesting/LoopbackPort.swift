#if canImport(Glibc)
import Glibc
#endif

/// Why no loopback port could be found.
public struct LoopbackPortError: Error, CustomStringConvertible {
    public let description: String
}

/// Ports on 127.0.0.1 for test servers.
public enum LoopbackPort {
    /// A free port for a test server that is stopped and started again on the same port (a Redis or
    /// PostgreSQL outage test).
    ///
    /// It comes from below the kernel's ephemeral range: a port from that range can be handed out as the
    /// source port of some other test's outgoing connection while the server is down, and the restart
    /// then fails with EADDRINUSE.
    public static func freeForRestartableServer() throws -> Int {
        let firstEphemeral = ephemeralRangeStart()
        for _ in 0..<500 {
            let port = Int.random(in: 10_000..<max(10_001, firstEphemeral))
            if isFree(port) { return port }
        }
        throw LoopbackPortError(description: "no free port between 10000 and \(firstEphemeral) on 127.0.0.1")
    }

    /// The first port of `net.ipv4.ip_local_port_range` (Linux's default is 32768).
    private static func ephemeralRangeStart() -> Int {
        guard let file = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r") else { return 32768 }
        defer { fclose(file) }
        var low: Int32 = 0
        var high: Int32 = 0
        return withVaList([withUnsafeMutablePointer(to: &low) { $0 }, withUnsafeMutablePointer(to: &high) { $0 }]) {
            vfscanf(file, "%d %d", $0) == 2 && low > 10_001 ? Int(low) : 32768
        }
    }

    /// Whether a listening socket could bind `port` on 127.0.0.1 right now.
    private static func isFree(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
