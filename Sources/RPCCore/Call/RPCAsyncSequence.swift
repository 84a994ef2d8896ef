/// A type-erased stream of messages: what a handler reads on a client-streaming call and what a
/// client reads on a server-streaming one.
public struct RPCAsyncSequence<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = any Error

    private let base: any AsyncSequence<Element, any Error> & Sendable

    public init<Base: AsyncSequence<Element, any Error> & Sendable>(wrapping base: Base) {
        self.base = base
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private var base: any AsyncIteratorProtocol<Element, any Error>

        fileprivate init(_ base: any AsyncIteratorProtocol<Element, any Error>) {
            self.base = base
        }

        public mutating func next() async throws -> Element? {
            try await base.next(isolation: nil)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base.makeAsyncIterator())
    }

    /// A sequence that yields each element of `elements`, then ends.
    public static func elements(_ elements: [Element]) -> Self {
        Self(wrapping: ArrayAsyncSequence(elements: elements))
    }

    /// A sequence that applies `transform` to every element of `self`.
    public func map<Mapped: Sendable>(
        _ transform: @escaping @Sendable (Element) throws -> Mapped
    ) -> RPCAsyncSequence<Mapped> {
        RPCAsyncSequence<Mapped>(wrapping: MappedAsyncSequence(base: self, transform: transform))
    }
}

private struct ArrayAsyncSequence<Element: Sendable>: AsyncSequence, Sendable {
    typealias Failure = any Error
    let elements: [Element]

    struct AsyncIterator: AsyncIteratorProtocol {
        var iterator: IndexingIterator<[Element]>
        mutating func next() async throws -> Element? { iterator.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(iterator: elements.makeIterator()) }
}

private struct MappedAsyncSequence<Base: Sendable, Element: Sendable>: AsyncSequence, Sendable {
    typealias Failure = any Error
    let base: RPCAsyncSequence<Base>
    let transform: @Sendable (Base) throws -> Element

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RPCAsyncSequence<Base>.AsyncIterator
        let transform: @Sendable (Base) throws -> Element
        mutating func next() async throws -> Element? {
            guard let element = try await base.next() else { return nil }
            return try transform(element)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), transform: transform)
    }
}
