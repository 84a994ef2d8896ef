/// Finds the ``ServerMethod`` a REQUEST names: by numeric id, else by full name (docs/PROTOCOL.md §5.5).
public struct MethodRouter: Sendable {
    private var byID: [UInt32: ServerMethod] = [:]
    private var byName: [String: ServerMethod] = [:]

    /// A router over `methods`; throws if two methods share an id or a name.
    public init(_ methods: [ServerMethod]) throws(RPCError) {
        for method in methods {
            let descriptor = method.descriptor
            guard byID[descriptor.id] == nil, byName[descriptor.fullName] == nil, descriptor.id != 0 else {
                throw RPCError(code: .internalError, message: "method \(descriptor) has id 0 or a duplicate id or name")
            }
            byID[descriptor.id] = method
            byName[descriptor.fullName] = method
        }
    }

    /// The method a REQUEST names, or nil.
    public func method(id: UInt32, name: String) -> ServerMethod? {
        if id != 0, let method = byID[id] { return method }
        return name.isEmpty ? nil : byName[name]
    }

    /// Every method served.
    public var methods: [ServerMethod] { Array(byID.values) }
}
