public import NIOCore

/// The frame types of docs/PROTOCOL.md §3.1.
public enum FrameType: UInt8, Sendable, Hashable, CustomStringConvertible {
    case request = 0x01
    case response = 0x02
    case data = 0x03
    case cancel = 0x04
    case credit = 0x05
    case settings = 0x40
    case ping = 0x41
    case pong = 0x42
    case drain = 0x43
    case drainAck = 0x44
    case goAway = 0x45

    /// Types with this bit set are extensions a receiver skips when it does not know them.
    public static let ignorableBit: UInt8 = 0x80

    /// Whether frames of this type belong to a call (call id ≠ 0) rather than the connection.
    public var isCallScoped: Bool { rawValue < 0x40 }

    /// The spec's upper-case name, for example `DRAIN_ACK`.
    public var description: String {
        switch self {
        case .request: "REQUEST"
        case .response: "RESPONSE"
        case .data: "DATA"
        case .cancel: "CANCEL"
        case .credit: "CREDIT"
        case .settings: "SETTINGS"
        case .ping: "PING"
        case .pong: "PONG"
        case .drain: "DRAIN"
        case .drainAck: "DRAIN_ACK"
        case .goAway: "GOAWAY"
        }
    }
}

/// The flag bits of docs/PROTOCOL.md §3.2.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The client sends nothing more on this call (REQUEST, DATA).
    public static let endStream = FrameFlags(rawValue: 0x01)
    /// The server did not start processing the call (RESPONSE).
    public static let notProcessed = FrameFlags(rawValue: 0x02)
    /// The frame carries no message; its payload is empty (REQUEST, DATA, RESPONSE).
    public static let noMessage = FrameFlags(rawValue: 0x04)
}

/// What a REQUEST frame's meta says: which method, the relative deadline and the metadata.
public struct RequestHead: Sendable, Hashable {
    /// The FNV-1a id of the method's full name; 0 when the client names the method only.
    public var methodID: UInt32
    /// The full method name (`/pkg.Service/Method`), or empty when the client sends only the id.
    public var methodName: String
    /// The remaining budget in microseconds when the frame was sent; 0 means no deadline.
    public var timeoutMicroseconds: UInt64
    /// Request metadata in wire order.
    public var metadata: Metadata
    /// Encoded size of the metadata entries, which the receiver checks against its cap.
    public var metadataSize: Int

    public init(methodID: UInt32, methodName: String = "", timeoutMicroseconds: UInt64 = 0, metadata: Metadata = [:]) {
        self.methodID = methodID
        self.methodName = methodName
        self.timeoutMicroseconds = timeoutMicroseconds
        self.metadata = metadata
        self.metadataSize = metadata.wireSize
    }
}

/// What a RESPONSE frame's meta says: the status code as sent, its message and trailing metadata.
public struct ResponseStatus: Sendable, Hashable {
    /// The status code on the wire; 0 is OK, 1…16 are ``RPCError/Code``, others mean UNKNOWN.
    public var code: UInt8
    /// A message for humans; empty for OK.
    public var message: String
    /// Trailing metadata.
    public var metadata: Metadata {
        didSet { metadataSize = metadata.wireSize }
    }
    /// Encoded size of the trailing metadata as received (reserved entries included), which a client
    /// checks against its MAX_METADATA_SIZE.
    public var metadataSize: Int

    public init(code: UInt8, message: String = "", metadata: Metadata = [:]) {
        self.code = code
        self.message = message
        self.metadata = metadata
        self.metadataSize = metadata.wireSize
    }

    /// The OK status with no message or metadata.
    public static let ok = ResponseStatus(code: 0)

    /// The longest status message a RESPONSE carries, in UTF-8 bytes: what `meta_len` leaves beside
    /// the code and the message length. Longer messages are cut when encoded.
    public static let maxMessageBytes = Int(UInt16.max) - 3

    /// The status of `error`; metadata entries that cannot be sent are left out.
    public init(_ error: RPCError) {
        self.init(code: error.code.rawValue, message: error.message, metadata: error.metadata.wireSafe)
    }

    /// The error this status reports, or nil for OK; codes this version does not know become UNKNOWN.
    public func error(isNotProcessed: Bool) -> RPCError? {
        guard code != 0 else { return nil }
        guard let known = RPCError.Code(rawValue: code) else {
            return RPCError(code: .unknown, message: "status \(code): \(message)", isNotProcessed: isNotProcessed, metadata: metadata)
        }
        return RPCError(code: known, message: message, isNotProcessed: isNotProcessed, metadata: metadata)
    }
}

