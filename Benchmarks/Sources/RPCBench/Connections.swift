import BenchSupport
import NIOCore
import RPCClient
import RPCCore

/// Opens `count` idle HabitRPC connections (each finishes the preface and SETTINGS handshake) to the server
/// whose process id is `serverPID`, prints the growth of its resident memory per connection, then keeps
/// one no-op call in flight on each of 100 of them, spread over all, for `seconds` while every connection stays open.
func holdConnections(port: Int, serverPID: Int32, count: Int, seconds: Duration) async throws {
    let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
    let request = ByteBuffer(bytes: BenchMethod.noop.requestBytes)
    let settle = Duration.seconds(2)
    // One connection and a call first, so the server's one-time allocations are not counted per connection.
    let warm = try await ClientConnection.connect(to: address)
    _ = try await warm.unary(noopDescriptor, request: request, options: CallOptions())
    try await Task.sleep(for: settle)
    let before = residentKiB(pid: serverPID) ?? 0
    let clock = ContinuousClock()
    let openStart = clock.now
    var connections: [ClientConnection] = []
    var failures = 0
    var firstFailure = ""
    let connectsAtOnce = 64
    await withTaskGroup(of: Result<ClientConnection, any Error>.self) { group in
        var started = 0
        func startNext() {
            guard started < count else { return }
            started += 1
            group.addTask {
                do { return .success(try await ClientConnection.connect(to: address, connectTimeout: .seconds(30))) } catch {
                    return .failure(error)
                }
            }
        }
        for _ in 0..<connectsAtOnce { startNext() }
        while let result = await group.next() {
            switch result {
            case .success(let connection): connections.append(connection)
            case .failure(let error):
                failures += 1
                if firstFailure.isEmpty { firstFailure = "\(error)" }
            }
            startNext()
        }
    }
    let openSeconds = Double((clock.now - openStart).components.attoseconds) / 1e18
        + Double((clock.now - openStart).components.seconds)
    try await Task.sleep(for: settle)
    let after = residentKiB(pid: serverPID) ?? 0
    let perConnection = connections.isEmpty ? 0 : (after - before) * 1024 / connections.count
    let step = max(1, connections.count / 100)
    let sample = stride(from: 0, to: connections.count, by: step).map { connections[$0] }
    var tally = LoadTally()
    if !sample.isEmpty {
        tally = await closedLoop(inflight: sample.count, warmup: .zero, seconds: seconds) { slot in
            _ = try await sample[slot].unary(noopDescriptor, request: request, options: CallOptions())
        }
    }
    let sorted = tally.latencies.sorted()
    let window = Double(seconds.components.seconds)
    print("RESULT connections requested=\(count) open=\(connections.count) failed=\(failures) open_seconds=\((openSeconds * 10).rounded() / 10) "
        + "server_rss_before_kib=\(before) server_rss_after_kib=\(after) rss_bytes_per_conn=\(perConnection) "
        + "calling_conns=\(sample.count) calls=\(sorted.count) rate_per_s=\(Int(Double(sorted.count) / window)) call_errors=\(tally.errors) "
        + "p50_us=\(percentileMicroseconds(sorted, 0.5)) p99_us=\(percentileMicroseconds(sorted, 0.99))"
        + (firstFailure.isEmpty ? "" : " first_failure=\"\(firstFailure)\""))
    for connection in connections { await connection.close() }
    await warm.close()
}
