/// What a handler and the interceptors know about the call they serve.
public struct ServerCallContext: Sendable {
    /// The method being called.
    public var descriptor: MethodDescriptor
    /// Request metadata as the client sent it.
    public var metadata: Metadata
    /// When the call's budget runs out, if the client set a deadline.
    public var deadline: ContinuousClock.Instant?
    /// The remote address, for logs.
    public var peer: String
    /// The client-chosen call id, unique among the connection's calls in flight.
    public var callID: UInt32
    /// Values attached by interceptors (for example the authenticated user).
    public var attributes: CallAttributes

    public init(
        descriptor: MethodDescriptor,
        metadata: Metadata,
        deadline: ContinuousClock.Instant?,
        peer: String,
        callID: UInt32,
        attributes: CallAttributes = CallAttributes()
    ) {
        self.descriptor = descriptor
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
        self.callID = callID
        self.attributes = attributes
    }
}
