public import ProtoRuntime

/// A method together with its message types, so tools (habit-cli's JSON `call`) can encode and
/// decode a method's messages knowing only its name.
public struct MethodSchema: Sendable {
    public let descriptor: MethodDescriptor
    public let requestType: any ProtoMessage.Type
    public let responseType: any ProtoMessage.Type

    public init(descriptor: MethodDescriptor, requestType: any ProtoMessage.Type, responseType: any ProtoMessage.Type) {
        self.descriptor = descriptor
        self.requestType = requestType
        self.responseType = responseType
    }
}
