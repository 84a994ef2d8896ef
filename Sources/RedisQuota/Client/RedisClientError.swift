import NIOCore

/// Why a Redis command did not produce a reply.
public struct RedisClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; a struct so adding one breaks nobody.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidCommand, protocolError, timedOut, connectionUnavailable, connectionClosed, invalidURL
            case unexpectedReply, shutdown
        }
        private let value: Value

        /// The command could not be encoded.
        public static let invalidCommand = Code(value: .invalidCommand)
        /// The server sent bytes that are not RESP2, or more replies than commands.
        public static let protocolError = Code(value: .protocolError)
        /// No reply within the command's timeout.
        public static let timedOut = Code(value: .timedOut)
        /// No connection could be made (the pool backs off after a failed connect).
        public static let connectionUnavailable = Code(value: .connectionUnavailable)
        /// The connection closed before the reply arrived.
        public static let connectionClosed = Code(value: .connectionClosed)
        /// `HABIT_REDIS_URL` is not of the form `redis://host[:port]`.
        public static let invalidURL = Code(value: .invalidURL)
        /// A well-formed reply of the wrong shape for the command.
        public static let unexpectedReply = Code(value: .unexpectedReply)
        /// The client was shut down.
        public static let shutdown = Code(value: .shutdown)

        public var description: String { "\(value)" }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, for logs.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func invalidCommand(_ message: String) -> Self { Self(code: .invalidCommand, message: message) }
    static func protocolError(_ message: String) -> Self { Self(code: .protocolError, message: message) }
    static func timedOut(after timeout: TimeAmount) -> Self {
        Self(code: .timedOut, message: "no reply within \(timeout)")
    }
    static func unexpectedReply(_ message: String) -> Self { Self(code: .unexpectedReply, message: message) }
}
