public import Foundation

/// Who owns the data: the authenticated subject, opaque to the domain (1 to 128 bytes of UTF-8).
public struct UserID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The subject as the authentication layer gave it.
    public let rawValue: String

    /// Validates the subject: non-empty and at most 128 bytes, so it fits an indexed column.
    public init(_ rawValue: String) throws(HabitError) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= 128 else {
            throw HabitError(.invalidArgument, "user id must be 1 to 128 bytes")
        }
        self.rawValue = rawValue
    }

    /// The raw subject.
    public var description: String { rawValue }
}

/// Identifies a habit; random, so it reveals nothing about other users.
public struct HabitID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The UUID stored in the database.
    public let rawValue: UUID
    /// Wraps a stored or parsed UUID.
    public init(_ rawValue: UUID) { self.rawValue = rawValue }
    /// A fresh random id.
    public static func random() -> HabitID { HabitID(UUID()) }
    /// Parses the canonical UUID text, as clients send it.
    public init(parsing text: String) throws(HabitError) {
        guard let uuid = UUID(uuidString: text) else { throw HabitError(.invalidArgument, "habit id is not a UUID") }
        self.rawValue = uuid
    }
    /// The canonical UUID text.
    public var description: String { rawValue.uuidString }
}

/// Identifies one completion or skip of a habit on a day.
public struct CompletionID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The UUID stored in the database.
    public let rawValue: UUID
    /// Wraps a stored UUID.
    public init(_ rawValue: UUID) { self.rawValue = rawValue }
    /// A fresh random id.
    public static func random() -> CompletionID { CompletionID(UUID()) }
    /// The canonical UUID text.
    public var description: String { rawValue.uuidString }
}

/// Identifies a reward in a user's shop.
public struct RewardID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The UUID stored in the database.
    public let rawValue: UUID
    /// Wraps a stored or parsed UUID.
    public init(_ rawValue: UUID) { self.rawValue = rawValue }
    /// A fresh random id.
    public static func random() -> RewardID { RewardID(UUID()) }
    /// Parses the canonical UUID text, as clients send it.
    public init(parsing text: String) throws(HabitError) {
        guard let uuid = UUID(uuidString: text) else { throw HabitError(.invalidArgument, "reward id is not a UUID") }
        self.rawValue = uuid
    }
    /// The canonical UUID text.
    public var description: String { rawValue.uuidString }
}
