/// One Redis reply (RESP2), copied out of hiredis so it can cross threads and outlive the reader.
public enum RESPValue: Sendable, Hashable {
    /// `+OK`: a status line.
    case simpleString(String)
    /// `-ERR ...`: an error reply. A normal reply, not a transport failure.
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$n ...`: binary-safe bytes.
    case bulkString([UInt8])
    /// `$-1` or `*-1`.
    case null
    /// `*n ...`.
    case array([RESPValue])

    /// The bytes of a bulk or simple string as UTF-8 text, nil for other replies.
    public var text: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}
