/// Sends messages on a stream: a handler's responses, or a client's requests.
///
/// `write` suspends while the peer has no credit left, which is how flow control reaches the
/// producer.
public struct RPCWriter<Element: Sendable>: Sendable {
    private let sink: @Sendable (Element) async throws -> Void

    public init(_ sink: @escaping @Sendable (Element) async throws -> Void) {
        self.sink = sink
    }

    /// Sends one message.
    public func write(_ element: Element) async throws {
        try await sink(element)
    }

    /// Sends each message in order.
    public func write(contentsOf elements: some Sequence<Element>) async throws {
        for element in elements { try await sink(element) }
    }

    /// A writer that encodes with `transform` before writing to `self`.
    public func map<Input: Sendable>(_ transform: @escaping @Sendable (Input) throws -> Element) -> RPCWriter<Input> {
        RPCWriter<Input> { try await self.write(transform($0)) }
    }
}