/// One decoded frame, or one to encode.
public enum Frame: Sendable, Hashable {
    /// Opens a call; `message` is nil when NO_MESSAGE is set.
    case request(callID: UInt32, RequestHead, message: ByteBuffer?, endStream: Bool)
    /// Ends a call.
    case response(callID: UInt32, ResponseStatus, isNotProcessed: Bool, message: ByteBuffer?)
    /// One stream message and/or the client's half-close.
    case data(callID: UInt32, message: ByteBuffer?, endStream: Bool)
    /// Asks the server to stop a call.
    case cancel(callID: UInt32)
    /// Grants the peer `increment` more DATA messages on a call.
    case credit(callID: UInt32, increment: UInt32)
    /// Connection limits, as `(id, value)` pairs in wire order.
    case settings([ConnectionSettings.Entry])
    /// Liveness check carrying 8 opaque bytes.
    case ping(UInt64)
    /// The answer to a PING, with its bytes.
    case pong(UInt64)
    /// The server asks the client to open no more calls on this connection.
    case drain
    /// The client promises to open no more calls on this connection.
    case drainAck
    /// The sender closes the connection for `error`.
    case goAway(GoAwayError, message: String)

    /// The frame's type.
    public var type: FrameType {
        switch self {
        case .request: .request
        case .response: .response
        case .data: .data
        case .cancel: .cancel
        case .credit: .credit
        case .settings: .settings
        case .ping: .ping
        case .pong: .pong
        case .drain: .drain
        case .drainAck: .drainAck
        case .goAway: .goAway
        }
    }
}

/// The error codes a GOAWAY frame carries (docs/PROTOCOL.md §10).
public struct GoAwayError: Hashable, Sendable, CustomStringConvertible {
    /// The value on the wire.
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let noError = GoAwayError(rawValue: 0)
    public static let protocolError = GoAwayError(rawValue: 1)
    public static let unsupportedVersion = GoAwayError(rawValue: 2)
    public static let frameTooLarge = GoAwayError(rawValue: 3)
    public static let flowControlError = GoAwayError(rawValue: 4)
    public static let duplicateCallID = GoAwayError(rawValue: 5)
    public static let tooManyPings = GoAwayError(rawValue: 6)
    public static let timeout = GoAwayError(rawValue: 7)
    public static let internalError = GoAwayError(rawValue: 8)
    public static let resourceLimit = GoAwayError(rawValue: 9)

    /// The spec's upper-case name, or the number for codes this version does not know.
    public var description: String {
        switch rawValue {
        case 0: "NO_ERROR"
        case 1: "PROTOCOL_ERROR"
        case 2: "UNSUPPORTED_VERSION"
        case 3: "FRAME_TOO_LARGE"
        case 4: "FLOW_CONTROL_ERROR"
        case 5: "DUPLICATE_CALL_ID"
        case 6: "TOO_MANY_PINGS"
        case 7: "TIMEOUT"
        case 8: "INTERNAL_ERROR"
        case 9: "RESOURCE_LIMIT"
        default: "GOAWAY_ERROR_\(rawValue)"
        }
    }
}

/// A frame the peer sent that breaks the protocol: what GOAWAY to send, and why.
public struct ProtocolViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which rule was broken; the names are the `error` values of docs/protocol-vectors.json.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        /// The stable name, for example `meta_exceeds_length`.
        public let name: String
        private init(_ name: String) { self.name = name }

        public static let badPrefaceHTTP = Kind("bad_preface_http")
        public static let badPrefaceTLS = Kind("bad_preface_tls")
        public static let badPreface = Kind("bad_preface")
        public static let unsupportedVersion = Kind("unsupported_version")
        public static let frameTooLarge = Kind("frame_too_large")
        public static let metaExceedsLength = Kind("meta_exceeds_length")
        public static let unknownFrameType = Kind("unknown_frame_type")
        public static let badCallID = Kind("bad_call_id")
        public static let malformedMeta = Kind("malformed_meta")
        public static let badMetadata = Kind("bad_metadata")
        public static let badSettings = Kind("bad_settings")
        public static let badPing = Kind("bad_ping")
        public static let zeroCredit = Kind("zero_credit")
        public static let messageOnError = Kind("message_on_error")
        public static let missingMessage = Kind("missing_message")
        /// Frame sequences the state machines reject (wrong direction, duplicate id, credit).
        public static let unexpectedFrame = Kind("unexpected_frame")
        public static let duplicateCallID = Kind("duplicate_call_id")
        public static let flowControl = Kind("flow_control")
        public static let tooManyPings = Kind("too_many_pings")

        public var description: String { name }
    }

    public var kind: Kind
    /// The GOAWAY error to send for it.
    public var goAwayError: GoAwayError
    /// What exactly was wrong, for the GOAWAY message and logs.
    public var message: String

    public init(_ kind: Kind, _ goAwayError: GoAwayError = .protocolError, _ message: String) {
        self.kind = kind
        self.goAwayError = goAwayError
        self.message = message
    }

    public var description: String { "\(goAwayError): \(message)" }
}
