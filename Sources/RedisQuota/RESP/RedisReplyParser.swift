import CHiredis
public import NIOCore

/// Incremental RESP2 reply parser over a hiredis `redisReader`.
///
/// Not thread-safe: keep one per connection, confined to its event loop. After a protocol error
/// the reader is unusable (hiredis poisons it), so every later call throws and the connection must
/// be closed.
public final class RedisReplyParser {
    private let reader: UnsafeMutablePointer<redisReader>
    private var failure: RedisClientError?

    /// Creates a parser with its own hiredis reader.
    ///
    /// - Throws: `RedisClientError.protocolError` if hiredis cannot allocate a reader.
    public init() throws(RedisClientError) {
        guard let reader = redisReaderCreate() else {
            throw .protocolError("hiredis could not allocate a reader")
        }
        self.reader = reader
    }

    deinit {
        // Frees any partial reply still buffered inside the reader.
        redisReaderFree(reader)
    }

    /// Hands received bytes to the reader (hiredis copies them).
    public func feed(_ bytes: ByteBuffer) throws(RedisClientError) {
        if let failure { throw failure }
        let status = bytes.withUnsafeReadableBytes { raw in
            redisReaderFeed(reader, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard status == REDIS_OK else { throw poison() }
    }

    /// The next complete reply, or nil when more bytes are needed.
    public func next() throws(RedisClientError) -> RESPValue? {
        if let failure { throw failure }
        var raw: UnsafeMutableRawPointer? = nil
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else { throw poison() }
        guard let raw else { return nil }
        // We own the root; freeing it frees every child.
        defer { freeReplyObject(raw) }
        return Self.copy(raw.assumingMemoryBound(to: redisReply.self))
    }

    private func poison() -> RedisClientError {
        let message = withUnsafeBytes(of: reader.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let error = RedisClientError.protocolError(message.isEmpty ? "hiredis reader error" : message)
        failure = error
        return error
    }

    /// Copies a reply tree into Swift values (hiredis bounds the depth at 7).
    private static func copy(_ reply: UnsafePointer<redisReply>) -> RESPValue {
        let node = reply.pointee
        func bytes() -> [UInt8] {
            guard let start = node.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: start, count: node.len))
        }
        switch node.type {
        case REDIS_REPLY_STATUS: return .simpleString(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int64(node.integer))
        case REDIS_REPLY_STRING: return .bulkString(bytes())
        case REDIS_REPLY_ARRAY:
            guard let elements = node.element else { return .array([]) }
            return .array((0..<node.elements).map { index in elements[index].map { copy($0) } ?? .null })
        default: return .null  // REDIS_REPLY_NIL; RESP2 has no other types in 0.14.1
        }
    }
}
