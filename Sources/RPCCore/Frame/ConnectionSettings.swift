/// The limits one side announces in SETTINGS (docs/PROTOCOL.md §6), with the spec's defaults.
public struct ConnectionSettings: Sendable, Hashable {
    /// One `id u16 | value u32` entry as it travels.
    public struct Entry: Sendable, Hashable {
        public var id: UInt16
        public var value: UInt32
        public init(id: UInt16, value: UInt32) {
            self.id = id
            self.value = value
        }
    }

    /// The ids of version 1.
    public enum ID: UInt16, Sendable {
        case maxFrameSize = 1
        case maxConcurrentCalls = 2
        case initialCallCredit = 3
        case maxMetadataSize = 4
        case keepaliveTimeMilliseconds = 5
        case minPingIntervalMilliseconds = 6
        case idleTimeoutMilliseconds = 7
    }

    /// The smallest MAX_FRAME_SIZE a peer may announce.
    public static let minimumMaxFrameSize: UInt32 = 16_384
    /// The largest credit or MAX_FRAME_SIZE value allowed.
    public static let maximumWindow: UInt32 = 0x7FFF_FFFF

    /// The largest frame `length` the sender accepts.
    public var maxFrameSize: UInt32 = 4_194_304
    /// How many calls a client may have open (server); 0 from a client.
    public var maxConcurrentCalls: UInt32 = 100
    /// DATA messages the peer may send on each new call before any CREDIT.
    public var initialCallCredit: UInt32 = 16
    /// The largest metadata block the sender accepts.
    public var maxMetadataSize: UInt32 = 8_192
    /// How long the sender waits without receiving a frame before it pings; 0 = never.
    public var keepaliveTimeMilliseconds: UInt32 = 30_000
    /// The peer must not ping more often than this.
    public var minPingIntervalMilliseconds: UInt32 = 5_000
    /// The server drains connections with no open call for this long; 0 = never.
    public var idleTimeoutMilliseconds: UInt32 = 300_000

    /// The spec's defaults.
    public init() {}

    /// Every setting as wire entries, in id order.
    public var entries: [Entry] {
        [
            Entry(id: ID.maxFrameSize.rawValue, value: maxFrameSize),
            Entry(id: ID.maxConcurrentCalls.rawValue, value: maxConcurrentCalls),
            Entry(id: ID.initialCallCredit.rawValue, value: initialCallCredit),
            Entry(id: ID.maxMetadataSize.rawValue, value: maxMetadataSize),
            Entry(id: ID.keepaliveTimeMilliseconds.rawValue, value: keepaliveTimeMilliseconds),
            Entry(id: ID.minPingIntervalMilliseconds.rawValue, value: minPingIntervalMilliseconds),
            Entry(id: ID.idleTimeoutMilliseconds.rawValue, value: idleTimeoutMilliseconds),
        ]
    }

    /// Applies the entries of a received SETTINGS frame: all of them for the first frame, only
    /// MAX_CONCURRENT_CALLS for later ones. Unknown ids are ignored.
    public mutating func apply(_ entries: [Entry], isFirst: Bool) {
        for entry in entries {
            guard let id = ID(rawValue: entry.id) else { continue }
            if !isFirst && id != .maxConcurrentCalls { continue }
            switch id {
            case .maxFrameSize: maxFrameSize = entry.value
            case .maxConcurrentCalls: maxConcurrentCalls = entry.value
            case .initialCallCredit: initialCallCredit = entry.value
            case .maxMetadataSize: maxMetadataSize = entry.value
            case .keepaliveTimeMilliseconds: keepaliveTimeMilliseconds = entry.value
            case .minPingIntervalMilliseconds: minPingIntervalMilliseconds = entry.value
            case .idleTimeoutMilliseconds: idleTimeoutMilliseconds = entry.value
            }
        }
    }

    /// Checks the value ranges of §6.
    static func validate(_ entry: Entry) throws(ProtocolViolation) {
        switch ID(rawValue: entry.id) {
        case .maxFrameSize where entry.value < minimumMaxFrameSize || entry.value > maximumWindow:
            throw ProtocolViolation(.badSettings, .protocolError, "MAX_FRAME_SIZE \(entry.value) outside 16384...2147483647")
        case .initialCallCredit where entry.value > maximumWindow:
            throw ProtocolViolation(.badSettings, .protocolError, "INITIAL_CALL_CREDIT \(entry.value) above 2147483647")
        default:
            return
        }
    }
}
