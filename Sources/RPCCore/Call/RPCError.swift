/// The one error type that crosses the wire: a status code, a message, and whether the server is
/// known not to have processed the call (so any call may be retried safely).
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    /// gRPC's status codes, with the same numeric values so dashboards and retry policies map
    /// one-to-one.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The value on the wire.
        public let rawValue: UInt8

        /// Codes outside 1...16 are not errors (0 is OK) or unknown to this version.
        public init?(rawValue: UInt8) {
            guard (1...16).contains(rawValue) else { return nil }
            self.rawValue = rawValue
        }

        private init(_ rawValue: UInt8) { self.rawValue = rawValue }

        public static let cancelled = Code(1)
        public static let unknown = Code(2)
        public static let invalidArgument = Code(3)
        public static let deadlineExceeded = Code(4)
        public static let notFound = Code(5)
        public static let alreadyExists = Code(6)
        public static let permissionDenied = Code(7)
        public static let resourceExhausted = Code(8)
        public static let failedPrecondition = Code(9)
        public static let aborted = Code(10)
        public static let outOfRange = Code(11)
        public static let unimplemented = Code(12)
        public static let internalError = Code(13)
        public static let unavailable = Code(14)
        public static let dataLoss = Code(15)
        public static let unauthenticated = Code(16)

        /// The canonical upper-case name, for example `RESOURCE_EXHAUSTED`.
        public var description: String {
            switch rawValue {
            case 1: "CANCELLED"
            case 2: "UNKNOWN"
            case 3: "INVALID_ARGUMENT"
            case 4: "DEADLINE_EXCEEDED"
            case 5: "NOT_FOUND"
            case 6: "ALREADY_EXISTS"
            case 7: "PERMISSION_DENIED"
            case 8: "RESOURCE_EXHAUSTED"
            case 9: "FAILED_PRECONDITION"
            case 10: "ABORTED"
            case 11: "OUT_OF_RANGE"
            case 12: "UNIMPLEMENTED"
            case 13: "INTERNAL"
            case 14: "UNAVAILABLE"
            case 15: "DATA_LOSS"
            default: "UNAUTHENTICATED"
            }
        }
    }

    public var code: Code
    public var message: String
    /// The server did not start processing the call: retrying it is safe even if it is not idempotent.
    public var isNotProcessed: Bool
    /// Trailing metadata sent with the status (for example a quota's retry-after).
    public var metadata: Metadata

    public init(code: Code, message: String, isNotProcessed: Bool = false, metadata: Metadata = [:]) {
        self.code = code
        self.message = message
        self.isNotProcessed = isNotProcessed
        self.metadata = metadata
    }

    public var description: String { "\(code): \(message)" }
}
