import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import RedisQuota

/// The Redis that `make test` starts (REDIS_HOSTNAME / REDIS_PORT). With CI=true a missing
/// variable fails the tests instead of disabling them.
enum TestRedis {
    static let environment = ProcessInfo.processInfo.environment
    static let isRequired = environment["CI"] == "true"
    static let configuration: RedisClient.Configuration? = {
        guard let host = environment["REDIS_HOSTNAME"], let port = environment["REDIS_PORT"].flatMap(Int.init) else {
            return nil
        }
        return RedisClient.Configuration(host: host, port: port)
    }()
    static let isEnabled = isRequired || configuration != nil

    struct Missing: Error, CustomStringConvertible {
        var description: String { "REDIS_HOSTNAME and REDIS_PORT must name the test Redis (make test sets them)" }
    }

    static func client(configure: (inout RedisClient.Configuration) -> Void = { _ in }) throws -> RedisClient {
        guard var configuration else { throw Missing() }
        configure(&configuration)
        return RedisClient(configuration: configuration)
    }

    /// A key prefix no other test run uses.
    static func uniquePrefix() -> String { "hrpc:qtest:\(UUID().uuidString.prefix(8))" }

    /// A limiter with a generous timeout: these tests are about results, not latency.
    static func limiter(
        redis: RedisClient,
        prefix: String,
        policies: QuotaPolicies,
        configure: (inout QuotaLimiter.Configuration) -> Void = { _ in }
    ) -> QuotaLimiter {
        var configuration = QuotaLimiter.Configuration(policies: policies)
        configuration.keyPrefix = prefix
        configuration.checkTimeout = .seconds(5)
        configure(&configuration)
        return QuotaLimiter(configuration: configuration, redis: redis, logger: Logger(label: "quota-test"))
    }
}

/// A loopback TCP port that was free a moment ago.
func freeLoopbackPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

/// A TCP server on 127.0.0.1 that is not Redis: it answers every read with `reply`, except on its
/// first `silentConnections` connections, which never answer (a stuck peer).
final class FakeRedisServer {
    private final class Responder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let reply: String?
        init(reply: String?) { self.reply = reply }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let reply else { return }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
        }
    }

    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    init(reply: String?, silentConnections: Int = 0) async throws {
        let accepted = Mutex(0)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                let index = accepted.withLock { count in
                    count += 1
                    return count
                }
                return child.eventLoop.makeCompletedFuture {
                    let responder = Responder(reply: index > silentConnections ? reply : nil)
                    try child.pipeline.syncOperations.addHandler(responder)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async throws { try await channel.close() }
}
