/// A key for ``CallAttributes``: its type is the key, `Value` the type stored under it.
public protocol CallAttributeKey: Sendable {
    associatedtype Value: Sendable
}

/// Typed values interceptors attach to a call for later interceptors and the handler, for example
/// the authenticated user.
public struct CallAttributes: Sendable {
    private var storage: [ObjectIdentifier: any Sendable] = [:]

    public init() {}

    public subscript<Key: CallAttributeKey>(key: Key.Type) -> Key.Value? {
        get { storage[ObjectIdentifier(key)] as? Key.Value }
        set { storage[ObjectIdentifier(key)] = newValue }
    }
}
