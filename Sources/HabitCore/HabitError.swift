/// The one error the domain throws: a code close to gRPC's meaning plus a message for humans.
///
/// A struct wrapping a `Code` (as grpc-swift's `RPCError`) so adding a code breaks no caller; the RPC layer
/// maps codes to wire status in one place.
public struct HabitError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, in terms a client can act on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case invalidArgument, notFound, alreadyExists, failedPrecondition, aborted, unavailable, internalError
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The input is malformed or out of range whatever the state (empty name, unknown time zone, future day).
        public static let invalidArgument = Code(.invalidArgument)
        /// The entity does not exist for this user (another user's habit is reported the same way, so ids do
        /// not leak).
        public static let notFound = Code(.notFound)
        /// The thing being created already exists (a second completion of the same habit on the same day).
        public static let alreadyExists = Code(.alreadyExists)
        /// The request is valid but the current state refuses it (too few coins, archived habit).
        public static let failedPrecondition = Code(.failedPrecondition)
        /// A concurrent change won; retrying the whole call is safe.
        public static let aborted = Code(.aborted)
        /// The store could not be reached or failed; retrying later may succeed.
        public static let unavailable = Code(.unavailable)
        /// A broken invariant inside the service (corrupt stored data); not the caller's fault.
        public static let internalError = Code(.internalError)

        /// The code's name, for example `invalidArgument`.
        public var description: String { value.rawValue }
    }

    /// The category the RPC layer maps to a status code.
    public var code: Code
    /// A precise human-readable explanation naming the offending field or value.
    public var message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
