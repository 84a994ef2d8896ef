public import NIOCore
public import RPCCore

extension RPCServer {
    /// Everything that tunes a server, with defaults suitable for production.
    public struct Configuration: Sendable {
        /// The address to listen on. Default `127.0.0.1`.
        public var host: String = "127.0.0.1"
        /// The port; 0 picks a free one (read it from ``RPCServer/localAddress()``). Default 0.
        public var port: Int = 0
        /// What every connection announces in SETTINGS: max frame size (4 MiB), max concurrent calls
        /// (100), initial call credit (16), max metadata size (8 KiB), keepalive time (30 s), min ping
        /// interval (5 s), idle timeout (5 min).
        public var settings = ConnectionSettings()
        /// Connections served at once; more are closed with GOAWAY RESOURCE_LIMIT. Default 1024.
        public var maxConnections: Int = 1024
        /// Time a new connection has to send its preface and SETTINGS (slowloris guard). Default 10 s.
        public var handshakeTimeout: TimeAmount = .seconds(10)
        /// Time to wait for any frame after a keepalive PING before closing. Default 10 s.
        public var keepaliveTimeout: TimeAmount = .seconds(10)
        /// Age after which a connection is drained so clients rebalance; nil = no limit. Default nil.
        public var maxConnectionAge: TimeAmount?
        /// After DRAIN, the time calls get to finish before they are answered UNAVAILABLE and the
        /// connection closes. Default 10 s.
        public var drainGracePeriod: TimeAmount = .seconds(10)
        /// Request bytes one connection may hold in open calls; over it, new calls are refused with
        /// RESOURCE_EXHAUSTED + NOT_PROCESSED. Default 64 MiB.
        public var memoryBudgetPerConnection: Int = 64 * 1024 * 1024
        /// Queued outbound bytes above which the server stops reading from a connection until its
        /// writes drain. Default 1 MiB (resumes at a quarter of it).
        public var writeBufferHighWaterMark: Int = 1024 * 1024
        /// Where handlers run. Default ``HandlerPlacement/globalExecutor``.
        public var handlerPlacement: HandlerPlacement = .globalExecutor
        /// Event-loop threads; default: NIO's singleton group (one per core).
        public var eventLoopGroup: (any EventLoopGroup)?

        /// The defaults.
        public init() {}
    }
}

extension RPCServer {
    /// Where a call's handler task runs.
    public enum HandlerPlacement: Sendable {
        /// Swift's global concurrent executor: a handler that computes does not hold up other
        /// connections, at the cost of two thread wake-ups per call (into the pool and back).
        case globalExecutor
        /// The connection's event loop, as the handler task's executor preference: no thread hop per
        /// call, but every synchronous stretch of a handler holds that loop and the connections on it.
        /// For handlers that only await I/O between short computations.
        case eventLoop
    }
}
