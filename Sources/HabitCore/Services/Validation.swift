/// Input checks shared by the services; each failure names the field.
enum Validation {
    /// Trims whitespace and checks the length in characters and the absence of control characters (newlines only
    /// where `allowsNewlines`).
    static func text(
        _ value: String, field: String, allowEmpty: Bool = false, allowsNewlines: Bool = false, maxLength: Int
    ) throws(HabitError) -> String {
        let trimmed = value.trimmingWhitespace()
        guard allowEmpty || !trimmed.isEmpty else { throw HabitError(.invalidArgument, "\(field) must not be empty") }
        guard trimmed.count <= maxLength else {
            throw HabitError(.invalidArgument, "\(field) must be at most \(maxLength) characters")
        }
        guard
            !trimmed.unicodeScalars.contains(where: {
                $0.properties.generalCategory == .control && !(allowsNewlines && $0 == "\n")
            })
        else { throw HabitError(.invalidArgument, "\(field) must not contain control characters") }
        return trimmed
    }

    /// An idempotency key: 1 to 128 bytes.
    static func idempotencyKey(_ key: String?) throws(HabitError) -> String? {
        guard let key else { return nil }
        guard !key.isEmpty, key.utf8.count <= 128 else {
            throw HabitError(.invalidArgument, "idempotency key must be 1 to 128 bytes")
        }
        return key
    }

    /// A page size: 0 means the default 50, larger than 100 is clamped to 100, negative is refused.
    static func pageSize(_ size: Int) throws(HabitError) -> Int {
        guard size >= 0 else { throw HabitError(.invalidArgument, "page size must not be negative") }
        return size == 0 ? 50 : min(size, 100)
    }

    /// A page token: empty for the first page, otherwise the decimal position the previous page ended at.
    static func pageToken(_ token: String) throws(HabitError) -> Int64? {
        guard !token.isEmpty else { return nil }
        guard token.count <= 20, let position = Int64(token), position >= 0 else {
            throw HabitError(.invalidArgument, "invalid page token")
        }
        return position
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

/// One page of a list and the token for the next (nil on the last page).
public struct Page<Item: Sendable>: Sendable {
    /// The items, in list order.
    public var items: [Item]
    /// Pass it back to get the next page; nil when there is none.
    public var nextPageToken: String?

    /// Builds a page from `limit + 1` fetched items: the extra one only says that more exist.
    init(fetched: [Item], limit: Int, position: (Item) -> Int64) {
        items = Array(fetched.prefix(limit))
        nextPageToken = fetched.count > limit ? items.last.map { String(position($0)) } : nil
    }
}
extension Page: Equatable where Item: Equatable {}
