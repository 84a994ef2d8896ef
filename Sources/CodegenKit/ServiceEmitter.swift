/// Emits, per service: method descriptors with stable ids, the handler protocol the server
/// implements, its `serverMethods`, and a typed client stub over `RPCClientTransport`.
struct ServiceEmitter {
    let index: SchemaIndex

    /// The stable method id: FNV-1a (32 bit) of the UTF-8 full name, so any client can compute it.
    static func methodID(_ fullName: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in fullName.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    private func swiftType(_ name: String, package: String) -> String {
        index.lookup(name, scope: package)?.swiftPath ?? name
    }

    private static func kind(_ method: MethodDecl) -> String {
        switch (method.isClientStreaming, method.isServerStreaming) {
        case (false, false): "unary"
        case (false, true): "serverStreaming"
        case (true, false): "clientStreaming"
        case (true, true): "bidirectionalStreaming"
        }
    }

    func emit(_ service: ServiceDecl, package: String, into code: inout CodeBuilder) {
        let serviceName = package.isEmpty ? service.name : package + "." + service.name
        let methods = service.methods.map { method in
            (
                decl: method,
                property: SwiftNaming.escaped(SwiftNaming.lowerCamel(method.name)),
                request: swiftType(method.inputType, package: package),
                response: swiftType(method.outputType, package: package)
            )
        }
        code.doc(service.comment)
        code.block("public enum \(service.name)") { code in
            code.line("/// The fully qualified service name.")
            code.line("public static let serviceName = \"\(serviceName)\"")
            code.line()
            code.line("/// Descriptors of the methods, with their stable numeric ids.")
            code.block("public enum Method") { code in
                for (offset, method) in methods.enumerated() {
                    if offset > 0 { code.line() }
                    code.doc(method.decl.comment)
                    let id = Self.methodID("/\(serviceName)/\(method.decl.name)")
                    code.line(
                        "public static let \(method.property) = MethodDescriptor(service: serviceName, method: \"\(method.decl.name)\", id: \(id), kind: .\(Self.kind(method.decl)))"
                    )
                }
            }
            code.line()
            code.line("/// Every method with its message types.")
            code.line("public static let methods: [MethodSchema] = [")
            code.indent { code in
                for method in methods {
                    code.line(
                        "MethodSchema(descriptor: Method.\(method.property), requestType: \(method.request).self, responseType: \(method.response).self),"
                    )
                }
            }
            code.line("]")
        }
        code.line()
        code.line("/// What a server implements to serve \(serviceName).")
        code.block("public protocol \(service.name)Handler: Sendable") { code in
            for (offset, method) in methods.enumerated() {
                if offset > 0 { code.line() }
                code.doc(method.decl.comment)
                switch (method.decl.isClientStreaming, method.decl.isServerStreaming) {
                case (false, false):
                    code.line("func \(method.property)(request: \(method.request), context: ServerCallContext) async throws -> \(method.response)")
                case (false, true):
                    code.line("func \(method.property)(request: \(method.request), responses: RPCWriter<\(method.response)>, context: ServerCallContext) async throws")
                case (true, false):
                    code.line("func \(method.property)(requests: RPCAsyncSequence<\(method.request)>, context: ServerCallContext) async throws -> \(method.response)")
                case (true, true):
                    code.line("func \(method.property)(requests: RPCAsyncSequence<\(method.request)>, responses: RPCWriter<\(method.response)>, context: ServerCallContext) async throws")
                }
            }
        }
        code.line()
        code.block("extension \(service.name)Handler") { code in
            code.line("/// The methods of this handler as the server runtime dispatches them.")
            code.block("public var serverMethods: [ServerMethod]") { code in
                code.line("[")
                code.indent { code in
                    for method in methods {
                        let descriptor = "\(service.name).Method.\(method.property)"
                        switch (method.decl.isClientStreaming, method.decl.isServerStreaming) {
                        case (false, false):
                            code.line("ServerMethod.unary(\(descriptor)) { (request: \(method.request), context) in")
                            code.indent { $0.line("try await self.\(method.property)(request: request, context: context)") }
                        case (false, true):
                            code.line("ServerMethod.serverStreaming(\(descriptor)) { (request: \(method.request), responses: RPCWriter<\(method.response)>, context) in")
                            code.indent { $0.line("try await self.\(method.property)(request: request, responses: responses, context: context)") }
                        case (true, false):
                            code.line("ServerMethod.clientStreaming(\(descriptor)) { (requests: RPCAsyncSequence<\(method.request)>, context) in")
                            code.indent { $0.line("try await self.\(method.property)(requests: requests, context: context)") }
                        case (true, true):
                            code.line("ServerMethod.bidirectionalStreaming(\(descriptor)) { (requests: RPCAsyncSequence<\(method.request)>, responses: RPCWriter<\(method.response)>, context) in")
                            code.indent { $0.line("try await self.\(method.property)(requests: requests, responses: responses, context: context)") }
                        }
                        code.line("},")
                    }
                }
                code.line("]")
            }
        }
        code.line()
        code.line("/// A typed client for \(serviceName).")
        code.block("public struct \(service.name)Client: Sendable") { code in
            code.line("/// The transport calls travel on.")
            code.line("public let transport: any RPCClientTransport")
            code.line()
            code.line("/// A client sending its calls through `transport`.")
            code.block("public init(transport: any RPCClientTransport)") { $0.line("self.transport = transport") }
            for method in methods {
                code.line()
                code.doc(method.decl.comment)
                let descriptor = "\(service.name).Method.\(method.property)"
                switch (method.decl.isClientStreaming, method.decl.isServerStreaming) {
                case (false, false):
                    code.block("public func \(method.property)(_ request: \(method.request), options: CallOptions = CallOptions()) async throws -> \(method.response)") { code in
                        code.line("try await transport.unary(\(descriptor), request: request, responseType: \(method.response).self, options: options)")
                    }
                case (false, true):
                    code.line("public func \(method.property)<Result: Sendable>(")
                    code.indent { code in
                        code.line("_ request: \(method.request),")
                        code.line("options: CallOptions = CallOptions(),")
                        code.line("responses body: @escaping @Sendable (RPCAsyncSequence<\(method.response)>) async throws -> Result")
                    }
                    code.block(") async throws -> Result") { code in
                        code.line("try await transport.serverStreaming(\(descriptor), request: request, responseType: \(method.response).self, options: options, body: body)")
                    }
                case (true, false):
                    code.line("public func \(method.property)(")
                    code.indent { code in
                        code.line("options: CallOptions = CallOptions(),")
                        code.line("requests: @escaping @Sendable (RPCWriter<\(method.request)>) async throws -> Void")
                    }
                    code.block(") async throws -> \(method.response)") { code in
                        code.line("try await transport.clientStreaming(\(descriptor), requestType: \(method.request).self, responseType: \(method.response).self, options: options, requests: requests)")
                    }
                case (true, true):
                    code.line("public func \(method.property)<Result: Sendable>(")
                    code.indent { code in
                        code.line("options: CallOptions = CallOptions(),")
                        code.line("requests: @escaping @Sendable (RPCWriter<\(method.request)>) async throws -> Void,")
                        code.line("responses: @escaping @Sendable (RPCAsyncSequence<\(method.response)>) async throws -> Result")
                    }
                    code.block(") async throws -> Result") { code in
                        code.line("try await transport.bidirectionalStreaming(\(descriptor), requestType: \(method.request).self, responseType: \(method.response).self, options: options, requests: requests, responses: responses)")
                    }
                }
            }
        }
    }
}
